using CameraService.Client;

namespace CameraService.Camctl;

/// <summary>camctl's exit codes, one per class of error, so scripts can branch on them (listed by <c>camctl --help</c> and the README).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Connection = 3;
    public const int Auth = 4;
    public const int NotFound = 5;
    public const int InvalidState = 6;
    public const int Dependency = 7;
    public const int Storage = 8;
    public const int RateLimited = 9;
    public const int InvalidParams = 10;

    public const string Help =
        "Exit codes: 0 ok, 1 other error, 2 usage, 3 cannot connect, 4 authentication/permission, 5 not found, " +
        "6 invalid state, 7 dependency failed (MediaMTX, ffmpeg, device), 8 storage full, 9 rate limited, 10 invalid parameter.";

    public static int For(CameraServiceApiException ex) => ex.Code switch
    {
        ErrorCodes.AuthenticationFailed or ErrorCodes.PermissionDenied => Auth,
        ErrorCodes.NotFound => NotFound,
        ErrorCodes.InvalidState => InvalidState,
        ErrorCodes.DependencyFailed => Dependency,
        ErrorCodes.InsufficientStorage => Storage,
        ErrorCodes.RateLimited => RateLimited,
        ErrorCodes.InvalidParams => InvalidParams,
        _ => Failure,
    };

    /// <summary>A sentence a person can act on, for every contract error.</summary>
    public static string Explain(CameraServiceApiException ex) => ex.Code switch
    {
        ErrorCodes.AuthenticationFailed => ex.DataString("reason") switch
        {
            "token_expired" => "Your token has expired. Mint a new one: camera-service token create --role operator --ttl 24h",
            "auth_required" => "No token given. Pass --token, set CAMCTL_TOKEN, or put it in " + ConnectionSettings.ConfigPath,
            _ => "The token was refused (invalid, revoked or signed with another secret). Mint a new one with camera-service token create.",
        },
        ErrorCodes.PermissionDenied => $"Your role ({ex.DataString("role") ?? "?"}) cannot do this; it needs {ex.DataString("required_role") ?? "a higher role"}.",
        ErrorCodes.NotFound => $"No {ex.DataString("resource") ?? "such thing"} '{ex.DataString("id")}'. List them with camctl cameras or camctl files.",
        ErrorCodes.InvalidState => $"Not possible now: {ex.DataString("message") ?? ex.DataString("reason") ?? ex.ServerMessage}",
        ErrorCodes.InvalidParams => $"Invalid parameter '{ex.DataString("param")}': {ex.DataString("rule")}",
        ErrorCodes.DependencyFailed => $"{ex.DataString("dependency") ?? "A dependency"} failed: {ex.DataString("detail") ?? ex.ServerMessage}. The service retries by itself; check its health with camctl status.",
        ErrorCodes.InsufficientStorage => "The disk is above the block threshold. Delete files (camctl delete) or set a retention policy.",
        ErrorCodes.RateLimited => "Too many requests; slow down and retry.",
        ErrorCodes.Unsupported => $"Not offered by this server's plugins ({ex.DataString("feature")}).",
        ErrorCodes.MethodNotFound => "The server does not know this method (older server version?).",
        _ => ex.Message,
    };
}

using CameraService.Abstractions.Api;

namespace CameraService.Core.Auth;

/// <summary>Wire names of roles and their permissions.</summary>
internal static class Roles
{
    private static readonly string[] ViewerPermissions = ["view"];
    private static readonly string[] OperatorPermissions = ["view", "control"];
    private static readonly string[] AdminPermissions = ["view", "control", "admin"];

    public static IReadOnlyList<string> Names { get; } = ["viewer", "operator", "admin"];

    public static string Name(ApiRole role) => role switch
    {
        ApiRole.Viewer => "viewer",
        ApiRole.Operator => "operator",
        ApiRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string? text, out ApiRole role)
    {
        switch (text)
        {
            case "viewer":
                role = ApiRole.Viewer;
                return true;
            case "operator":
                role = ApiRole.Operator;
                return true;
            case "admin":
                role = ApiRole.Admin;
                return true;
            default:
                role = default;
                return false;
        }
    }

    public static IReadOnlyList<string> Permissions(ApiRole role) => role switch
    {
        ApiRole.Viewer => ViewerPermissions,
        ApiRole.Operator => OperatorPermissions,
        ApiRole.Admin => AdminPermissions,
        _ => [],
    };
}

/// <summary>Who a valid credential belongs to.</summary>
/// <param name="UserId">The user (JWT <c>user_id</c>, or <c>apikey:&lt;id&gt;</c>).</param>
/// <param name="Role">The role.</param>
/// <param name="ExpiresAt">When the credential expires; null for an API key without expiry.</param>
/// <param name="ApiKeyId">The API key id when the credential is an API key (checked for revocation on every call).</param>
internal sealed record AuthPrincipal(string UserId, ApiRole Role, DateTimeOffset? ExpiresAt, string? ApiKeyId)
{
    /// <summary>The JWT's <c>jti</c>, checked against the revocation list on every call.</summary>
    public string? TokenId { get; init; }

    /// <summary>The JWT's <c>iat</c> (for <c>token revoke --user</c>).</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>The cameras this credential may see and use (<c>cameras</c> claim or API key attribute); null = every camera.</summary>
    public CameraScope Scope { get; init; } = CameraScope.All;

    /// <summary>Whether an in-process transport vouched for this principal (<c>ITrustedRpcEndpoint</c>): no token to revoke.</summary>
    public bool Trusted { get; init; }
}

/// <summary>The outcome of checking a credential: a principal, or a machine-readable reason.</summary>
internal readonly record struct CredentialCheck(AuthPrincipal? Principal, string? FailureReason)
{
    public static CredentialCheck Fail(string reason) => new(null, reason);
}

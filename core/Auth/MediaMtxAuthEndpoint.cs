using System.Text.Json;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Auth;

/// <summary>
/// <c>POST /mediamtx/auth</c>: MediaMTX's HTTP authentication (<c>authMethod: http</c>, api-contract §8.5). MediaMTX
/// posts <c>{ip, user, password, token, action, path, protocol, id, query, userAgent}</c> for every read, publish,
/// playback and API call and allows the action on any 2xx. Here:
/// <list type="bullet">
/// <item><c>publish</c>, <c>api</c>, <c>metrics</c>, <c>pprof</c>: only the service's own credential
/// (<see cref="ServiceCredentials"/>), as user/password.</item>
/// <item><c>read</c>, <c>playback</c>: the service's credential, a signed stream token for <c>streams/&lt;path&gt;</c>
/// (the token in the URLs the API hands out, bound to the credential that asked), or a valid JWT / API key (viewer
/// or higher) whose camera scope covers the path — presented as <c>token</c>, as the password, or as
/// <c>token=</c> in the query.</item>
/// </list>
/// Anything else, and any malformed request, is 401. Nothing is ever allowed anonymously.
/// </summary>
internal sealed partial class MediaMtxAuthEndpoint(AccessControl access, ServiceCredentials service, ILogger<MediaMtxAuthEndpoint> logger) : IHttpBodyEndpointSource
{
    public const string Path = "/mediamtx/auth";

    // MediaMTX's request is a few hundred bytes; a JWT in it a few kB.
    private const int MaxBody = 64 * 1024;

    private static readonly HttpContentReply Allowed = new() { StatusCode = 200, ContentType = "application/json", Body = "{\"status\":\"ok\"}"u8.ToArray() };
    private static readonly HttpContentReply Denied = new() { StatusCode = 401, ContentType = "application/json", Body = "{\"status\":\"error\",\"error\":\"authentication failed\"}"u8.ToArray() };

    public IReadOnlyList<HttpBodyEndpoint> BodyEndpoints =>
    [
        new HttpBodyEndpoint { Method = "POST", Pattern = Path, MaxBodyBytes = MaxBody, Handler = HandleAsync },
    ];

    /// <summary>The request as MediaMTX sends it (internal/auth, authenticateHTTP).</summary>
    internal sealed record AuthRequest(string? User, string? Password, string? Token, string? Ip, string? Action, string? Path, string? Protocol, string? Query);

    private async ValueTask<HttpReply> HandleAsync(HttpRequestData request, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!TryParse(body.Span, out var auth))
        {
            LogDenied(logger, "-", "-", "-", "malformed request");
            return Denied;
        }

        var (allowed, reason) = await DecideAsync(auth).ConfigureAwait(false);
        if (!allowed)
        {
            LogDenied(logger, auth.Action ?? "-", auth.Path ?? "-", auth.Ip ?? "-", reason);
        }

        return allowed ? Allowed : Denied;
    }

    /// <summary>Whether MediaMTX may let the request through, and why not.</summary>
    internal async ValueTask<(bool Allowed, string Reason)> DecideAsync(AuthRequest auth)
    {
        if (service.Matches(auth.User, auth.Password))
        {
            return (true, "service credential");
        }

        if (auth.Action is not ("read" or "playback"))
        {
            return (false, "action '" + auth.Action + "' is reserved to the service's credential");
        }

        var path = auth.Path ?? string.Empty;
        if (path.Length == 0)
        {
            return (false, "no path");
        }

        foreach (var candidate in Candidates(auth))
        {
            if (access.Verify("streams/" + path, candidate) is null)
            {
                return (true, "signed stream token");
            }

            var check = await access.ValidateAsync(candidate).ConfigureAwait(false);
            if (check.Principal is { } principal)
            {
                return principal.Role < ApiRole.Viewer ? (false, "role too low")
                    : principal.Scope.Allows(path) ? (true, "credential")
                    : (false, "camera_not_allowed");
            }
        }

        return (false, "no valid credential");
    }

    // token, then password, then token=/jwt= of the query (MediaMTX forwards the raw query for every protocol).
    private static IEnumerable<string> Candidates(AuthRequest auth)
    {
        if (!string.IsNullOrEmpty(auth.Token))
        {
            yield return auth.Token;
        }

        if (!string.IsNullOrEmpty(auth.Password))
        {
            yield return auth.Password;
        }

        if (!string.IsNullOrEmpty(auth.Query))
        {
            foreach (var pair in auth.Query.Split('&'))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && pair.AsSpan(0, eq) is "token" or "jwt")
                {
                    string value;
                    try
                    {
                        value = Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                    }
                    catch (UriFormatException)
                    {
                        continue;
                    }

                    if (value.Length > 0)
                    {
                        yield return value;
                    }
                }
            }
        }
    }

    internal static bool TryParse(ReadOnlySpan<byte> body, out AuthRequest request)
    {
        request = new AuthRequest(null, null, null, null, null, null, null, null);
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!reader.Read())
                {
                    return false;
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        values[name] = reader.GetString();
                        break;
                    case JsonTokenType.Null:
                        values[name] = null;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return false;
            }

            string? V(string key) => values.GetValueOrDefault(key);
            request = new AuthRequest(V("user"), V("password"), V("token"), V("ip"), V("action"), V("path"), V("protocol"), V("query"));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1140, Level = LogLevel.Information, Message = "MediaMTX auth denied: {Action} {Path} from {Ip}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string action, string path, string ip, string reason);
}

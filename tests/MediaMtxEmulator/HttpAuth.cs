using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MediaMtxEmulator;

/// <summary>One decision of the external HTTP authenticator, as the emulator recorded it.</summary>
/// <param name="Action">publish, read, playback, api, metrics or pprof.</param>
/// <param name="Path">The path (empty for api/metrics/pprof).</param>
/// <param name="Protocol">rtsp, hls, … (empty for api).</param>
/// <param name="User">The user sent.</param>
/// <param name="Allowed">Whether the authenticator answered 2xx (or the action was excluded).</param>
public sealed record AuthDecision(string Action, string Path, string Protocol, string User, bool Allowed);

/// <summary>Credentials of a simulated client, as MediaMTX extracts them (Basic/Bearer header, RTSP URL user info).</summary>
/// <param name="User">User name.</param>
/// <param name="Password">Password.</param>
/// <param name="Token">A bearer token.</param>
public sealed record ClientCredentials(string User = "", string Password = "", string Token = "");

/// <summary>
/// <c>authMethod: http</c> as MediaMTX v1.20 does it (internal/auth/manager.go, authenticateHTTP): unless the request
/// matches <c>authHTTPExclude</c>, POST <c>{ip, user, password, token, action, path, protocol, id, query, userAgent}</c>
/// as JSON to <c>authHTTPAddress</c>; any 2xx allows, anything else (or no answer) denies. The token is the
/// credential's token, else its password, else (RTSP/RTMP only) <c>token=</c>/<c>jwt=</c> of the query.
/// </summary>
internal sealed class HttpAuthClient(EmulatorState state) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<AuthDecision> _decisions = [];

    /// <summary>Every decision so far.</summary>
    public IReadOnlyList<AuthDecision> Decisions
    {
        get
        {
            lock (_decisions)
            {
                return [.. _decisions];
            }
        }
    }

    /// <summary>Whether the running configuration delegates authentication to an HTTP server.</summary>
    public bool Enabled
    {
        get
        {
            lock (state.Gate)
            {
                return state.Config.Global["authMethod"]?.GetValue<string>() == "http";
            }
        }
    }

    public async Task<bool> CheckAsync(string action, string path, string protocol, ClientCredentials credentials, string query, IPAddress ip, CancellationToken ct)
    {
        string address;
        JsonArray exclude;
        lock (state.Gate)
        {
            address = state.Config.Global["authHTTPAddress"]?.GetValue<string>() ?? string.Empty;
            exclude = state.Config.Global["authHTTPExclude"] as JsonArray ?? [];
        }

        bool allowed;
        if (MatchesPermission(exclude, action, path))
        {
            allowed = true;
        }
        else
        {
            var token = credentials.Token.Length > 0 ? credentials.Token
                : credentials.Password.Length > 0 ? credentials.Password
                : protocol is "rtsp" or "rtmp" ? QueryToken(query)
                : string.Empty;
            var body = new JsonObject
            {
                ["ip"] = ip.ToString(),
                ["user"] = credentials.User,
                ["password"] = credentials.Password,
                ["token"] = token,
                ["action"] = action,
                ["path"] = path,
                ["protocol"] = protocol,
                ["id"] = action is "read" or "publish" ? Guid.NewGuid().ToString() : null,
                ["query"] = query,
                ["userAgent"] = "mediamtx-emulator",
            };
            try
            {
                using var response = await _http.PostAsJsonAsync(address, body, ct).ConfigureAwait(false);
                allowed = (int)response.StatusCode is >= 200 and <= 299;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or UriFormatException)
            {
                allowed = false; // MediaMTX: "HTTP request failed" → denied
            }
        }

        lock (_decisions)
        {
            _decisions.Add(new AuthDecision(action, path, protocol, credentials.User, allowed));
        }

        return allowed;
    }

    /// <summary>The user info of the RTSP URL in a publisher command (<c>rtsp://user:pass@host:port/path</c>).</summary>
    public static ClientCredentials FromCommand(string command)
    {
        var m = Regex.Match(command, @"rtsps?://(?<u>[^:@/\s]*):(?<p>[^@/\s]*)@", RegexOptions.CultureInvariant);
        return m.Success ? new ClientCredentials(Uri.UnescapeDataString(m.Groups["u"].Value), Uri.UnescapeDataString(m.Groups["p"].Value)) : new ClientCredentials();
    }

    private static string QueryToken(string query)
    {
        var values = System.Web.HttpUtility.ParseQueryString(query);
        var token = values.GetValues("token");
        if (token is { Length: 1 })
        {
            return token[0];
        }

        var jwt = values.GetValues("jwt");
        return jwt is { Length: 1 } ? jwt[0] : string.Empty;
    }

    private static bool MatchesPermission(JsonArray permissions, string action, string path)
    {
        foreach (var p in permissions.OfType<JsonObject>())
        {
            if (p["action"]?.GetValue<string>() != action)
            {
                continue;
            }

            if (action is not ("publish" or "read" or "playback"))
            {
                return true;
            }

            var permPath = p["path"]?.GetValue<string>() ?? string.Empty;
            if (permPath.Length == 0 || permPath == path || (permPath.StartsWith('~') && Regex.IsMatch(path, permPath[1..], RegexOptions.None, TimeSpan.FromSeconds(1))))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Simulated RTSP/HLS clients that present credentials, authenticated the way MediaMTX's servers do.</summary>
internal static class SimulatedClients
{
    /// <summary>A reader connects: with <c>authMethod: http</c> the read is authenticated first (401 when denied).</summary>
    public static async Task<string> ReadAsync(EmulatorState state, string path, string protocol, ClientCredentials credentials, string query, CancellationToken ct)
    {
        if (state.HttpAuth.Enabled && !await state.HttpAuth.CheckAsync("read", path, protocol, credentials, query, IPAddress.Loopback, ct).ConfigureAwait(false))
        {
            throw new ApiException(401, "authentication failed");
        }

        lock (state.Gate)
        {
            return state.AddReader(path, protocol == "hls" ? "hlsMuxer" : "rtspSession");
        }
    }

    /// <summary>A publisher connects: with <c>authMethod: http</c> the publish is authenticated first (401 when denied).</summary>
    public static async Task<string> PublishAsync(EmulatorState state, string path, string protocol, ClientCredentials credentials, string query, CancellationToken ct)
    {
        if (state.HttpAuth.Enabled && !await state.HttpAuth.CheckAsync("publish", path, protocol, credentials, query, IPAddress.Loopback, ct).ConfigureAwait(false))
        {
            throw new ApiException(401, "authentication failed");
        }

        lock (state.Gate)
        {
            state.Publish(path, [new TrackSpec("H264")]);
            return path;
        }
    }

    /// <summary>Credentials of an Authorization header, as MediaMTX's httpp.Credentials reads them.</summary>
    public static ClientCredentials Credentials(string header)
    {
        if (header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            var value = header[7..];
            var parts = value.Split(':');
            return parts.Length == 2 ? new ClientCredentials(parts[0], parts[1]) : new ClientCredentials(Token: value);
        }

        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            try
            {
                var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var i = decoded.IndexOf(':', StringComparison.Ordinal);
                return i < 0 ? new ClientCredentials(decoded) : new ClientCredentials(decoded[..i], decoded[(i + 1)..]);
            }
            catch (FormatException)
            {
                return new ClientCredentials();
            }
        }

        return new ClientCredentials();
    }
}

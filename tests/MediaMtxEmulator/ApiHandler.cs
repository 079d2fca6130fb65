using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace MediaMtxEmulator;

/// <summary>
/// The HTTP surface: MediaMTX's /v3 routes (gin behaviour: exact bodies, plain-text 404s, auth before routing) and
/// the simulation side channel under /_emulator/. Routing reads the raw request target because Kestrel normalizes
/// dot segments and MediaMTX must see a literal <c>..</c> (correction 7).
/// </summary>
internal sealed class ApiHandler(EmulatorState state, Action onApiDisabled)
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public async Task HandleAsync(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? raw : raw[..q];
        var query = QueryHelpers.ParseQuery(q < 0 ? string.Empty : raw[q..]);
        var method = ctx.Request.Method;

        ctx.Response.Headers["Server"] = "mediamtx";
        ctx.Response.Headers["X-MediaMTX-Emulator"] = "1";

        if (path.StartsWith("/_emulator/", StringComparison.Ordinal))
        {
            await SideChannelAsync(ctx, method, path["/_emulator/".Length..], ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (state.TakeFault(path) is { } fault)
        {
            switch (fault.Mode)
            {
                case "reset":
                    ctx.Abort();
                    return;
                case "slow":
                    await Task.Delay(fault.DelayMs, ctx.RequestAborted).ConfigureAwait(false);
                    break;
                default:
                    await ErrorAsync(ctx, fault.Status, fault.Body).ConfigureAwait(false);
                    return;
            }
        }

        lock (state.Gate)
        {
            if (state.Config.Global["apiAllowOrigins"] is JsonArray origins && origins.Any(o => o?.GetValue<string>() == "*"))
            {
                ctx.Response.Headers.AccessControlAllowOrigin = "*";
            }
        }

        if (method == "OPTIONS" && ctx.Request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            ctx.Response.StatusCode = 204;
            ctx.Response.Headers.AccessControlAllowMethods = "OPTIONS, GET, POST, PATCH, DELETE";
            ctx.Response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type";
            return;
        }

        bool hadCredentials;
        var authenticated = state.HttpAuth.Enabled
            ? await AuthenticateHttpAsync(ctx, out hadCredentials).ConfigureAwait(false)
            : Authenticate(ctx, out hadCredentials);
        if (!authenticated)
        {
            if (!hadCredentials)
            {
                ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"mediamtx\"";
            }
            else if (state.Options.AuthFailureDelay > TimeSpan.Zero)
            {
                await Task.Delay(state.Options.AuthFailureDelay, state.Options.TimeProvider, ctx.RequestAborted).ConfigureAwait(false);
            }

            await ErrorAsync(ctx, 401, "authentication error").ConfigureAwait(false);
            return;
        }

        var body = Array.Empty<byte>();
        if (method is "POST" or "PATCH")
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
            body = ms.ToArray();
        }

        int status;
        JsonNode? result;
        var disableApi = false;
        try
        {
            lock (state.Gate)
            {
                (status, result) = Route(method, path, query, body, ref disableApi);
            }
        }
        catch (ApiException ex)
        {
            await ErrorAsync(ctx, ex.Status, ex.Message).ConfigureAwait(false);
            return;
        }

        if (status == 404 && result is null)
        {
            ctx.Response.StatusCode = 404;
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("404 page not found", ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(ctx, status, result!).ConfigureAwait(false);
        if (disableApi)
        {
            onApiDisabled();
        }
    }

    private static JsonObject Ok() => new() { ["status"] = "ok" };

    private (int Status, JsonNode? Body) Route(string method, string path, Dictionary<string, StringValues> query, byte[] body, ref bool disableApi)
    {
        var cfg = state.Config;
        switch (method, path)
        {
            case ("GET", "/v3/info"):
                return (200, new JsonObject { ["started"] = GoFormat.FormatTime(state.Started), ["version"] = state.Options.Version });
            case ("POST", "/v3/auth/jwks/refresh"):
                return (200, Ok());
            case ("GET", "/v3/config/global/get"):
                return (200, ConfigStore.Redact(cfg.Global));
            case ("PATCH", "/v3/config/global/patch"):
            {
                var fields = ConfigStore.Decode(body, global: true);
                var next = state.Latest.Clone();
                foreach (var (k, v) in fields)
                {
                    next.Global[k] = v!.DeepClone();
                }

                state.Submit(next);
                disableApi = !next.Global["api"]!.GetValue<bool>();
                return (200, Ok());
            }

            case ("GET", "/v3/config/pathdefaults/get"):
                return (200, ConfigStore.Redact(cfg.PathDefaults));
            case ("PATCH", "/v3/config/pathdefaults/patch"):
            {
                var fields = ConfigStore.Decode(body, global: false);
                var next = state.Latest.Clone();
                foreach (var (k, v) in fields)
                {
                    next.PathDefaults[k] = v!.DeepClone();
                }

                state.Submit(next);
                return (200, Ok());
            }

            case ("GET", "/v3/config/paths/list"):
                return (200, Paginate(query, cfg.Paths.Keys.Select(n => (JsonNode)ConfigStore.Redact(cfg.Effective(n))).ToList()));
            case ("GET", "/v3/paths/list"):
                return (200, Paginate(query, state.Runtime.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => (JsonNode)PathJson(p)).ToList()));
            case ("GET", "/v3/recordings/list"):
                return (200, Paginate(query, ListRecordings().Select(n => (JsonNode)RecordingJson(n, SegmentStarts(cfg.FindConfOrError(n), n))).ToList()));
            case ("DELETE", "/v3/recordings/deletesegment"):
                DeleteSegment(query);
                return (200, Ok());
            default:
                break;
        }

        if (TryName(path, "/v3/config/paths/get/", out var name) && method == "GET")
        {
            return cfg.Paths.ContainsKey(name)
                ? (200, ConfigStore.Redact(cfg.Effective(name)))
                : throw new ApiException(404, "path configuration not found");
        }

        if (TryName(path, "/v3/config/paths/add/", out name) && method == "POST")
        {
            var fields = ConfigStore.Decode(body, global: false);
            if (state.Latest.Paths.ContainsKey(name))
            {
                throw new ApiException(400, "path already exists");
            }

            var next = state.Latest.Clone();
            next.Paths[name] = fields;
            state.Submit(next);
            return (200, Ok());
        }

        if (TryName(path, "/v3/config/paths/patch/", out name) && method == "PATCH")
        {
            var fields = ConfigStore.Decode(body, global: false);
            if (!state.Latest.Paths.ContainsKey(name))
            {
                throw new ApiException(404, "path not found");
            }

            var next = state.Latest.Clone();
            foreach (var (k, v) in fields)
            {
                next.Paths[name][k] = v!.DeepClone();
            }

            state.Submit(next);
            return (200, Ok());
        }

        if (TryName(path, "/v3/config/paths/replace/", out name) && method == "POST")
        {
            var fields = ConfigStore.Decode(body, global: false);
            var next = state.Latest.Clone();
            next.Paths[name] = fields;
            state.Submit(next);
            return (200, Ok());
        }

        if (TryName(path, "/v3/config/paths/delete/", out name) && method == "DELETE")
        {
            if (!state.Latest.Paths.ContainsKey(name))
            {
                throw new ApiException(404, "path not found");
            }

            var next = state.Latest.Clone();
            next.Paths.Remove(name);
            state.Submit(next);
            return (200, Ok());
        }

        if (TryName(path, "/v3/paths/get/", out name) && method == "GET")
        {
            return state.Runtime.TryGetValue(name, out var rp) ? (200, PathJson(rp)) : throw new ApiException(404, "path not found");
        }

        if (TryName(path, "/v3/recordings/get/", out name) && method == "GET")
        {
            // api_recordings.go:93-99: FindPathConf (exact key first), then the segments, none when the name is invalid.
            return (200, RecordingJson(name, SegmentStarts(cfg.FindConfOrError(name), name)));
        }

        if (Sessions.Route(state, method, path, items => Paginate(query, items)) is { } session)
        {
            return session;
        }

        return (404, null);
    }

    /// <summary>Gin's wildcard param: everything after the prefix, unescaped; empty is "invalid name".</summary>
    private static bool TryName(string path, string prefix, out string name)
    {
        name = string.Empty;
        if (path.StartsWith(prefix, StringComparison.Ordinal) || path == prefix.TrimEnd('/'))
        {
            name = path.Length > prefix.Length ? Uri.UnescapeDataString(path[prefix.Length..]) : string.Empty;
            if (name.Length == 0)
            {
                throw new ApiException(400, "invalid name");
            }

            return true;
        }

        return false;
    }

    private RecordPath RecordPathOfConf(string confName)
    {
        var c = state.Config.Effective(confName);
        return new RecordPath(c["recordPath"]!.GetValue<string>(), c["recordFormat"]!.GetValue<string>(), state.Options.RecordingsRoot);
    }

    /// <summary>
    /// recordstore.FindAllPathsWithSegments (internal/recordstore/segment.go:97-121): a fixed config counts when one file
    /// matches its recordPath; a regex config adds every valid name its regex matches. The names are not checked
    /// against the config that serves them: the list then takes each name's segments from FindPathConf's config
    /// (api_recordings.go:76-79), which may be none.
    /// </summary>
    private SortedSet<string> ListRecordings()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var confName in state.Config.Paths.Keys)
        {
            var rp = RecordPathOfConf(confName);
            if (!ConfigStore.IsRegex(confName))
            {
                if (Recordings.Scan(rp, confName, state.Options.TimeZone).Any())
                {
                    names.Add(confName);
                }

                continue;
            }

            var regex = ConfigStore.ConfRegex(confName)!;
            foreach (var (_, pathName, _) in Recordings.Scan(rp, null, state.Options.TimeZone))
            {
                if (regex.IsMatch(pathName))
                {
                    names.Add(pathName);
                }
            }
        }

        return names;
    }

    /// <summary>recordstore.FindSegments' starts, sorted; empty for an invalid name (segment.go:131-134, the error is dropped).</summary>
    private List<DateTimeOffset> SegmentStarts(string confName, string pathName) =>
        ConfigStore.PathNameProblem(pathName) is null
            ? Recordings.Scan(RecordPathOfConf(confName), pathName, state.Options.TimeZone).Select(s => s.Start).Order().ToList()
            : [];

    private static JsonObject RecordingJson(string name, IEnumerable<DateTimeOffset> starts) => new()
    {
        ["name"] = name,
        ["segments"] = new JsonArray(starts.Select(s => (JsonNode)new JsonObject { ["start"] = GoFormat.FormatTime(s) }).ToArray()),
    };

    private void DeleteSegment(Dictionary<string, StringValues> query)
    {
        // api_recordings.go:103-117: 'start' is parsed (time.Parse RFC3339) before the path is looked up.
        var name = QueryValue(query, "path");
        if (GoFormat.ParseRfc3339(QueryValue(query, "start"), out var start) is { } parseError)
        {
            throw new ApiException(400, $"invalid 'start' parameter: {parseError}");
        }

        var confName = state.Config.FindConfOrError(name);
        var rp = RecordPathOfConf(confName);
        var file = Path.GetFullPath(rp.Encode(name, start));
        var baseDir = Path.GetFullPath(rp.CommonPath(null));

        // absolutePathInside (api_recordings.go:20-36) is a plain string prefix test.
        if (!file.StartsWith(baseDir, StringComparison.Ordinal))
        {
            throw new ApiException(400, "path escapes base directory");
        }

        if (!File.Exists(file))
        {
            throw new ApiException(400, $"remove {file}: no such file or directory");
        }

        File.Delete(file);
    }

    /// <summary>
    /// defs.APIPath as path.go's doAPIPathsGet (internal/core/path.go:674-776 at v1.20.1) fills it. Every field is
    /// always written; times are null while their flag is false; tracks/tracks2/readers are [] when empty.
    /// </summary>
    private static JsonObject PathJson(RuntimePath rp)
    {
        var available = rp.Publisher != null;
        JsonNode? time = rp.AvailableTime is { } t ? GoFormat.FormatTime(t) : null;

        // path.go:229-233: a redirect or a static source (source: rtsp://… that MediaMTX pulls) is the path's source
        // from its creation on, ready or not (id ""); a publisher only while it publishes (path.go:610, :1052).
        var configured = rp.S("source");
        JsonNode? source = configured == "publisher"
            ? rp.Publisher is { } pub ? new JsonObject { ["type"] = "rtspSession", ["id"] = pub.Id } : null
            : new JsonObject { ["type"] = SourceType(configured), ["id"] = string.Empty };

        // path.go:214-216 isOnline: the online hook is set (a stream is available) or a source exists (alwaysAvailable
        // is not modelled). onlineTime is set when the stream becomes available (path.go:884); before that a static
        // source's path reports Go's zero time.
        var online = available || source != null;
        JsonNode? onlineTime = online ? time?.DeepClone() ?? JsonValue.Create(GoFormat.FormatTime(DateTimeOffset.MinValue)) : null;

        var tracks = rp.Publisher?.Tracks ?? [];

        // path.go:757-771: readers sorted by type, then id.
        var readers = rp.Readers.OrderBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal);
        return new JsonObject
        {
            ["name"] = rp.Name,
            ["confName"] = rp.ConfName,
            ["source"] = source,
            ["ready"] = available,
            ["readyTime"] = time?.DeepClone(),
            ["available"] = available,
            ["availableTime"] = time?.DeepClone(),
            ["online"] = online,
            ["onlineTime"] = onlineTime,
            ["tracks"] = new JsonArray(tracks.Select(x => (JsonNode)CodecLabel(x.Codec)).ToArray()),
            ["tracks2"] = new JsonArray(tracks.Select(x => (JsonNode)new JsonObject
            {
                // api_path_track.go:16-21: tracks2's codec is the same label as tracks'.
                ["codec"] = CodecLabel(x.Codec),
                ["codecProps"] = x.Codec is "H264" or "H265"
                    ? new JsonObject { ["width"] = x.Width, ["height"] = x.Height, ["profile"] = x.Profile, ["level"] = x.Level }
                    : null,
            }).ToArray()),
            ["readers"] = new JsonArray(readers.Select(r => (JsonNode)new JsonObject { ["type"] = r.Type, ["id"] = r.Id }).ToArray()),
            ["inboundBytes"] = rp.InboundBytes,
            ["inboundFramesInError"] = 0,
            ["outboundBytes"] = rp.OutboundBytes,
            ["bytesReceived"] = rp.InboundBytes,
            ["bytesSent"] = rp.OutboundBytes,
        };
    }

    /// <summary>formatlabel.FormatToLabel (internal/formatlabel/label.go): the names gortsplib's formats are shown with.</summary>
    private static string CodecLabel(string codec) => codec switch
    {
        "MPEG4Audio" => "MPEG-4 Audio",
        "MPEG4AudioLATM" => "MPEG-4 Audio LATM",
        "MPEG4Video" => "MPEG-4 Video",
        "MPEG1Video" => "MPEG-1/2 Video",
        "MPEG1Audio" => "MPEG-1/2 Audio",
        "MJPEG" => "M-JPEG",
        "MPEGTS" => "MPEG-TS",
        _ => codec,
    };

    /// <summary>The source type of a non-publisher source (staticsources/handler.go:97-175, source_redirect.go:15).</summary>
    private static string SourceType(string source)
    {
        bool Has(params string[] schemes) => schemes.Any(x => source.StartsWith(x + "://", StringComparison.Ordinal));
        return source switch
        {
            "redirect" => "redirect",
            "rpiCamera" => "rpiCameraSource",
            _ when Has("rtsp", "rtsps", "rtsp+http", "rtsps+http", "rtsp+ws", "rtsps+ws") => "rtspSource",
            _ when Has("rtmp", "rtmps") => "rtmpSource",
            _ when Has("http", "https") => "hlsSource",
            _ when Has("udp", "udp+mpegts", "unix+mpegts") => "mpegtsSource",
            _ when Has("udp+rtp", "unix+rtp") => "rtpSource",
            _ when Has("srt") => "srtSource",
            _ when Has("moqt") => "moqSource",
            _ when Has("whep", "wheps") => "webRTCSource",
            _ => throw new InvalidOperationException($"source '{source}' passed config validation but has no source type"),
        };
    }

    private static JsonObject Paginate(Dictionary<string, StringValues> query, List<JsonNode> items)
    {
        // paginate.go:31-57 reads gin's ctx.Query: the first value, and an empty one means "not given".
        var perPage = 100;
        var page = 0;
        if (QueryValue(query, "itemsPerPage") is { Length: > 0 } ipp)
        {
            perPage = ParseUint31(ipp);
            if (perPage == 0)
            {
                throw new ApiException(400, "invalid items per page");
            }
        }

        if (QueryValue(query, "page") is { Length: > 0 } pg)
        {
            page = ParseUint31(pg);
        }

        var pageCount = (items.Count + perPage - 1) / perPage;
        var slice = items.Skip((int)Math.Min((long)page * perPage, int.MaxValue)).Take(perPage).Select(i => i.DeepClone()).ToArray();
        return new JsonObject { ["itemCount"] = items.Count, ["pageCount"] = pageCount, ["items"] = new JsonArray(slice) };
    }

    /// <summary>gin's ctx.Query: the first value of a query parameter, or "" when it is absent.</summary>
    private static string QueryValue(Dictionary<string, StringValues> query, string key) =>
        query.TryGetValue(key, out var v) && v.Count > 0 ? v[0] ?? string.Empty : string.Empty;

    private static int ParseUint31(string s)
    {
        if (s.Length == 0 || !s.All(char.IsAsciiDigit))
        {
            throw new ApiException(400, $"strconv.ParseUint: parsing \"{s}\": invalid syntax");
        }

        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw new ApiException(400, $"strconv.ParseUint: parsing \"{s}\": value out of range");
        }

        return v;
    }

    // ---- auth (E2) ----

    // authMethod: http — the API's "api" action goes to the external authenticator with the request's credentials.
    private Task<bool> AuthenticateHttpAsync(HttpContext ctx, out bool hadCredentials)
    {
        var credentials = SimulatedClients.Credentials(ctx.Request.Headers.Authorization.ToString());
        hadCredentials = credentials.User.Length > 0 || credentials.Password.Length > 0 || credentials.Token.Length > 0;
        var ip = ctx.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        return state.HttpAuth.CheckAsync("api", string.Empty, string.Empty, credentials, ctx.Request.QueryString.Value?.TrimStart('?') ?? string.Empty, ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, ctx.RequestAborted);
    }

    private bool Authenticate(HttpContext ctx, out bool hadCredentials)
    {
        string? user = null, pass = null, token = null;
        var header = ctx.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var i = decoded.IndexOf(':', StringComparison.Ordinal);
                (user, pass) = i < 0 ? (decoded, string.Empty) : (decoded[..i], decoded[(i + 1)..]);
            }
            catch (FormatException)
            {
                user = string.Empty;
            }
        }
        else if (header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            var v = header[7..].Trim();
            if (v.Count(c => c == ':') == 1)
            {
                (user, pass) = (v[..v.IndexOf(':', StringComparison.Ordinal)], v[(v.IndexOf(':', StringComparison.Ordinal) + 1)..]);
            }
            else
            {
                token = v;
            }
        }

        hadCredentials = !string.IsNullOrEmpty(user) || !string.IsNullOrEmpty(pass) || !string.IsNullOrEmpty(token);
        if (token != null && state.Options.ApiTokens.Contains(token))
        {
            return true;
        }

        var ip = ctx.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        JsonArray users;
        lock (state.Gate)
        {
            users = (JsonArray)state.Config.Global["authInternalUsers"]!.DeepClone();
        }

        foreach (var u in users.OfType<JsonObject>())
        {
            var ips = u["ips"] as JsonArray ?? [];
            if (ips.Count > 0 && !ips.Any(c => IPNetwork.TryParse(c!.GetValue<string>(), out var net) && net.Contains(ip)))
            {
                continue;
            }

            var perms = u["permissions"] as JsonArray ?? [];
            if (!perms.OfType<JsonObject>().Any(p => p["action"]?.GetValue<string>() == "api"))
            {
                continue;
            }

            var uname = u["user"]?.GetValue<string>() ?? string.Empty;
            if (uname == "any" || (uname == user && PasswordMatches(u["pass"]?.GetValue<string>() ?? string.Empty, pass ?? string.Empty)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool PasswordMatches(string stored, string given)
    {
        if (stored.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return stored[7..] == Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(given)));
        }

        return stored == given;
    }

    // ---- side channel (§8.3) ----

    private async Task SideChannelAsync(HttpContext ctx, string method, string op, CancellationToken ct)
    {
        JsonObject body = [];
        if (method is "POST" or "PUT")
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
            if (ms.Length > 0)
            {
                body = JsonNode.Parse(ms.ToArray()) as JsonObject ?? [];
            }
        }

        string S(string k) => body[k]?.GetValue<string>() ?? throw new ApiException(400, $"'{k}' is required");
        if (method == "POST" && op is "read" or "publishAs")
        {
            // A simulated RTSP/HLS client with credentials: authenticated like MediaMTX's servers do (outside the lock).
            string O(string k) => body[k]?.GetValue<string>() ?? string.Empty;
            var client = new ClientCredentials(O("user"), O("pass"), O("token"));
            var protocol = body["protocol"]?.GetValue<string>() ?? "rtsp";
            try
            {
                var id = op == "read"
                    ? await SimulatedClients.ReadAsync(state, S("path"), protocol, client, O("query"), ct).ConfigureAwait(false)
                    : await SimulatedClients.PublishAsync(state, S("path"), protocol, client, O("query"), ct).ConfigureAwait(false);
                await WriteJsonAsync(ctx, 200, new JsonObject { ["status"] = "ok", ["id"] = id }).ConfigureAwait(false);
            }
            catch (ApiException ex)
            {
                await ErrorAsync(ctx, ex.Status, ex.Message).ConfigureAwait(false);
            }

            return;
        }

        try
        {
            JsonNode result = Ok();
            lock (state.Gate)
            {
                switch (method, op)
                {
                    case ("POST", "publish"):
                    {
                        var tracks = body["tracks"] is JsonArray arr
                            ? arr.OfType<JsonObject>().Select(t => new TrackSpec(
                                t["codec"]?.GetValue<string>() ?? "H264",
                                t["width"]?.GetValue<int>() ?? 640,
                                t["height"]?.GetValue<int>() ?? 480,
                                t["profile"]?.GetValue<string>() ?? "Main",
                                t["level"]?.GetValue<string>() ?? "3.1")).ToList()
                            : [new TrackSpec("H264")];
                        state.Publish(S("path"), tracks);
                        break;
                    }

                    case ("POST", "unpublish"):
                        state.Unpublish(S("path"));
                        break;
                    case ("POST", "addReader"):
                        result = new JsonObject { ["status"] = "ok", ["id"] = state.AddReader(S("path"), body["type"]?.GetValue<string>() ?? "webRTCSession") };
                        break;
                    case ("POST", "removeReader"):
                        state.RemoveReader(S("path"), S("id"));
                        break;
                    case ("POST", "advance"):
                        state.Advance(TimeSpan.FromSeconds(body["seconds"]?.GetValue<double>() ?? throw new ApiException(400, "'seconds' is required")));
                        break;
                    case ("POST", "restart"):
                        state.Restart();
                        break;
                    case ("GET", "hooks"):
                        result = new JsonObject { ["items"] = JsonSerializer.SerializeToNode(state.Hooks, Json) };
                        break;
                    case ("DELETE", "hooks"):
                        state.ClearHooks();
                        break;
                    case ("POST", "fail"):
                        state.AddFault(new FaultRule(
                            body["route"]?.GetValue<string>() ?? "*",
                            body["mode"]?.GetValue<string>() ?? "status",
                            body["status"]?.GetValue<int>() ?? 500,
                            body["body"]?.GetValue<string>() ?? "terminated",
                            body["times"]?.GetValue<int>() ?? -1,
                            body["delayMs"]?.GetValue<int>() ?? 0));
                        break;
                    case ("DELETE", "fail"):
                        state.ClearFaults();
                        break;
                    default:
                        throw new ApiException(404, "unknown side-channel operation");
                }
            }

            await WriteJsonAsync(ctx, 200, result).ConfigureAwait(false);
        }
        catch (ApiException ex)
        {
            await ErrorAsync(ctx, ex.Status, ex.Message).ConfigureAwait(false);
        }
    }

    private static Task ErrorAsync(HttpContext ctx, int status, string message) =>
        WriteJsonAsync(ctx, status, new JsonObject { ["status"] = "error", ["error"] = message });

    private static async Task WriteJsonAsync(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, Json), ctx.RequestAborted).ConfigureAwait(false);
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MediaMtxEmulator;

/// <summary>A 4xx answer: status and the exact MediaMTX error text.</summary>
internal sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// MediaMTX's config model (E3–E6): global, pathDefaults and, per path, only the fields set explicitly. Every mutation
/// works on a copy that is validated as a whole before it replaces the current config, so a 400 changes nothing.
/// </summary>
internal sealed class ConfigStore
{
    private const int MaxBody = 10 * 1024 * 1024;

    public ConfigStore(bool seedAllOthers)
    {
        Global = (JsonObject)ConfSchema.GlobalDefaults.DeepClone();
        Global["api"] = true;
        PathDefaults = (JsonObject)ConfSchema.PathDefaults.DeepClone();
        Paths = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        if (seedAllOthers)
        {
            Paths["all_others"] = [];
        }
    }

    private ConfigStore(JsonObject global, JsonObject pathDefaults, SortedDictionary<string, JsonObject> paths)
    {
        Global = global;
        PathDefaults = pathDefaults;
        Paths = paths;
    }

    /// <summary>Effective global config (deprecated keys present only when set).</summary>
    public JsonObject Global { get; }

    /// <summary>Effective path defaults.</summary>
    public JsonObject PathDefaults { get; }

    /// <summary>Explicit fields per configured path name (sorted like Go's sort.Strings).</summary>
    public SortedDictionary<string, JsonObject> Paths { get; }

    public ConfigStore Clone() => new(
        (JsonObject)Global.DeepClone(),
        (JsonObject)PathDefaults.DeepClone(),
        new SortedDictionary<string, JsonObject>(Paths.ToDictionary(p => p.Key, p => (JsonObject)p.Value.DeepClone()), StringComparer.Ordinal));

    /// <summary>The effective config of a path: name, then pathDefaults overlaid with its explicit fields.</summary>
    public JsonObject Effective(string name)
    {
        var explicitFields = Paths[name];
        var o = new JsonObject { ["name"] = name };
        foreach (var (k, v) in PathDefaults)
        {
            o[k] = explicitFields.TryGetPropertyValue(k, out var e) ? e!.DeepClone() : v!.DeepClone();
        }

        foreach (var (k, v) in explicitFields)
        {
            if (!o.ContainsKey(k))
            {
                o[k] = v!.DeepClone();
            }
        }

        return o;
    }

    /// <summary>Config names are regular expressions when they start with '~' or are the aliases all/all_others.</summary>
    public static bool IsRegex(string name) => name.StartsWith('~') || name is "all" or "all_others";

    public static Regex? ConfRegex(string name) => name switch
    {
        "all" or "all_others" => new Regex("^.*$", RegexOptions.None, TimeSpan.FromSeconds(1)),
        _ when name.StartsWith('~') => new Regex(name[1..], RegexOptions.None, TimeSpan.FromSeconds(1)),
        _ => null,
    };

    /// <summary>
    /// Finds the config serving a path name like conf.FindPathConf (internal/conf/path.go:167-207 at v1.20.1): an exact
    /// key first (any key, even a regex one, and before the name is validated), then the regex configs sorted by name
    /// with <c>all</c> and <c>all_others</c> last. Null when none matches.
    /// </summary>
    public string? FindConf(string pathName)
    {
        if (Paths.ContainsKey(pathName))
        {
            return pathName;
        }

        return PathNameProblem(pathName) is null
            ? RegexConfsInMatchOrder().FirstOrDefault(name => ConfRegex(name)!.IsMatch(pathName))
            : null;
    }

    /// <summary>FindConf with FindPathConf's errors (internal/conf/path.go:175-178 and :206), thrown as 400s the way the API writes them.</summary>
    public string FindConfOrError(string pathName)
    {
        if (FindConf(pathName) is { } found)
        {
            return found;
        }

        throw PathNameProblem(pathName) is { } problem
            ? new ApiException(400, $"invalid path name: {problem} ({pathName})")
            : new ApiException(400, $"path '{pathName}' is not configured");
    }

    /// <summary>Regex configs in FindPathConf's order: by name (ordinal), but <c>all</c>/<c>all_others</c> after every other.</summary>
    private IEnumerable<string> RegexConfsInMatchOrder() =>
        Paths.Keys.Where(IsRegex).OrderBy(n => n is "all" or "all_others" ? 1 : 0).ThenBy(n => n, StringComparer.Ordinal);

    /// <summary>Checks a concrete path name like conf.IsValidPathName; returns the reason or null.</summary>
    public static string? PathNameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "cannot be empty";
        }

        if (name[0] == '/')
        {
            return "can't begin with a slash";
        }

        if (name[^1] == '/')
        {
            return "can't end with a slash";
        }

        if (!Regex.IsMatch(name, "^[0-9a-zA-Z_\\-/\\.]+$", RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            return "can contain only alphanumeric characters, underscore, dot, minus, slash";
        }

        if (name.Split('/').Any(s => s is "." or ".."))
        {
            return "can't contain dot path segments";
        }

        return null;
    }

    // ---- decoding (E4) ----

    /// <summary>Strict decode of a PathConf or GlobalConf body into the explicitly given, normalized fields.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body, bool global)
    {
        if (body.Length > MaxBody)
        {
            throw new ApiException(400, "size exceeds maximum allowed");
        }

        if (body.Trim((byte)' ').IsEmpty)
        {
            throw new ApiException(400, "unexpected end of JSON input");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException ex)
        {
            throw new ApiException(400, ex.Message.Contains("end of data", StringComparison.OrdinalIgnoreCase) ? "unexpected end of JSON input" : "invalid character in JSON input");
        }

        using (doc)
        {
            var structName = global ? "conf.Conf" : "conf.OptionalPath";
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ApiException(400, $"json: cannot unmarshal {ConfSchema.JsonKind(doc.RootElement.ValueKind)} into Go value of type {structName}");
            }

            var types = global ? ConfSchema.GlobalTypes : ConfSchema.PathTypes;
            var durations = global ? ConfSchema.GlobalDurations : ConfSchema.PathDurations;
            var sizes = global ? ConfSchema.GlobalSizes : ConfSchema.PathSizes;
            var result = new JsonObject();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!types.TryGetValue(p.Name, out var type) || (!global && p.Name == "name"))
                {
                    throw new ApiException(400, $"json: unknown field \"{p.Name}\"");
                }

                if (p.Value.ValueKind == JsonValueKind.Null)
                {
                    // Every top-level field is a pointer: null means "not set" (correction 1).
                    continue;
                }

                var ok = type switch
                {
                    "boolean" => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                    "integer" => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out _),
                    "number" => p.Value.ValueKind == JsonValueKind.Number,
                    "array" => p.Value.ValueKind == JsonValueKind.Array,
                    "object" => p.Value.ValueKind == JsonValueKind.Object,
                    _ => p.Value.ValueKind == JsonValueKind.String,
                };
                if (!ok)
                {
                    throw new ApiException(400, $"json: cannot unmarshal {ConfSchema.JsonKind(p.Value.ValueKind)} into Go value of type {ConfSchema.GoType(type)}");
                }

                JsonNode node = JsonNode.Parse(p.Value.GetRawText())!;
                if (durations.Contains(p.Name))
                {
                    var s = p.Value.GetString()!;
                    if (!GoFormat.TryParseDuration(s, out var d))
                    {
                        throw new ApiException(400, $"time: invalid duration \"{s}\"");
                    }

                    node = GoFormat.FormatDuration(d);
                }
                else if (sizes.Contains(p.Name))
                {
                    var s = p.Value.GetString()!;
                    if (!GoFormat.TryParseSize(s, out var b))
                    {
                        throw new ApiException(400, "byte quantity must be a positive integer with a unit of measurement like M, MB, MiB, G, GiB, or GB");
                    }

                    node = GoFormat.FormatSize(b);
                }
                else if (type == "array")
                {
                    CheckNestedSlices(p.Name, node.AsArray());
                }

                CheckEnum(p.Name, node);
                result[p.Name] = node;
                if (!global)
                {
                    // Deprecated aliases are copied into their successors (and echoed only when set).
                    var alias = p.Name switch
                    {
                        "runOnReady" => "runOnAvailable",
                        "runOnReadyRestart" => "runOnAvailableRestart",
                        "runOnNotReady" => "runOnUnavailable",
                        "disablePublisherOverride" => "overridePublisher",
                        _ => null,
                    };
                    if (alias == "overridePublisher")
                    {
                        result[alias] = !p.Value.GetBoolean();
                    }
                    else if (alias != null)
                    {
                        result[alias] = node.DeepClone();
                    }
                }
            }

            return result;
        }
    }

    private static void CheckNestedSlices(string field, JsonArray array)
    {
        foreach (var item in array)
        {
            if (item is JsonObject o)
            {
                foreach (var (k, v) in o)
                {
                    if (v is null && k is "permissions" or "ips" or "urls")
                    {
                        throw new ApiException(400, $"cannot set slice \"{k}\" to nil");
                    }
                }
            }
        }

        _ = field;
    }

    private static void CheckEnum(string field, JsonNode node)
    {
        string? Str() => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        switch (field)
        {
            case "recordFormat" when Str() is not ("fmp4" or "mpegts"):
                throw new ApiException(400, $"invalid record format '{Str()}'");
            case "rtspTransport" when Str() is not ("automatic" or "udp" or "multicast" or "tcp"):
                throw new ApiException(400, $"invalid transport '{Str()}'");
            case "rtspRangeType" when Str() is not ("" or "clock" or "npt" or "smpte"):
                throw new ApiException(400, $"invalid rtsp range type: '{Str()}'");
            case "logLevel" when Str() is not ("error" or "warn" or "info" or "debug"):
                throw new ApiException(400, $"invalid log level: '{Str()}'");
            case "authMethod" when Str() is not ("internal" or "http" or "jwt"):
                throw new ApiException(400, $"invalid authMethod: '{Str()}'");
            case "hlsVariant" when Str() is not ("mpegts" or "fmp4" or "lowLatency"):
                throw new ApiException(400, $"invalid HLS variant: '{Str()}'");
            case "rtspEncryption" or "rtmpEncryption" when Str() is not ("no" or "optional" or "strict"):
                throw new ApiException(400, $"invalid encryption value: '{Str()}'");
            default:
                break;
        }
    }

    // ---- validation (E5) ----

    /// <summary>Validates the whole config like conf.Conf.Validate (the subset of E5).</summary>
    public void Validate()
    {
        if (Global["api"]!.GetValue<bool>() && string.IsNullOrEmpty(Global["apiAddress"]!.GetValue<string>()))
        {
            throw new ApiException(400, "'apiAddress' must be set");
        }

        var playback = Global["playback"]!.GetValue<bool>();
        ValidatePath("pathDefaults", PathDefaults, false, playback);
        foreach (var name in Paths.Keys)
        {
            if (IsRegex(name))
            {
                try
                {
                    _ = ConfRegex(name);
                }
                catch (ArgumentException)
                {
                    throw new ApiException(400, $"invalid regular expression: {name[1..]}");
                }
            }
            else if (PathNameProblem(name) is { } problem)
            {
                throw new ApiException(400, $"invalid path name '{name}': {problem}");
            }

            ValidatePath(name, Effective(name), IsRegex(name), playback);
        }
    }

    /// <summary>path.go:589-597 and checkRedirect (path.go:67-81): "/name" must be a valid path name, anything else an RTSP URL.</summary>
    private static void CheckRedirect(string target)
    {
        if (target.Length == 0)
        {
            throw new ApiException(400, "source redirect must be filled");
        }

        if (target.StartsWith('/'))
        {
            if (PathNameProblem(target[1..]) is { } problem)
            {
                throw new ApiException(400, $"'{target}': {problem}");
            }
        }
        else if (!Uri.TryCreate(target, UriKind.Absolute, out var u) || u.Scheme is not ("rtsp" or "rtsps"))
        {
            throw new ApiException(400, $"'{target}' is not a valid RTSP URL");
        }
    }

    private static void ValidatePath(string name, JsonObject c, bool regex, bool playback)
    {
        string S(string k) => c[k]?.GetValue<string>() ?? string.Empty;
        bool B(string k) => c[k]?.GetValue<bool>() ?? false;
        _ = name;

        var source = S("source");
        // path.go:489-588 (v1.20.1): the schemes a static source may use (moqt, not moq).
        var urlSchemes = new[] { "rtsp://", "rtsps://", "rtsp+http://", "rtsps+http://", "rtsp+ws://", "rtsps+ws://", "rtmp://", "rtmps://", "http://", "https://", "udp://", "udp+rtp://", "udp+mpegts://", "unix+mpegts://", "unix+rtp://", "srt://", "moqt://", "whep://", "wheps://" };
        // path.go:468-470 comes before the source switch.
        if (source != "redirect" && S("sourceRedirect").Length > 0)
        {
            throw new ApiException(400, "'sourceRedirect' is useless when source is not 'redirect'");
        }

        if (source is not ("publisher" or "redirect" or "rpiCamera") && !urlSchemes.Any(s => source.StartsWith(s, StringComparison.Ordinal)))
        {
            throw new ApiException(400, $"invalid source: '{source}'");
        }

        if (source == "redirect")
        {
            CheckRedirect(S("sourceRedirect"));
        }

        if (source == "publisher" && B("sourceOnDemand"))
        {
            throw new ApiException(400, "'sourceOnDemand' is useless when source is 'publisher'");
        }

        if (source != "publisher" && (S("runOnDemand").Length > 0 || S("runOnUnDemand").Length > 0))
        {
            throw new ApiException(400, "'runOnDemand' and 'runOnUnDemand' can be used only when source is 'publisher'");
        }

        if (regex && S("runOnInit").Length > 0)
        {
            throw new ApiException(400, "a path with a regular expression (or path 'all') does not support option 'runOnInit'; use another path");
        }

        if (B("alwaysAvailable") && (S("runOnDemand").Length > 0 || B("sourceOnDemand")))
        {
            throw new ApiException(400, "'alwaysAvailable' cannot be used together with 'runOnDemand' or 'sourceOnDemand'");
        }

        var recordPath = S("recordPath");
        if (!recordPath.Contains("%path", StringComparison.Ordinal))
        {
            throw new ApiException(400, "'recordPath' must contain %path");
        }

        if (!recordPath.Contains("%s", StringComparison.Ordinal) &&
            !new[] { "%Y", "%m", "%d", "%H", "%M", "%S" }.All(p => recordPath.Contains(p, StringComparison.Ordinal)))
        {
            throw new ApiException(400, "'recordPath' must contain either %s or %Y %m %d %H %M %S");
        }

        if (playback && !recordPath.Contains("%f", StringComparison.Ordinal))
        {
            throw new ApiException(400, "'recordPath' must contain %f");
        }

        _ = GoFormat.TryParseDuration(S("recordSegmentDuration"), out var seg);
        _ = GoFormat.TryParseDuration(S("recordDeleteAfter"), out var deleteAfter);
        if (seg > TimeSpan.FromDays(1))
        {
            throw new ApiException(400, "maximum segment duration is 1 day");
        }

        if (deleteAfter != TimeSpan.Zero && deleteAfter < seg)
        {
            throw new ApiException(400, "'recordDeleteAfter' cannot be lower than 'recordSegmentDuration'");
        }
    }

    /// <summary>Redacts stored credentials like every config GET does.</summary>
    public static JsonObject Redact(JsonObject o)
    {
        var c = (JsonObject)o.DeepClone();
        foreach (var key in new[] { "readPass", "publishPass" })
        {
            if (c[key]?.GetValue<string>() is { Length: > 0 })
            {
                c[key] = "<redacted>";
            }
        }

        if (c["authInternalUsers"] is JsonArray users)
        {
            foreach (var u in users.OfType<JsonObject>().Where(u => u["pass"]?.GetValue<string>() is { Length: > 0 }))
            {
                u["pass"] = "<redacted>";
            }
        }

        return c;
    }

    public static string Describe(JsonObject o) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(o));
}

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MediaMtxEmulator;

/// <summary>Key sets, types and defaults of GlobalConf and PathConf (from the OpenAPI schema and mediamtx.yml).</summary>
internal static class ConfSchema
{
    public static readonly IReadOnlyDictionary<string, string> PathTypes = LoadTypes("path-conf-types.json");
    public static readonly IReadOnlyDictionary<string, string> GlobalTypes = LoadTypes("global-conf.json");
    public static readonly JsonObject PathDefaults = (JsonObject)Load("path-defaults.json");
    public static readonly JsonObject GlobalDefaults = (JsonObject)Load("global-conf.json")["defaults"]!;

    public static readonly HashSet<string> PathDurations =
    [
        "sourceOnDemandStartTimeout", "sourceOnDemandCloseAfter", "recordPartDuration", "recordSegmentDuration",
        "recordDeleteAfter", "whepSTUNGatherTimeout", "whepHandshakeTimeout", "whepTrackGatherTimeout",
        "runOnDemandStartTimeout", "runOnDemandCloseAfter",
    ];

    public static readonly HashSet<string> PathSizes = ["recordMaxPartSize"];

    public static readonly HashSet<string> GlobalDurations =
    [
        "readTimeout", "writeTimeout", "hlsMuxerCloseAfter", "hlsSegmentDuration", "hlsPartDuration",
        "webrtcHandshakeTimeout", "webrtcTrackGatherTimeout", "webrtcSTUNGatherTimeout",
        "recordPartDuration", "recordSegmentDuration", "recordDeleteAfter",
    ];

    public static readonly HashSet<string> GlobalSizes = ["hlsSegmentMaxSize"];

    /// <summary>Path fields whose change does not recreate the runtime path (pathConfCanBeUpdated).</summary>
    public static readonly HashSet<string> HotReloadable =
    [
        "record", "recordPath", "recordFormat", "recordPartDuration", "recordMaxPartSize", "recordSegmentDuration",
        "recordDeleteAfter", "forward", "rpiCameraBrightness", "rpiCameraContrast", "rpiCameraSaturation",
        "rpiCameraSharpness", "rpiCameraExposure", "rpiCameraAWB", "rpiCameraAWBGains", "rpiCameraDenoise",
        "rpiCameraShutter", "rpiCameraMetering", "rpiCameraGain", "rpiCameraEV", "rpiCameraFPS",
    ];

    /// <summary>Record fields: a change restarts the recorder.</summary>
    public static readonly HashSet<string> RecordFields =
    [
        "record", "recordPath", "recordFormat", "recordPartDuration", "recordMaxPartSize", "recordSegmentDuration", "recordDeleteAfter",
    ];

    /// <summary>Global fields that recreate the path manager (and so every path).</summary>
    public static readonly HashSet<string> PathManagerGlobals =
    [
        "logLevel", "readTimeout", "writeTimeout", "writeQueueSize", "udpReadBufferSize", "udpMaxPayloadSize",
        "rtspAddress", "rtspEncryption", "dumpPackets", "metrics", "metricsAddress", "authMethod", "authInternalUsers",
        "authHTTPAddress", "authJWTJWKS",
    ];

    /// <summary>Deprecated path keys: accepted, echoed only when set.</summary>
    public static readonly HashSet<string> PathDeprecated = PathTypes.Keys.Where(k => k != "name" && !PathDefaults.ContainsKey(k)).ToHashSet();

    /// <summary>Deprecated global keys: accepted, echoed only when set.</summary>
    public static readonly HashSet<string> GlobalDeprecated = GlobalTypes.Keys.Where(k => !GlobalDefaults.ContainsKey(k)).ToHashSet();

    private static JsonNode Load(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("Missing resource " + name);
        return JsonNode.Parse(s)!;
    }

    private static Dictionary<string, string> LoadTypes(string name)
    {
        var node = Load(name)["types"]!.AsObject();
        return node.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>Go type name for a schema type (used in decode error texts).</summary>
    public static string GoType(string schemaType) => schemaType switch
    {
        "boolean" => "bool",
        "integer" => "int",
        "number" => "float64",
        "array" => "[]string",
        "object" => "map[string]interface {}",
        _ => "string",
    };

    /// <summary>JSON kind name as Go's decoder names it.</summary>
    public static string JsonKind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Number => "number",
        JsonValueKind.String => "string",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "null",
    };
}

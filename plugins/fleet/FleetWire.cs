using System.Buffers;
using System.Text.Json;
using NATS.Client.Core;

namespace CameraService.Plugins.Fleet;

// The node side of the fleet protocol that does not need the core: what a node announces, where it publishes a
// notification, how it checks a gateway's request and how it refuses one. FleetNode uses these, and so does the
// perf harness's node simulator (perf/CameraService.Perf/Fleet, which links this file), so the two cannot drift.

/// <summary>A node's announcement (its heartbeat and its <c>fleet_nodes</c> KV entry).</summary>
internal static class FleetAnnouncement
{
    /// <summary>
    /// <c>{node, version, base_url, started_at, cameras}</c>; <paramref name="cameras"/> is the <c>cameras</c>
    /// array of the node's <c>get_camera_list</c> (undefined when the answer had none).
    /// </summary>
    public static byte[] Write(string nodeId, string version, string? baseUrl, string startedAt, JsonElement cameras)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("node", nodeId);
            writer.WriteString("version", version);
            writer.WriteString("base_url", baseUrl);
            writer.WriteString("started_at", startedAt);
            writer.WritePropertyName("cameras");
            cameras.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>Where a node publishes one of its notifications.</summary>
internal static class FleetEvents
{
    /// <summary>
    /// The subject of a JSON-RPC notification (<c>fleet.evt.&lt;node&gt;.&lt;device or _&gt;.&lt;method&gt;</c>),
    /// or null when the message names no method.
    /// </summary>
    public static string? SubjectOf(string nodeId, ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var method = root.TryGetProperty("method", out var m) ? m.GetString() : null;
        string? device = null;
        if (root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("device", out var d) && d.ValueKind == JsonValueKind.String)
        {
            device = d.GetString();
        }

        return method is null ? null : FleetSubjects.Event(nodeId, device, method);
    }
}

/// <summary>A gateway request as a node receives it: the signed headers.</summary>
internal readonly record struct FleetRequest(string? Timestamp, string? Nonce, string? User, string? Role, string? Gateway, string? Signature)
{
    public static FleetRequest Of(NatsHeaders? headers)
    {
        string? Header(string name) => headers is { } h && h.TryGetValue(name, out var v) ? v.ToString() : null;
        return new FleetRequest(
            Header(FleetSubjects.HeaderTimestamp),
            Header(FleetSubjects.HeaderNonce),
            Header(FleetSubjects.HeaderUser),
            Header(FleetSubjects.HeaderRole),
            Header(FleetSubjects.HeaderGateway),
            Header(FleetSubjects.HeaderSignature));
    }

    /// <summary>Null when the request is genuine, fresh and new for <paramref name="nodeId"/>; otherwise the reason it is refused.</summary>
    public string? Verify(FleetSigner signer, string nodeId, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Verify(nodeId, Timestamp, Nonce, User, Role, Signature, body);
    }
}

/// <summary>JSON-RPC answers the fleet writes itself (a refused request).</summary>
internal static class RpcReplies
{
    public const int AuthenticationFailed = -32001;
    public const int NotFound = -32010;
    public const int InvalidState = -32020;
    public const int Unsupported = -32030;
    public const int DependencyFailed = -32050;
    public const int PermissionDenied = -32002;

    public static string Message(int code) => code switch
    {
        AuthenticationFailed => "Authentication failed or token expired",
        PermissionDenied => "Permission denied",
        NotFound => "Not found",
        InvalidState => "Invalid state",
        Unsupported => "Unsupported",
        DependencyFailed => "Dependency failed",
        _ => "Error",
    };

    /// <summary>An error response to <paramref name="request"/> (its id is copied when it can be read).</summary>
    public static byte[] Error(ReadOnlySpan<byte> request, int code, string reason)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteStartObject("error");
            writer.WriteNumber("code", code);
            writer.WriteString("message", Message(code));
            writer.WriteStartObject("data");
            writer.WriteString("reason", reason);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WritePropertyName("id");
            WriteId(writer, request);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteId(Utf8JsonWriter writer, ReadOnlySpan<byte> request)
    {
        try
        {
            var reader = new Utf8JsonReader(request);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id", out var id)
                && id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            {
                id.WriteTo(writer);
                return;
            }
        }
        catch (JsonException)
        {
            // Not JSON: the answer carries id null, as the contract does for a parse error.
        }

        writer.WriteNullValue();
    }
}

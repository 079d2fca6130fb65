using System.Text.Json.Nodes;

namespace CameraService.Plugins.Fleet;

/// <summary>What the gateway knows about one node. Guarded by its own lock (<see cref="Gate"/>).</summary>
internal sealed class FleetNodeState(string id)
{
    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    public string Version { get; set; } = "unknown";

    public string? BaseUrl { get; set; }

    public string? StartedAt { get; set; }

    /// <summary>Up (heard within <c>Fleet:NodeTimeout</c>), Down (lost), or null (known from KV, not heard yet).</summary>
    public bool? Up { get; set; }

    public long LastSeen { get; set; }

    public DateTimeOffset? LastSeenAt { get; set; }

    /// <summary>The node's cameras as it last reported them (node-local ids), by local id.</summary>
    public Dictionary<string, JsonObject> Cameras { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The node-local id of this node's camera with <paramref name="stableId"/>, if the node reported it.</summary>
    public string? LocalId(string stableId)
    {
        lock (Gate)
        {
            return Cameras.FirstOrDefault(c => string.Equals(c.Value["stable_id"]?.GetValue<string>(), stableId, StringComparison.Ordinal)).Key;
        }
    }

    /// <summary>Copies of the node's cameras as it last reported them.</summary>
    public List<JsonObject> CopyCameras()
    {
        lock (Gate)
        {
            return [.. Cameras.Values.Select(c => (JsonObject)c.DeepClone())];
        }
    }
}

/// <summary>A node's answer: a result, or a contract error code with its data.</summary>
internal sealed record NodeAnswer(JsonNode? Result, int ErrorCode, JsonObject? ErrorData)
{
    public bool IsError => ErrorCode != 0;

    public static NodeAnswer Unreachable(string nodeId, string detail) =>
        new(null, RpcReplies.DependencyFailed, new JsonObject { ["dependency"] = $"fleet node {nodeId}", ["detail"] = detail });
}

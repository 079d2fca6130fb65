using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Client.Tests.Fakes;

namespace CameraService.Client.Tests;

/// <summary>The OpenRPC drift check, on a document whose result schemas are derived from the contract's result JSON.</summary>
public sealed class OpenRpcDriftTests
{
    private static readonly Dictionary<string, string> Samples = new(StringComparer.Ordinal)
    {
        ["ping"] = "\"pong\"",
        ["rpc.discover"] = """{"openrpc":"1.3.2"}""",
        ["get_metrics"] = Contract.Metrics,
        ["authenticate"] = Contract.Authenticated,
        ["get_camera_list"] = Contract.CameraList,
        ["get_camera_status"] = Contract.CameraStatus,
        ["get_camera_capabilities"] = Contract.CapabilitiesV11,
        ["get_camera_controls"] = Contract.Controls,
        ["set_camera_controls"] = Contract.ControlsSet,
        ["reset_camera_controls"] = Contract.ControlsReset,
        ["set_camera_format"] = """{"device":"camera0","format":"MJPG","resolution":"1280x720","fps":30,"restarted":true}""",
        ["take_snapshot"] = Contract.Snapshot,
        ["start_recording"] = Contract.RecordingStarted,
        ["stop_recording"] = Contract.RecordingStopped,
        ["get_recording_status"] = Contract.RecordingStatus,
        ["start_streaming"] = Contract.StreamStarted,
        ["stop_streaming"] = Contract.StreamStopped,
        ["get_stream_url"] = Contract.StreamUrl,
        ["get_stream_status"] = Contract.StreamStatus,
        ["get_streams"] = Contract.Streams,
        ["list_recordings"] = Contract.Recordings,
        ["list_snapshots"] = Contract.Snapshots,
        ["get_recording_info"] = Contract.RecordingInfo,
        ["get_snapshot_info"] = Contract.SnapshotInfo,
        ["delete_recording"] = Contract.Deleted,
        ["delete_snapshot"] = Contract.Deleted,
        ["get_storage_info"] = Contract.StorageInfo,
        ["set_retention_policy"] = Contract.Retention,
        ["cleanup_old_files"] = Contract.Cleanup,
        ["get_status"] = Contract.Status,
        ["get_system_status"] = Contract.SystemStatus,
        ["get_server_info"] = Contract.ServerInfo,
        ["subscribe_events"] = Contract.Subscribed,
        ["unsubscribe_events"] = Contract.Unsubscribed,
        ["get_subscription_stats"] = Contract.SubscriptionStats,
        ["discover_external_streams"] = Contract.ExternalDiscovery,
        ["add_external_stream"] = Contract.ExternalAdded,
        ["remove_external_stream"] = Contract.ExternalRemoved,
        ["get_external_streams"] = Contract.ExternalList,
        ["set_discovery_interval"] = Contract.DiscoveryInterval,
    };

    [Fact]
    public void Find_ContractDocument_NoDrift()
    {
        Assert.Empty(OpenRpcDrift.Find(Document(Samples)));
    }

    [Fact]
    public void Find_MethodUnknownToClient_Reported()
    {
        var samples = new Dictionary<string, string>(Samples) { ["set_camera_control"] = """{"ok":true}""" };

        Assert.Equal(["method set_camera_control: not offered by CameraServiceClient"], OpenRpcDrift.Find(Document(samples)));
    }

    [Fact]
    public void Find_NewResultFieldAtAnyDepth_Reported()
    {
        var samples = new Dictionary<string, string>(Samples)
        {
            ["get_camera_list"] = Contract.CameraList.Replace("\"stable_id\":\"usb-046d_C920_ABC123\"", "\"stable_id\":\"x\",\"serial\":\"123\"", StringComparison.Ordinal),
            ["get_storage_info"] = Contract.StorageInfo.Replace("\"total_space\"", "\"inode_usage\":3,\"total_space\"", StringComparison.Ordinal),
            ["get_streams"] = Contract.Streams.Replace("\"readers\":1", "\"readers\":1,\"codec\":\"h264\"", StringComparison.Ordinal),
        };

        Assert.Equal(
            ["get_camera_list.cameras[].serial: sent by the service, not read by Camera",
             "get_storage_info.inode_usage: sent by the service, not read by StorageInfo",
             "get_streams[].codec: sent by the service, not read by StreamEntry"],
            OpenRpcDrift.Find(Document(samples)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ResultTypes_EveryTypedMethod()
    {
        Assert.Equal(CameraServiceClient.SupportedMethods.Order(StringComparer.Ordinal), OpenRpcDrift.ResultTypes.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>An OpenRPC document whose result schemas describe the sample results (objects, arrays, scalars).</summary>
    private static JsonElement Document(Dictionary<string, string> samples)
    {
        var methods = new JsonArray();
        foreach (var (name, sample) in samples)
        {
            methods.Add(new JsonObject
            {
                ["name"] = name,
                ["params"] = new JsonArray(),
                ["result"] = new JsonObject { ["name"] = "result", ["schema"] = Schema(JsonNode.Parse(sample)) },
            });
        }

        var doc = new JsonObject { ["openrpc"] = "1.3.2", ["info"] = new JsonObject { ["title"] = "camera-service", ["version"] = "1" }, ["methods"] = methods };
        return JsonSerializer.SerializeToElement(doc);
    }

    private static JsonObject Schema(JsonNode? sample) => sample switch
    {
        JsonObject o => new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Schema(p.Value)))),
        },
        JsonArray a => a.Count > 0 ? new JsonObject { ["type"] = "array", ["items"] = Schema(a[0]) } : new JsonObject { ["type"] = "array" },
        null => new JsonObject { ["type"] = "null" },
        _ => new JsonObject { ["type"] = sample.GetValueKind().ToString().ToLowerInvariant() },
    };
}

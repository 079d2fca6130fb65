using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CameraService.Client.Tests;

/// <summary>
/// Compares the service's OpenRPC document (<c>rpc.discover</c> / <c>GET /openrpc.json</c>) with what the client knows,
/// so a method or a result field added to the service without the client is caught by a test. Run it against the real
/// service: <c>Assert.Empty(OpenRpcDrift.Find(await client.DiscoverAsync()))</c>.
/// </summary>
internal static class OpenRpcDrift
{
    /// <summary>The record each typed method decodes its result into (null: the method returns raw JSON on purpose).</summary>
    public static readonly IReadOnlyDictionary<string, Type?> ResultTypes = new Dictionary<string, Type?>(StringComparer.Ordinal)
    {
        ["ping"] = null,
        ["rpc.discover"] = null,
        ["get_metrics"] = null,
        ["authenticate"] = typeof(AuthenticateResult),
        ["get_camera_list"] = typeof(CameraList),
        ["get_camera_status"] = typeof(CameraStatus),
        ["get_camera_capabilities"] = typeof(CameraCapabilities),
        ["get_camera_controls"] = typeof(CameraControls),
        ["set_camera_controls"] = typeof(CameraControlsSet),
        ["reset_camera_controls"] = typeof(CameraControlsReset),
        ["set_camera_format"] = typeof(CameraFormatSet),
        ["take_snapshot"] = typeof(SnapshotResult),
        ["start_recording"] = typeof(RecordingStarted),
        ["stop_recording"] = typeof(RecordingStopped),
        ["get_recording_status"] = typeof(RecordingStatus),
        ["set_recording_schedule"] = typeof(RecordingSchedule),
        ["get_recording_schedule"] = typeof(RecordingSchedule),
        ["list_recording_schedules"] = typeof(RecordingScheduleList),
        ["set_motion_detection"] = typeof(MotionDetection),
        ["get_motion_detection"] = typeof(MotionDetection),
        ["list_motion_detection"] = typeof(MotionDetectionList),
        ["start_streaming"] = typeof(StreamStarted),
        ["stop_streaming"] = typeof(StreamStopped),
        ["get_stream_url"] = typeof(StreamUrl),
        ["get_stream_status"] = typeof(StreamStatus),
        ["get_streams"] = typeof(IReadOnlyList<StreamEntry>),
        ["list_recordings"] = typeof(FileList),
        ["list_snapshots"] = typeof(FileList),
        ["get_recording_info"] = typeof(MediaFileInfo),
        ["get_snapshot_info"] = typeof(MediaFileInfo),
        ["delete_recording"] = typeof(DeleteResult),
        ["delete_snapshot"] = typeof(DeleteResult),
        ["get_storage_info"] = typeof(StorageInfo),
        ["set_retention_policy"] = typeof(RetentionPolicy),
        ["get_retention_policy"] = null,
        ["list_api_keys"] = null,
        ["create_api_key"] = null,
        ["revoke_api_key"] = null,
        ["cleanup_old_files"] = typeof(CleanupResult),
        ["get_status"] = typeof(ServiceStatus),
        ["get_system_status"] = typeof(SystemStatus),
        ["get_server_info"] = typeof(ServerInfo),
        ["subscribe_events"] = typeof(SubscribeResult),
        ["unsubscribe_events"] = typeof(UnsubscribeResult),
        ["get_subscription_stats"] = typeof(SubscriptionStats),
        ["discover_external_streams"] = typeof(ExternalStreamDiscovery),
        ["add_external_stream"] = typeof(ExternalStreamAdded),
        ["remove_external_stream"] = typeof(ExternalStreamRemoved),
        ["get_external_streams"] = typeof(ExternalStreamList),
        ["set_discovery_interval"] = typeof(DiscoveryIntervalSet),
    };

    /// <summary>Every difference: methods the client lacks, and result properties (at any depth) the client's records do not read.</summary>
    public static IReadOnlyList<string> Find(JsonElement openRpc)
    {
        var problems = new List<string>();
        foreach (var method in openRpc.GetProperty("methods").EnumerateArray())
        {
            var name = method.GetProperty("name").GetString()!;
            if (!CameraServiceClient.SupportedMethods.Contains(name) || !ResultTypes.TryGetValue(name, out var type))
            {
                problems.Add($"method {name}: not offered by CameraServiceClient");
                continue;
            }

            if (type is not null && method.TryGetProperty("result", out var result) && result.TryGetProperty("schema", out var schema))
            {
                Compare(name, schema, ClientJsonContext.Default.GetTypeInfo(type)!, problems);
            }
        }

        return problems;
    }

    private static void Compare(string path, JsonElement schema, JsonTypeInfo info, List<string> problems)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (info.Kind == JsonTypeInfoKind.Enumerable && schema.TryGetProperty("items", out var items) && info.ElementType is { } element)
        {
            Compare(path + "[]", items, ClientJsonContext.Default.GetTypeInfo(element)!, problems);
            return;
        }

        // Types read by a hand-written converter (RecordingFile also accepts bare names) are not JsonTypeInfoKind.Object.
        if (info.Kind != JsonTypeInfoKind.Object || !schema.TryGetProperty("properties", out var properties))
        {
            return;
        }

        var known = info.Properties.Where(p => !p.IsExtensionData).ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var property in properties.EnumerateObject())
        {
            if (!known.TryGetValue(property.Name, out var member))
            {
                problems.Add($"{path}.{property.Name}: sent by the service, not read by {info.Type.Name}");
                continue;
            }

            var memberType = Nullable.GetUnderlyingType(member.PropertyType) ?? member.PropertyType;
            if (memberType != typeof(JsonElement) && ClientJsonContext.Default.GetTypeInfo(memberType) is { } nested)
            {
                Compare($"{path}.{property.Name}", property.Value, nested, problems);
            }
        }
    }
}

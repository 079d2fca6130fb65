using System.Text.Json;

namespace CameraService.Client;

public sealed partial class CameraServiceClient
{
    /// <summary>Every API method this client offers a typed call for (checked against the service's OpenRPC document in tests).</summary>
    public static IReadOnlyList<string> SupportedMethods { get; } =
    [
        "ping", "authenticate", "rpc.discover",
        "get_camera_list", "get_camera_status", "get_camera_capabilities",
        "get_camera_controls", "set_camera_controls", "reset_camera_controls", "set_camera_format",
        "take_snapshot", "start_recording", "stop_recording", "get_recording_status",
        "set_recording_schedule", "get_recording_schedule", "list_recording_schedules",
        "set_motion_detection", "get_motion_detection", "list_motion_detection",
        "start_streaming", "stop_streaming", "get_stream_url", "get_stream_status", "get_streams",
        "list_recordings", "list_snapshots", "get_recording_info", "get_snapshot_info", "delete_recording", "delete_snapshot",
        "get_storage_info", "get_retention_policy", "set_retention_policy", "cleanup_old_files",
        "list_api_keys", "create_api_key", "revoke_api_key",
        "get_metrics", "get_status", "get_system_status", "get_server_info",
        "subscribe_events", "unsubscribe_events", "get_subscription_stats",
        "discover_external_streams", "add_external_stream", "remove_external_stream", "get_external_streams", "set_discovery_interval",
    ];

    /// <summary><c>ping</c>: returns "pong".</summary>
    public Task<string> PingAsync(CancellationToken cancellationToken = default) =>
        SendAsync("ping", null, ClientJsonContext.Default.String, waitReady: true, cancellationToken);

    /// <summary><c>rpc.discover</c>: the service's OpenRPC document.</summary>
    public Task<JsonElement> DiscoverAsync(CancellationToken cancellationToken = default) => CallAsync("rpc.discover", null, cancellationToken);

    /// <summary><c>get_camera_list</c>.</summary>
    public Task<CameraList> GetCameraListAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_camera_list", null, ClientJsonContext.Default.CameraList, true, cancellationToken);

    /// <summary><c>get_camera_status</c>.</summary>
    public Task<CameraStatus> GetCameraStatusAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_camera_status", Device(device), ClientJsonContext.Default.CameraStatus, true, cancellationToken);

    /// <summary><c>get_camera_capabilities</c>.</summary>
    public Task<CameraCapabilities> GetCameraCapabilitiesAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_camera_capabilities", Device(device), ClientJsonContext.Default.CameraCapabilities, true, cancellationToken);

    /// <summary><c>take_snapshot</c>.</summary>
    public Task<SnapshotResult> TakeSnapshotAsync(string device, string? filename = null, string? format = null, int? quality = null, CancellationToken cancellationToken = default) =>
        SendAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = device, ["filename"] = filename, ["format"] = format, ["quality"] = quality },
            ClientJsonContext.Default.SnapshotResult, true, cancellationToken);

    /// <summary>
    /// <c>start_recording</c>; no duration records until <see cref="StopRecordingAsync"/>. <paramref name="audio"/> records
    /// the camera's audio too, <paramref name="preSeconds"/> (0–30) includes that much from before the call (contract v1.1;
    /// null sends nothing, the service's default).
    /// </summary>
    public Task<RecordingStarted> StartRecordingAsync(
        string device, TimeSpan? duration = null, string? format = null, bool? audio = null, int? preSeconds = null, CancellationToken cancellationToken = default) =>
        SendAsync("start_recording", new Dictionary<string, object?>
        {
            ["device"] = device,
            ["duration"] = duration is { } d ? (int)Math.Ceiling(d.TotalSeconds) : null,
            ["format"] = format,
            ["audio"] = audio,
            ["pre_seconds"] = preSeconds,
        }, ClientJsonContext.Default.RecordingStarted, true, cancellationToken);

    /// <summary><c>stop_recording</c>: the finished session with every file written.</summary>
    public Task<RecordingStopped> StopRecordingAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("stop_recording", Device(device), ClientJsonContext.Default.RecordingStopped, true, cancellationToken);

    /// <summary><c>get_recording_status</c>.</summary>
    public Task<RecordingStatus> GetRecordingStatusAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_recording_status", Device(device), ClientJsonContext.Default.RecordingStatus, true, cancellationToken);

    /// <summary><c>start_streaming</c>.</summary>
    public Task<StreamStarted> StartStreamingAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("start_streaming", Device(device), ClientJsonContext.Default.StreamStarted, true, cancellationToken);

    /// <summary><c>stop_streaming</c> (never stops a recording).</summary>
    public Task<StreamStopped> StopStreamingAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("stop_streaming", Device(device), ClientJsonContext.Default.StreamStopped, true, cancellationToken);

    /// <summary><c>get_stream_url</c>.</summary>
    public Task<StreamUrl> GetStreamUrlAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_stream_url", Device(device), ClientJsonContext.Default.StreamUrl, true, cancellationToken);

    /// <summary><c>get_stream_status</c>.</summary>
    public Task<StreamStatus> GetStreamStatusAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_stream_status", Device(device), ClientJsonContext.Default.StreamStatus, true, cancellationToken);

    /// <summary><c>get_streams</c>.</summary>
    public Task<IReadOnlyList<StreamEntry>> GetStreamsAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_streams", null, ClientJsonContext.Default.IReadOnlyListStreamEntry, true, cancellationToken);

    /// <summary><c>list_recordings</c>, newest first.</summary>
    public Task<FileList> ListRecordingsAsync(int? limit = null, int? offset = null, string? device = null, CancellationToken cancellationToken = default) =>
        SendAsync("list_recordings", Paging(limit, offset, device), ClientJsonContext.Default.FileList, true, cancellationToken);

    /// <summary><c>list_snapshots</c>, newest first.</summary>
    public Task<FileList> ListSnapshotsAsync(int? limit = null, int? offset = null, string? device = null, CancellationToken cancellationToken = default) =>
        SendAsync("list_snapshots", Paging(limit, offset, device), ClientJsonContext.Default.FileList, true, cancellationToken);

    /// <summary><c>get_recording_info</c>.</summary>
    public Task<MediaFileInfo> GetRecordingInfoAsync(string filename, CancellationToken cancellationToken = default) =>
        SendAsync("get_recording_info", FileName(filename), ClientJsonContext.Default.MediaFileInfo, true, cancellationToken);

    /// <summary><c>get_snapshot_info</c>.</summary>
    public Task<MediaFileInfo> GetSnapshotInfoAsync(string filename, CancellationToken cancellationToken = default) =>
        SendAsync("get_snapshot_info", FileName(filename), ClientJsonContext.Default.MediaFileInfo, true, cancellationToken);

    /// <summary><c>delete_recording</c>.</summary>
    public Task<DeleteResult> DeleteRecordingAsync(string filename, CancellationToken cancellationToken = default) =>
        SendAsync("delete_recording", FileName(filename), ClientJsonContext.Default.DeleteResult, true, cancellationToken);

    /// <summary><c>delete_snapshot</c>.</summary>
    public Task<DeleteResult> DeleteSnapshotAsync(string filename, CancellationToken cancellationToken = default) =>
        SendAsync("delete_snapshot", FileName(filename), ClientJsonContext.Default.DeleteResult, true, cancellationToken);

    /// <summary><c>get_storage_info</c> (admin).</summary>
    public Task<StorageInfo> GetStorageInfoAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_storage_info", null, ClientJsonContext.Default.StorageInfo, true, cancellationToken);

    /// <summary><c>set_retention_policy</c> (admin).</summary>
    public Task<RetentionPolicy> SetRetentionPolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return SendAsync("set_retention_policy", new Dictionary<string, object?>
        {
            ["policy_type"] = policy.PolicyType,
            ["enabled"] = policy.Enabled,
            ["max_age_days"] = policy.MaxAgeDays,
            ["max_size_gb"] = policy.MaxSizeGb,
            ["min_free_percent"] = policy.MinFreePercent,
        }, ClientJsonContext.Default.RetentionPolicy, true, cancellationToken);
    }

    /// <summary><c>cleanup_old_files</c> (admin).</summary>
    public Task<CleanupResult> CleanupOldFilesAsync(CancellationToken cancellationToken = default) =>
        SendAsync("cleanup_old_files", null, ClientJsonContext.Default.CleanupResult, true, cancellationToken);

    /// <summary><c>get_retention_policy</c> (admin), as JSON.</summary>
    public Task<JsonElement> GetRetentionPolicyAsync(CancellationToken cancellationToken = default) => CallAsync("get_retention_policy", null, cancellationToken);

    /// <summary><c>list_api_keys</c> (admin), as JSON.</summary>
    public Task<JsonElement> ListApiKeysAsync(CancellationToken cancellationToken = default) => CallAsync("list_api_keys", null, cancellationToken);

    /// <summary><c>create_api_key</c> (admin), as JSON; the parameters as documented in docs/api.md.</summary>
    public Task<JsonElement> CreateApiKeyAsync(IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) => CallAsync("create_api_key", parameters, cancellationToken);

    /// <summary><c>revoke_api_key</c> (admin), as JSON; the parameters as documented in docs/api.md.</summary>
    public Task<JsonElement> RevokeApiKeyAsync(IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) => CallAsync("revoke_api_key", parameters, cancellationToken);

    /// <summary><c>get_metrics</c> (admin), as JSON: its sections grow with the service.</summary>
    public Task<JsonElement> GetMetricsAsync(CancellationToken cancellationToken = default) => CallAsync("get_metrics", null, cancellationToken);

    /// <summary><c>get_status</c> (admin).</summary>
    public Task<ServiceStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_status", null, ClientJsonContext.Default.ServiceStatus, true, cancellationToken);

    /// <summary><c>get_system_status</c>.</summary>
    public Task<SystemStatus> GetSystemStatusAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_system_status", null, ClientJsonContext.Default.SystemStatus, true, cancellationToken);

    /// <summary><c>get_server_info</c>.</summary>
    public Task<ServerInfo> GetServerInfoAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_server_info", null, ClientJsonContext.Default.ServerInfo, true, cancellationToken);

    /// <summary><c>subscribe_events</c>: replaces this session's topics; restored automatically after a reconnect.</summary>
    public async Task<SubscribeResult> SubscribeAsync(IReadOnlyList<string> topics, string? device = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var parameters = SubscribeParams([.. topics], device);
        var result = await SendAsync("subscribe_events", parameters, ClientJsonContext.Default.SubscribeResult, true, cancellationToken).ConfigureAwait(false);
        lock (_stateLock)
        {
            // A subscribe replaces the session's whole set: earlier calls no longer matter for a restore.
            _subscriptionReplay.Clear();
            _subscriptionReplay.Add(("subscribe_events", parameters));
        }

        return result;
    }

    /// <summary><c>unsubscribe_events</c>; no topics = all. Restored automatically after a reconnect.</summary>
    public async Task<UnsubscribeResult> UnsubscribeAsync(IReadOnlyList<string>? topics = null, CancellationToken cancellationToken = default)
    {
        var parameters = topics is null ? null : new Dictionary<string, object?> { ["topics"] = topics.ToArray() };
        var result = await SendAsync("unsubscribe_events", parameters, ClientJsonContext.Default.UnsubscribeResult, true, cancellationToken).ConfigureAwait(false);
        lock (_stateLock)
        {
            if (topics is null)
            {
                _subscriptionReplay.Clear();
            }

            // Replayed in order after a reconnect; an unsubscribe from the default set must be replayed too, or the
            // new session would get the defaults back.
            _subscriptionReplay.Add(("unsubscribe_events", parameters));
        }

        return result;
    }

    /// <summary><c>get_subscription_stats</c>.</summary>
    public Task<SubscriptionStats> GetSubscriptionStatsAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_subscription_stats", null, ClientJsonContext.Default.SubscriptionStats, true, cancellationToken);

    private static Dictionary<string, object?> Device(string device) => new() { ["device"] = device };

    private static Dictionary<string, object?> FileName(string filename) => new() { ["filename"] = filename };

    private static Dictionary<string, object?> Paging(int? limit, int? offset, string? device) =>
        new() { ["limit"] = limit, ["offset"] = offset, ["device"] = device };
}

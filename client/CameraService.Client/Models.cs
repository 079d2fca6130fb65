using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameraService.Client;

// Results and notifications of the camera-service API (api-contract.md §4 and §5). Names are the wire names in
// PascalCase; unknown fields the server adds later are kept in ExtensionData where a type has it. Those Extra
// properties have a setter, not init: the source generator treats init-only members as constructor parameters and
// refuses an extension-data member there (InvalidOperationException on first use).

/// <summary>Result of <c>authenticate</c>.</summary>
public sealed record AuthenticateResult(bool Authenticated, string Role, IReadOnlyList<string> Permissions, DateTimeOffset? ExpiresAt, string SessionId);

/// <summary>Client URLs of a camera's stream.</summary>
public sealed record StreamUrls(string? Rtsp, string? Hls, string? Webrtc);

/// <summary>A camera as listed by the service.</summary>
public sealed record Camera(string Device, string Status, string Name, string? Resolution, double? Fps, StreamUrls? Streams, string? StableId, string? DevicePath, string? Source)
{
    /// <summary>Whether the camera records now (contract v1.1; false from older servers).</summary>
    public bool Recording { get; init; }

    /// <summary>The running recording's session id, null when idle.</summary>
    public string? RecordingSession { get; init; }

    /// <summary>The newest segment file of the running recording the service knows of, null when idle or before the first one.</summary>
    public string? CurrentFile { get; init; }

    /// <summary>Seconds since the running recording started, null when idle.</summary>
    public double? ElapsedTime { get; init; }

    /// <summary>Fields the service sends that this client version does not know.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Result of <c>get_camera_list</c>.</summary>
public sealed record CameraList(IReadOnlyList<Camera> Cameras, int Total, int Connected);

/// <summary>Capabilities summary inside <see cref="CameraStatus"/>.</summary>
public sealed record CameraStatusCapabilities(IReadOnlyList<string> Formats, IReadOnlyList<string> Resolutions);

/// <summary>Stream metrics inside <see cref="CameraStatus"/>.</summary>
public sealed record CameraStatusMetrics(long BytesSent, int Readers, double Uptime);

/// <summary>Result of <c>get_camera_status</c>.</summary>
public sealed record CameraStatus(
    string Device, string Status, string Name, string? Resolution, double? Fps, StreamUrls? Streams, string? StableId,
    CameraStatusMetrics? Metrics, CameraStatusCapabilities? Capabilities)
{
    /// <summary>The device node currently bound to the camera (<c>/dev/videoN</c>), null while disconnected.</summary>
    public string? DevicePath { get; init; }

    /// <summary>The camera source plugin that found the camera (e.g. <c>v4l2</c>).</summary>
    public string? Source { get; init; }

    /// <summary>Whether the camera records now (contract v1.1; false from older servers).</summary>
    public bool Recording { get; init; }

    /// <summary>The running recording's session id, null when idle.</summary>
    public string? RecordingSession { get; init; }

    /// <summary>The newest segment file of the running recording the service knows of, null when idle or before the first one.</summary>
    public string? CurrentFile { get; init; }

    /// <summary>Seconds since the running recording started, null when idle.</summary>
    public double? ElapsedTime { get; init; }

    /// <summary>Fields the service sends that this client version does not know (controls, driver, …).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Result of <c>get_camera_capabilities</c>.</summary>
public sealed record CameraCapabilities(string Device, IReadOnlyList<string> Formats, IReadOnlyList<string> Resolutions, IReadOnlyList<double> FpsOptions, string ValidationStatus)
{
    /// <summary>Frame rates per resolution ("WxH"), descending (empty from servers before contract v1.1).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>>? FrameRates { get; init; }

    /// <summary>The camera's controls, as <c>get_camera_controls</c> lists them.</summary>
    public IReadOnlyList<CameraControl>? Controls { get; init; }

    /// <summary>Whether the camera has an audio input the service can record.</summary>
    public bool? Audio { get; init; }

    /// <summary>Fields the service sends that this client version does not know.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Result of <c>take_snapshot</c>.</summary>
public sealed record SnapshotResult(string Device, string Filename, string Status, DateTimeOffset Timestamp, long FileSize, string DownloadUrl);

/// <summary>Result of <c>start_recording</c>.</summary>
public sealed record RecordingStarted(string Device, string SessionId, string? Filename, string Status, DateTimeOffset StartTime, int? Duration, string Format)
{
    /// <summary>Whether the camera's audio is recorded (contract v1.1; false from older servers).</summary>
    public bool Audio { get; init; }

    /// <summary>Seconds before the call the recording includes (pre-event buffer); <see cref="StartTime"/> is that much earlier.</summary>
    public double PreSeconds { get; init; }
}

/// <summary>One file (segment) of a recording. The service may list segments as bare file names; then only <see cref="Filename"/> is set.</summary>
[JsonConverter(typeof(RecordingFileConverter))]
public sealed record RecordingFile(string Filename, long? FileSize, string? DownloadUrl)
{
    /// <summary>The container: <c>mp4</c> (also fragmented MP4) or <c>mkv</c> (contract v1.1; null from older servers).</summary>
    public string? Format { get; init; }
}

/// <summary>Result of <c>stop_recording</c>.</summary>
public sealed record RecordingStopped(
    string Device, string SessionId, string? Filename, string Status, DateTimeOffset StartTime, DateTimeOffset EndTime, double Duration,
    long FileSize, string Format, IReadOnlyList<RecordingFile> Files, string? Reason);

/// <summary>Result of <c>get_recording_status</c>.</summary>
public sealed record RecordingStatus(
    string Device, string Status, string? SessionId, DateTimeOffset? StartTime, double ElapsedSeconds, int? DurationLimit, long BytesWritten,
    string? LastStatus, string? Reason);

/// <summary>Result of <c>start_streaming</c>. <c>AutoCloseAfter</c> is how soon an unwatched stream closes, as the service words it (e.g. <c>"300s"</c>; a number is kept as its text).</summary>
public sealed record StreamStarted(string Device, string StreamName, string? StreamUrl, string Status, DateTimeOffset StartTime,
    [property: JsonConverter(typeof(StringOrNumberConverter))] string? AutoCloseAfter);

/// <summary>Result of <c>stop_streaming</c>.</summary>
public sealed record StreamStopped(string Device, string StreamName, string Status, DateTimeOffset? StartTime, DateTimeOffset EndTime, double Duration, bool StreamContinues);

/// <summary>Result of <c>get_stream_url</c>.</summary>
public sealed record StreamUrl(string Device, string StreamName, [property: JsonPropertyName("stream_url")] string? StreamUrlValue, bool Available, int ActiveConsumers, string StreamStatus, StreamUrls? Streams);

/// <summary>Result of <c>get_stream_status</c>.</summary>
public sealed record StreamStatus(string Device, string StreamName, string Status, bool Ready, int Readers, long BytesSent, DateTimeOffset? StartTime);

/// <summary>One entry of <c>get_streams</c>.</summary>
public sealed record StreamEntry(string Name, string Source, bool Ready, int Readers, long BytesSent);

/// <summary>A file in a listing.</summary>
public sealed record MediaFile(string Filename, string Device, long FileSize, DateTimeOffset ModifiedTime, double? Duration, string DownloadUrl, bool InProgress)
{
    /// <summary>The file's format: <c>mp4</c>, <c>mkv</c>, <c>jpeg</c> or <c>png</c> (contract v1.1; null from older servers).</summary>
    public string? Format { get; init; }
}

/// <summary>Result of <c>list_recordings</c>/<c>list_snapshots</c>.</summary>
public sealed record FileList(IReadOnlyList<MediaFile> Files, int Total, int Limit, int Offset)
{
    /// <summary>Pass as <c>cursor</c> to get the page after this one (stays correct while files are added); null on the last page and from older services.</summary>
    public string? NextCursor { get; init; }
}

/// <summary>Result of <c>get_recording_info</c>/<c>get_snapshot_info</c>.</summary>
public sealed record MediaFileInfo(string Filename, string Device, long FileSize, double? Duration, DateTimeOffset CreatedTime, DateTimeOffset? ModifiedTime, string DownloadUrl, bool InProgress)
{
    /// <summary>The file's format: <c>mp4</c>, <c>mkv</c>, <c>jpeg</c> or <c>png</c> (contract v1.1; null from older servers).</summary>
    public string? Format { get; init; }
}

/// <summary>Result of <c>delete_recording</c>/<c>delete_snapshot</c>.</summary>
public sealed record DeleteResult(string Filename, bool Deleted, string Message);

/// <summary>Result of <c>get_storage_info</c>.</summary>
public sealed record StorageInfo(
    long TotalSpace, long UsedSpace, long AvailableSpace, double UsagePercentage, long RecordingsSize, long SnapshotsSize,
    bool LowSpaceWarning, double WarnPercent, double BlockPercent)
{
    /// <summary>OK, WARNING or CRITICAL (the storage_status_update levels); null from older services.</summary>
    public string? Status { get; init; }
}

/// <summary>A retention policy (<c>set_retention_policy</c>).</summary>
public sealed record RetentionPolicy(string PolicyType, bool Enabled, double? MaxAgeDays = null, double? MaxSizeGb = null, double? MinFreePercent = null, string? Message = null);

/// <summary>Result of <c>cleanup_old_files</c>.</summary>
public sealed record CleanupResult(bool CleanupExecuted, int FilesDeleted, long SpaceFreed, string Message);

/// <summary>Result of <c>get_status</c>.</summary>
public sealed record ServiceStatus(string Status, double Uptime, string Version, IReadOnlyDictionary<string, string> Components)
{
    /// <summary>Why the status is DEGRADED or UNHEALTHY: the crossed alert thresholds (empty when none; absent from older services).</summary>
    public IReadOnlyList<string>? Alerts { get; init; }

    /// <summary>Fields the service sends that this client version does not know.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Result of <c>get_system_status</c>.</summary>
public sealed record SystemStatus(string Status, string Message, IReadOnlyList<string> AvailableCameras, bool DiscoveryActive);

/// <summary>A plugin in <see cref="ServerInfo"/>.</summary>
public sealed record PluginInfo(string Id, string Version, string Status);

/// <summary>Result of <c>get_server_info</c>.</summary>
public sealed record ServerInfo(
    string Name, string Version, string? BuildDate, string? Runtime, string? Architecture, IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> SupportedFormats, int MaxCameras, IReadOnlyList<PluginInfo> Plugins);

/// <summary>Result of <c>subscribe_events</c>.</summary>
public sealed record SubscribeResult(bool Subscribed, IReadOnlyList<string> Topics, JsonElement? Filters);

/// <summary>Result of <c>unsubscribe_events</c>.</summary>
public sealed record UnsubscribeResult(bool Unsubscribed, IReadOnlyList<string> Topics);

/// <summary>Result of <c>get_subscription_stats</c>.</summary>
public sealed record SubscriptionStats(JsonElement GlobalStats, IReadOnlyList<string> ClientTopics, string ClientId);

/// <summary><c>camera_status_update</c>.</summary>
public sealed record CameraStatusUpdate(string Device, string Status, string Name, string? Resolution, double? Fps, StreamUrls? Streams, string? StableId)
{
    /// <summary>Whether the camera records now (contract v1.1; false from older servers).</summary>
    public bool Recording { get; init; }

    /// <summary>The running recording's session id, null when idle.</summary>
    public string? RecordingSession { get; init; }

    /// <summary>The newest segment file of the running recording the service knows of, null when idle or before the first one.</summary>
    public string? CurrentFile { get; init; }

    /// <summary>Seconds since the running recording started, null when idle.</summary>
    public double? ElapsedTime { get; init; }
}

/// <summary><c>recording_status_update</c>.</summary>
public sealed record RecordingStatusUpdate(string Device, string? SessionId, string Status, string? Filename, double? Duration, string? Reason);

/// <summary><c>recording_progress</c> (topic <c>recording.progress</c>, subscribe to it): what a running recording has written so far.</summary>
public sealed record RecordingProgressUpdate(string Device, string SessionId, double ElapsedTime, long FileSize, string? CurrentFile, int Segments);

/// <summary><c>snapshot_taken</c>.</summary>
public sealed record SnapshotTaken(string Device, string Filename, long FileSize, DateTimeOffset Timestamp);

/// <summary><c>storage_status_update</c>.</summary>
public sealed record StorageStatusUpdate(string Status, long AvailableSpace, double UsagePercentage);

/// <summary><c>system_health_update</c>.</summary>
public sealed record SystemHealthUpdate(string Status, IReadOnlyDictionary<string, string> Components);

/// <summary>Any notification, as received.</summary>
/// <param name="Method">The notification method name.</param>
/// <param name="Params">Its params.</param>
public sealed record Notification(string Method, JsonElement Params);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(AuthenticateResult))]
[JsonSerializable(typeof(CameraList))]
[JsonSerializable(typeof(CameraStatus))]
[JsonSerializable(typeof(CameraCapabilities))]
[JsonSerializable(typeof(SnapshotResult))]
[JsonSerializable(typeof(RecordingStarted))]
[JsonSerializable(typeof(RecordingStopped))]
[JsonSerializable(typeof(RecordingStatus))]
[JsonSerializable(typeof(StreamStarted))]
[JsonSerializable(typeof(StreamStopped))]
[JsonSerializable(typeof(StreamUrl))]
[JsonSerializable(typeof(StreamStatus))]
[JsonSerializable(typeof(IReadOnlyList<StreamEntry>))]
[JsonSerializable(typeof(FileList))]
[JsonSerializable(typeof(MediaFileInfo))]
[JsonSerializable(typeof(DeleteResult))]
[JsonSerializable(typeof(StorageInfo))]
[JsonSerializable(typeof(RetentionPolicy))]
[JsonSerializable(typeof(CleanupResult))]
[JsonSerializable(typeof(ServiceStatus))]
[JsonSerializable(typeof(SystemStatus))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(SubscribeResult))]
[JsonSerializable(typeof(UnsubscribeResult))]
[JsonSerializable(typeof(SubscriptionStats))]
[JsonSerializable(typeof(CameraStatusUpdate))]
[JsonSerializable(typeof(RecordingStatusUpdate))]
[JsonSerializable(typeof(RecordingProgressUpdate))]
[JsonSerializable(typeof(SnapshotTaken))]
[JsonSerializable(typeof(StorageStatusUpdate))]
[JsonSerializable(typeof(SystemHealthUpdate))]
[JsonSerializable(typeof(ExternalStreamDiscovery))]
[JsonSerializable(typeof(ExternalStreamAdded))]
[JsonSerializable(typeof(ExternalStreamRemoved))]
[JsonSerializable(typeof(ExternalStreamList))]
[JsonSerializable(typeof(DiscoveryIntervalSet))]
[JsonSerializable(typeof(ExternalStreamUpdate))]
[JsonSerializable(typeof(CameraControls))]
[JsonSerializable(typeof(CameraControlsSet))]
[JsonSerializable(typeof(CameraControlsReset))]
[JsonSerializable(typeof(CameraControlsChanged))]
[JsonSerializable(typeof(CameraFormatSet))]
[JsonSerializable(typeof(RecordingSchedule))]
[JsonSerializable(typeof(RecordingScheduleList))]
[JsonSerializable(typeof(MotionDetection))]
[JsonSerializable(typeof(MotionDetectionList))]
[JsonSerializable(typeof(MotionDetected))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

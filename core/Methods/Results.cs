using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using CameraService.Core.Events;

namespace CameraService.Core.Methods;

// Result shapes of api-contract.md §4, serialized in snake_case by CoreJsonContext. The OpenRPC result schemas are
// generated from them (RpcResultSchema): the attributes below are the values and formats the types alone cannot say.

internal sealed record AuthenticateResult(
    [property: AllowedValues(true)] bool Authenticated,
    [property: AllowedValues("viewer", "operator", "admin")] string Role,
    [property: AllowedValues("view", "control", "admin")] IReadOnlyList<string> Permissions,
    [property: DataType(DataType.DateTime)] string? ExpiresAt,
    string SessionId);

/// <summary>The contract's camera object (<c>get_camera_list</c> entries); <c>get_camera_status</c> extends it.</summary>
internal record CameraInfo(
    [property: RegularExpression(CameraMethods.DevicePattern)] string Device,
    [property: AllowedValues("CONNECTED", "DISCONNECTED", "ERROR")] string Status,
    string Name,
    [property: Description("WxH, empty when unknown")] string Resolution,
    double Fps,
    CameraStreams Streams,
    string StableId,
    string? DevicePath,
    string Source,
    bool Recording,
    string? RecordingSession,
    [property: Description("newest segment of the running recording")] string? CurrentFile,
    [property: Description("seconds since the recording started")] double? ElapsedTime);

internal sealed record CameraListResult(IReadOnlyList<CameraInfo> Cameras, int Total, int Connected);

internal sealed record CameraStreamMetrics(long BytesSent, int Readers, [property: Description("seconds connected")] long Uptime);

internal sealed record CameraCapabilitySummary(IReadOnlyList<string> Formats, IReadOnlyList<string> Resolutions);

/// <summary><c>get_camera_status</c>: the camera object with stream metrics and a capability summary.</summary>
internal sealed record CameraStatusResult : CameraInfo
{
    public CameraStatusResult(CameraInfo camera, CameraStreamMetrics metrics, CameraCapabilitySummary capabilities)
        : base(camera)
    {
        Metrics = metrics;
        Capabilities = capabilities;
    }

    public CameraStreamMetrics Metrics { get; }

    public CameraCapabilitySummary Capabilities { get; }
}

internal sealed record CameraCapabilitiesResult(
    string Device,
    IReadOnlyList<string> Formats,
    IReadOnlyList<string> Resolutions,
    IReadOnlyList<double> FpsOptions,
    [property: AllowedValues("NONE", "DISCONNECTED", "CONFIRMED")] string ValidationStatus)
{
    /// <summary>Frame rates per resolution ("WxH"), descending (contract §8.1).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> FrameRates { get; init; } = new Dictionary<string, IReadOnlyList<double>>();

    /// <summary>The same entries as <c>get_camera_controls</c>; empty when the camera is not connected or has none (contract §8.1).</summary>
    public IReadOnlyList<Cameras.Controls.CameraControlEntry> Controls { get; init; } = [];

    /// <summary>Whether the camera has an audio input the service can record (contract §8.1).</summary>
    public bool Audio { get; init; }
}

internal sealed record SystemStatusResult([property: AllowedValues("starting", "partial", "ready")] string Status, string Message, IReadOnlyList<string> AvailableCameras, bool DiscoveryActive);

internal sealed record StatusResult(
    [property: AllowedValues("HEALTHY", "DEGRADED", "UNHEALTHY")] string Status,
    [property: Description("seconds")] long Uptime,
    string Version,
    [property: AllowedValues("RUNNING", "DEGRADED", "ERROR", "STOPPED"), Description("state by component: api, camera_sources, stream_backend, storage, plugins")] IReadOnlyDictionary<string, string> Components,
    [property: Description("why the status is DEGRADED or UNHEALTHY: the crossed alert thresholds")] IReadOnlyList<string> Alerts);

internal sealed record PluginInfo(string Id, string Version, [property: AllowedValues("LOADED", "DISABLED", "INCOMPATIBLE", "FAULTED")] string Status);

internal sealed record ServerInfoResult(
    string Name,
    string Version,
    string BuildDate,
    string Runtime,
    string Architecture,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> SupportedFormats,
    int MaxCameras,
    IReadOnlyList<PluginInfo> Plugins);

internal sealed record SubscriptionFilters(string? Device);

internal sealed record SubscribeResult([property: AllowedValues(true)] bool Subscribed, IReadOnlyList<string> Topics, SubscriptionFilters Filters);

internal sealed record UnsubscribeResult([property: AllowedValues(true)] bool Unsubscribed, IReadOnlyList<string> Topics);

internal sealed record GlobalSubscriptionStats(int TotalSubscriptions, int ActiveClients, IReadOnlyDictionary<string, int> TopicCounts);

internal sealed record SubscriptionStatsResult(GlobalSubscriptionStats GlobalStats, IReadOnlyList<string> ClientTopics, string ClientId);

/// <summary>
/// The shape of <c>get_metrics</c>: the handler writes <c>timestamp</c> and then each <c>IMetricsSection</c> under its
/// name (sections may be added); this record is what the OpenRPC document describes, and the result-schema test
/// proves the written result matches it.
/// </summary>
internal sealed record MetricsResult(
    [property: DataType(DataType.DateTime)] string Timestamp,
    Metrics.ApiMetricsSnapshot ApiMetrics,
    Metrics.SystemMetricsSnapshot SystemMetrics,
    Metrics.CameraMetricsSection CameraMetrics,
    [property: Description("null when no stream backend is active or it cannot answer")] Metrics.StreamMetricsSection? StreamMetrics,
    RecordingMetricsResult RecordingMetrics);

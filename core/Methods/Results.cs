using CameraService.Core.Events;

namespace CameraService.Core.Methods;

// Result shapes of api-contract.md §4, serialized in snake_case by CoreJsonContext.

internal sealed record AuthenticateResult(bool Authenticated, string Role, IReadOnlyList<string> Permissions, string? ExpiresAt, string SessionId);

/// <summary>The contract's camera object (<c>get_camera_list</c> entries); <c>get_camera_status</c> extends it.</summary>
internal record CameraInfo(
    string Device,
    string Status,
    string Name,
    string Resolution,
    double Fps,
    CameraStreams Streams,
    string StableId,
    string? DevicePath,
    string Source,
    bool Recording,
    string? RecordingSession,
    string? CurrentFile,
    double? ElapsedTime);

internal sealed record CameraListResult(IReadOnlyList<CameraInfo> Cameras, int Total, int Connected);

internal sealed record CameraStreamMetrics(long BytesSent, int Readers, long Uptime);

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

internal sealed record CameraCapabilitiesResult(string Device, IReadOnlyList<string> Formats, IReadOnlyList<string> Resolutions, IReadOnlyList<double> FpsOptions, string ValidationStatus)
{
    /// <summary>Frame rates per resolution ("WxH"), descending (contract §8.1).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> FrameRates { get; init; } = new Dictionary<string, IReadOnlyList<double>>();

    /// <summary>The same entries as <c>get_camera_controls</c>; empty when the camera is not connected or has none (contract §8.1).</summary>
    public IReadOnlyList<Cameras.Controls.CameraControlEntry> Controls { get; init; } = [];

    /// <summary>Whether the camera has an audio input the service can record (contract §8.1).</summary>
    public bool Audio { get; init; }
}

internal sealed record SystemStatusResult(string Status, string Message, IReadOnlyList<string> AvailableCameras, bool DiscoveryActive);

internal sealed record StatusResult(string Status, long Uptime, string Version, IReadOnlyDictionary<string, string> Components, IReadOnlyList<string> Alerts);

internal sealed record PluginInfo(string Id, string Version, string Status);

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

internal sealed record SubscribeResult(bool Subscribed, IReadOnlyList<string> Topics, SubscriptionFilters Filters);

internal sealed record UnsubscribeResult(bool Unsubscribed, IReadOnlyList<string> Topics);

internal sealed record GlobalSubscriptionStats(int TotalSubscriptions, int ActiveClients, IReadOnlyDictionary<string, int> TopicCounts);

internal sealed record SubscriptionStatsResult(GlobalSubscriptionStats GlobalStats, IReadOnlyList<string> ClientTopics, string ClientId);

namespace CameraService.Abstractions.Cameras;

/// <summary>
/// Optional capability of a camera source that manages network streams (RTSP/ONVIF cameras, UAV video links): the
/// core answers <c>add_external_stream</c>, <c>remove_external_stream</c>, <c>get_external_streams</c>,
/// <c>discover_external_streams</c> and <c>set_discovery_interval</c> with it. Implemented on the same class as the
/// <see cref="ICameraSource"/>; an added stream is a camera of that source (<see cref="ExternalStream.StableId"/>).
/// </summary>
/// <remarks>
/// URLs handed out by this interface never carry a password: credentials are shown as <c>user:***</c>. Methods are
/// called concurrently; implementations are thread-safe.
/// </remarks>
public interface IExternalStreamSource
{
    /// <summary>The streams added through the API or configuration, in the order they were added.</summary>
    IReadOnlyList<ExternalStream> GetExternalStreams();

    /// <summary>Adds a stream (persisted) and starts offering it as a camera. Adding a URL already added is an error.</summary>
    /// <param name="request">The stream.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stream as listed.</returns>
    /// <exception cref="InvalidParameterException">The URL or name is not acceptable, or the URL is already added.</exception>
    Task<ExternalStream> AddExternalStreamAsync(ExternalStreamRequest request, CancellationToken cancellationToken);

    /// <summary>Removes a stream added through the API; its camera disappears (DISCONNECTED).</summary>
    /// <param name="url">The URL as added, or as listed (with <c>***</c> for the password).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The removed stream.</returns>
    /// <exception cref="ResourceNotFoundException">No such stream.</exception>
    /// <exception cref="InvalidStateException">The stream comes from configuration and cannot be removed over the API.</exception>
    Task<ExternalStream> RemoveExternalStreamAsync(string url, CancellationToken cancellationToken);

    /// <summary>Whether discovery is configured; when false <see cref="DiscoverAsync"/> and the interval setter refuse.</summary>
    bool DiscoveryEnabled { get; }

    /// <summary>Scans the configured targets (never anything else) and lists what answers; nothing is added.</summary>
    /// <param name="request">What to scan.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <exception cref="UnsupportedFeatureException">Discovery is disabled (feature <c>external_stream_discovery</c>).</exception>
    Task<ExternalStreamScan> DiscoverAsync(ExternalStreamScanRequest request, CancellationToken cancellationToken);

    /// <summary>The period of the background scan; <see cref="TimeSpan.Zero"/> = on demand only.</summary>
    TimeSpan DiscoveryInterval { get; }

    /// <summary>Changes (and persists) the period of the background scan; zero = on demand only.</summary>
    /// <param name="interval">The new period.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="UnsupportedFeatureException">Discovery is disabled.</exception>
    Task SetDiscoveryIntervalAsync(TimeSpan interval, CancellationToken cancellationToken);

    /// <summary>Raised when a stream is added, removed, found by discovery, or goes up or down.</summary>
    event EventHandler<ExternalStreamChangedEventArgs>? ExternalStreamChanged;
}

/// <summary>A stream to add.</summary>
public sealed record ExternalStreamRequest
{
    /// <summary>The URL, <c>rtsp://</c> or <c>rtsps://</c>, possibly with <c>user:password@</c>.</summary>
    public required string Url { get; init; }

    /// <summary>A name for people (the camera's name).</summary>
    public required string Name { get; init; }

    /// <summary>The category, one of <see cref="ExternalStreamTypes"/>; null = derived from the URL.</summary>
    public string? Type { get; init; }
}

/// <summary>A network stream as listed.</summary>
public sealed record ExternalStream
{
    /// <summary>The URL with the password replaced by <c>***</c>.</summary>
    public required string Url { get; init; }

    /// <summary>The name.</summary>
    public required string Name { get; init; }

    /// <summary>The category (<see cref="ExternalStreamTypes"/>).</summary>
    public required string Type { get; init; }

    /// <summary>The original's status: <see cref="ExternalStreamStatuses"/>.</summary>
    public required string Status { get; init; }

    /// <summary>When it was first added or found.</summary>
    public DateTimeOffset DiscoveredAt { get; init; }

    /// <summary>When it last answered; null when it never did.</summary>
    public DateTimeOffset? LastSeen { get; init; }

    /// <summary>The stable id of the camera the source offers for it (the core shows its <c>camera&lt;N&gt;</c>); null for a discovered stream.</summary>
    public string? StableId { get; init; }

    /// <summary>Whether it was added from configuration (cannot be removed over the API).</summary>
    public bool Configured { get; init; }

    /// <summary>What is known about it.</summary>
    public required ExternalStreamCapabilities Capabilities { get; init; }
}

/// <summary>What is known about a stream (the original's <c>capabilities</c> object).</summary>
public sealed record ExternalStreamCapabilities
{
    /// <summary>The protocol, e.g. <c>rtsp</c>.</summary>
    public required string Protocol { get; init; }

    /// <summary>The container or transport format, e.g. <c>rtp</c>.</summary>
    public string Format { get; init; } = "rtp";

    /// <summary>How it became known: <c>api</c>, <c>configuration</c>, <c>rtsp_probe</c>, <c>onvif</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The original's stream kind: <c>subject</c>, <c>infrared</c>, or <c>generic</c>.</summary>
    public required string StreamType { get; init; }

    /// <summary>The TCP port.</summary>
    public int Port { get; init; }

    /// <summary>The path part of the URL.</summary>
    public string StreamPath { get; init; } = string.Empty;

    /// <summary>The video codec (<see cref="PixelFormats"/>), null when not probed yet.</summary>
    public string? Codec { get; init; }

    /// <summary>Further facts (resolution, fps, audio codec, probe error …) as strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>Well-known values of <see cref="ExternalStream.Type"/>.</summary>
public static class ExternalStreamTypes
{
    /// <summary>A Skydio UAV stream (the original's <c>skydio_streams</c>).</summary>
    public const string Skydio = "skydio";

    /// <summary>Any other network stream (<c>generic_streams</c>).</summary>
    public const string Generic = "generic";
}

/// <summary>Well-known values of <see cref="ExternalStream.Status"/>, as the original reports them.</summary>
public static class ExternalStreamStatuses
{
    /// <summary>The stream answers.</summary>
    public const string Discovered = "DISCOVERED";

    /// <summary>The stream does not answer (or never did).</summary>
    public const string Error = "ERROR";
}

/// <summary>What <see cref="IExternalStreamSource.DiscoverAsync"/> scans.</summary>
public sealed record ExternalStreamScanRequest
{
    /// <summary>Probe the Skydio profile (<c>:5554/subject</c>, <c>/infrared</c>).</summary>
    public bool SkydioEnabled { get; init; } = true;

    /// <summary>Probe the generic targets and ONVIF devices.</summary>
    public bool GenericEnabled { get; init; } = true;

    /// <summary>Scan even when the last scan is recent.</summary>
    public bool ForceRescan { get; init; }

    /// <summary>List targets that did not answer too (status ERROR).</summary>
    public bool IncludeOffline { get; init; }
}

/// <summary>The result of a scan.</summary>
public sealed record ExternalStreamScan
{
    /// <summary>Every stream found (and, with <see cref="ExternalStreamScanRequest.IncludeOffline"/>, those that did not answer).</summary>
    public required IReadOnlyList<ExternalStream> Streams { get; init; }

    /// <summary>When the scan ran.</summary>
    public required DateTimeOffset ScannedAt { get; init; }

    /// <summary>How long it took.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Problems met (unreachable ONVIF device, bad answer …), readable by a user, without credentials.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}

/// <summary>Event data of <see cref="IExternalStreamSource.ExternalStreamChanged"/>.</summary>
public sealed class ExternalStreamChangedEventArgs : EventArgs
{
    /// <summary>What happened: <c>added</c>, <c>removed</c>, <c>connected</c>, <c>disconnected</c>, <c>discovered</c>.</summary>
    public required string Change { get; init; }

    /// <summary>The stream.</summary>
    public required ExternalStream Stream { get; init; }
}

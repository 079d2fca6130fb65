namespace CameraService.Client;

/// <summary>The original's <c>capabilities</c> object of an external stream.</summary>
public sealed record ExternalStreamCapabilities(
    string Protocol, string Format, string Source, string StreamType, int Port, string StreamPath, string? Codec, IReadOnlyDictionary<string, string> Metadata);

/// <summary>An external (network) stream; <c>Url</c> never carries a password (<c>user:***@</c>).</summary>
public sealed record ExternalStream(
    string Url, string Type, string Name, string Status, DateTimeOffset DiscoveredAt, DateTimeOffset? LastSeen, string? Device, ExternalStreamCapabilities Capabilities);

/// <summary>The options a discovery ran with.</summary>
public sealed record DiscoveryOptions(bool SkydioEnabled, bool GenericEnabled, bool ForceRescan, bool IncludeOffline);

/// <summary><c>discover_external_streams</c>.</summary>
public sealed record ExternalStreamDiscovery(
    IReadOnlyList<ExternalStream> DiscoveredStreams,
    IReadOnlyList<ExternalStream> SkydioStreams,
    IReadOnlyList<ExternalStream> GenericStreams,
    DateTimeOffset ScanTimestamp,
    int TotalFound,
    DiscoveryOptions DiscoveryOptions,
    string ScanDuration,
    IReadOnlyList<string> Errors);

/// <summary><c>add_external_stream</c>; <c>Device</c> is the stream's camera once its first probe ended.</summary>
public sealed record ExternalStreamAdded(string StreamUrl, string StreamName, string StreamType, string Status, DateTimeOffset Timestamp, string? Device);

/// <summary><c>remove_external_stream</c>.</summary>
public sealed record ExternalStreamRemoved(string StreamUrl, string Status, DateTimeOffset Timestamp);

/// <summary><c>get_external_streams</c>.</summary>
public sealed record ExternalStreamList(
    IReadOnlyList<ExternalStream> ExternalStreams,
    IReadOnlyList<ExternalStream> SkydioStreams,
    IReadOnlyList<ExternalStream> GenericStreams,
    int TotalCount,
    DateTimeOffset Timestamp);

/// <summary><c>set_discovery_interval</c>.</summary>
public sealed record DiscoveryIntervalSet(int ScanInterval, string Status, string Message, DateTimeOffset Timestamp);

public sealed partial class CameraServiceClient
{
    /// <summary><c>discover_external_streams</c> (operator): scans the configured targets; -32030 (<c>feature_disabled</c>) when discovery is off.</summary>
    public Task<ExternalStreamDiscovery> DiscoverExternalStreamsAsync(
        bool? skydioEnabled = null, bool? genericEnabled = null, bool? forceRescan = null, bool? includeOffline = null, CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        Put(parameters, "skydio_enabled", skydioEnabled);
        Put(parameters, "generic_enabled", genericEnabled);
        Put(parameters, "force_rescan", forceRescan);
        Put(parameters, "include_offline", includeOffline);
        return SendAsync("discover_external_streams", parameters, ClientJsonContext.Default.ExternalStreamDiscovery, true, cancellationToken);
    }

    /// <summary><c>add_external_stream</c> (operator): the stream becomes a camera (<c>source: rtsp</c>).</summary>
    public Task<ExternalStreamAdded> AddExternalStreamAsync(string streamUrl, string streamName, string? streamType = null, CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal) { ["stream_url"] = streamUrl, ["stream_name"] = streamName };
        Put(parameters, "stream_type", streamType);
        return SendAsync("add_external_stream", parameters, ClientJsonContext.Default.ExternalStreamAdded, true, cancellationToken);
    }

    /// <summary><c>remove_external_stream</c> (operator), by the URL as added or as listed.</summary>
    public Task<ExternalStreamRemoved> RemoveExternalStreamAsync(string streamUrl, CancellationToken cancellationToken = default) =>
        SendAsync("remove_external_stream", new Dictionary<string, object?>(StringComparer.Ordinal) { ["stream_url"] = streamUrl }, ClientJsonContext.Default.ExternalStreamRemoved, true, cancellationToken);

    /// <summary><c>get_external_streams</c> (viewer).</summary>
    public Task<ExternalStreamList> GetExternalStreamsAsync(CancellationToken cancellationToken = default) =>
        SendAsync("get_external_streams", null, ClientJsonContext.Default.ExternalStreamList, true, cancellationToken);

    /// <summary><c>set_discovery_interval</c> (admin): seconds between background scans, 0 = on demand.</summary>
    public Task<DiscoveryIntervalSet> SetDiscoveryIntervalAsync(int scanInterval, CancellationToken cancellationToken = default) =>
        SendAsync("set_discovery_interval", new Dictionary<string, object?>(StringComparer.Ordinal) { ["scan_interval"] = scanInterval }, ClientJsonContext.Default.DiscoveryIntervalSet, true, cancellationToken);

    private static void Put(Dictionary<string, object?> parameters, string name, object? value)
    {
        if (value is not null)
        {
            parameters[name] = value;
        }
    }
}

/// <summary><c>external_stream_update</c>: <c>Change</c> is added, removed, connected, disconnected or discovered.</summary>
public sealed record ExternalStreamUpdate(
    string Change, string StreamUrl, string StreamName, string StreamType, string Status, string? Device, DateTimeOffset Timestamp, ExternalStream Stream);

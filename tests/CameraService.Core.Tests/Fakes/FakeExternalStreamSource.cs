using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Core.Tests.Fakes;

/// <summary>
/// A network-stream source (as the rtsp plugin is): an added stream becomes a camera of this source; discovery
/// "finds" the streams the test sets in <see cref="Discoverable"/>. Records what the core asked of it.
/// </summary>
internal sealed class FakeExternalStreamSource : ICameraSource, IExternalStreamSource
{
    private readonly FakeCameraSource _cameras = new("rtsp");
    private readonly Lock _gate = new();
    private readonly List<ExternalStream> _streams = [];

    public FakeExternalStreamSource() => _cameras.CameraChanged += (_, e) => CameraChanged?.Invoke(this, e);

    public string Name => _cameras.Name;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public event EventHandler<ExternalStreamChangedEventArgs>? ExternalStreamChanged;

    /// <summary>What a scan finds (not cameras).</summary>
    public List<string> Discoverable { get; } = [];

    public int Scans { get; private set; }

    public TimeSpan DiscoveryInterval { get; private set; }

    public bool DiscoveryEnabled => true;

    public Task StartAsync(CancellationToken cancellationToken) => _cameras.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _cameras.StopAsync(cancellationToken);

    public IReadOnlyList<CameraDescriptor> GetCameras() => _cameras.GetCameras();

    public IReadOnlyList<ExternalStream> GetExternalStreams()
    {
        lock (_gate)
        {
            return [.. _streams];
        }
    }

    public Task<ExternalStream> AddExternalStreamAsync(ExternalStreamRequest request, CancellationToken cancellationToken)
    {
        var stableId = "rtsp-" + request.Url.GetHashCode(StringComparison.Ordinal).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        var stream = Stream(request.Url, request.Name, stableId, request.Type ?? ExternalStreamTypes.Generic);
        lock (_gate)
        {
            if (_streams.Any(s => s.Url == request.Url))
            {
                throw new InvalidParameterException("stream_url", "is already added");
            }

            _streams.Add(stream);
        }

        _cameras.Plug(FakeCameraSource.Camera(stableId, request.Name, "/dev/null") with { Source = "rtsp" });
        ExternalStreamChanged?.Invoke(this, new ExternalStreamChangedEventArgs { Change = "added", Stream = stream });
        return Task.FromResult(stream);
    }

    public Task<ExternalStream> RemoveExternalStreamAsync(string url, CancellationToken cancellationToken)
    {
        ExternalStream stream;
        lock (_gate)
        {
            stream = _streams.FirstOrDefault(s => s.Url == url) ?? throw new ResourceNotFoundException("external_stream", url);
            _streams.Remove(stream);
        }

        ExternalStreamChanged?.Invoke(this, new ExternalStreamChangedEventArgs { Change = "removed", Stream = stream });
        _cameras.Unplug(stream.StableId!);
        return Task.FromResult(stream);
    }

    public Task<ExternalStreamScan> DiscoverAsync(ExternalStreamScanRequest request, CancellationToken cancellationToken)
    {
        Scans++;
        var found = Discoverable.Select(url => Stream(url, url, stableId: null, ExternalStreamTypes.Generic)).ToList();
        foreach (var stream in found)
        {
            ExternalStreamChanged?.Invoke(this, new ExternalStreamChangedEventArgs { Change = "discovered", Stream = stream });
        }

        return Task.FromResult(new ExternalStreamScan { Streams = found, ScannedAt = DateTimeOffset.UnixEpoch, Duration = TimeSpan.FromSeconds(1) });
    }

    public Task SetDiscoveryIntervalAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        DiscoveryInterval = interval;
        return Task.CompletedTask;
    }

    private static ExternalStream Stream(string url, string name, string? stableId, string type) => new()
    {
        Url = url,
        Name = name,
        Type = type,
        Status = ExternalStreamStatuses.Discovered,
        StableId = stableId,
        Capabilities = new ExternalStreamCapabilities { Protocol = "rtsp", Source = stableId is null ? "rtsp_probe" : "api", StreamType = type },
    };
}

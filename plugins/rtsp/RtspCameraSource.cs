using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// Network cameras: every stream of <c>Plugins:Rtsp:Streams</c> and every stream added through the API is probed
/// (ffprobe) and offered as a camera whose capture input is a <see cref="NetworkCaptureInput"/>. A connected stream
/// is kept alive with an RTSP DESCRIBE every <c>WatchInterval</c>; when it stops answering its camera is reported
/// removed (DISCONNECTED) and probed again with an exponential backoff until it returns (CONNECTED, same id: the
/// stable id is derived from the URL without credentials).
/// </summary>
/// <remarks>
/// This class is the contract, the lifecycle and the events; the work is done by <see cref="StreamRegistry"/> (the
/// streams and their persistence), <see cref="StreamWatcher"/> (one watch loop per stream) and
/// <see cref="DiscoveryScanner"/> (on-request and periodic discovery).
/// </remarks>
internal sealed class RtspCameraSource : ICameraSource, IExternalStreamSource, IAsyncDisposable
{
    public const string SourceName = "rtsp";

    private readonly RtspOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RtspCameraSource> _logger;
    private readonly StreamRegistry _registry;
    private readonly StreamWatcher _watcher;
    private readonly DiscoveryScanner _scanner;
    private readonly Lock _eventGate = new();
    private volatile bool _stopped;

    public RtspCameraSource(IOptions<RtspOptions> options, IServiceEnvironment environment, ILogger<RtspCameraSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Value;
        _time = environment.Time;
        _logger = logger;
        _registry = new StreamRegistry(new StreamStore(environment.StateDirectory));
        var prober = new StreamProber(_options.FfprobePath, _options.ProbeTimeout, _options.Transport);
        _watcher = new StreamWatcher(_options, _registry, prober, RaiseCamera, (change, entry) => RaiseStream(change, StreamDescriptions.External(entry)), _time, logger);
        _scanner = new DiscoveryScanner(_options.Discovery, RaiseStream, _time, logger);
    }

    public string Name => SourceName;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public event EventHandler<ExternalStreamChangedEventArgs>? ExternalStreamChanged;

    public bool DiscoveryEnabled => _scanner.Enabled;

    public TimeSpan DiscoveryInterval => TimeSpan.FromSeconds(_registry.DiscoveryInterval ?? _options.Discovery.ScanInterval);

    /// <summary>The background loops still running: one per watched stream, plus the periodic discovery (for tests).</summary>
    internal int RunningLoops => _watcher.Running + _scanner.Running;

    public IReadOnlyList<CameraDescriptor> GetCameras() =>
        _registry.Locked(streams => streams.Where(s => s.Reported && s.Descriptor is not null).Select(s => s.Descriptor!).ToList());

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_watcher.Start())
        {
            // Already started: the streams are listed and watched.
            return;
        }

        if (_registry.Load(_options.Streams, _time.GetUtcNow()) is { } error)
        {
            Log.StoreDamaged(_logger, error);
        }

        var first = _registry.Locked(streams => streams.Select(_watcher.Watch).ToList());
        Log.Started(_logger, first.Count, _options.Streams.Count);
        await _scanner.RestartAsync(DiscoveryInterval, cancellationToken).ConfigureAwait(false);

        // The first discovery ends when every stream was probed once (each probe is bounded by ProbeTimeout).
        await Task.WhenAll(first).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // From here on no camera is reported: the core is taking the source down.
        _stopped = true;
        try
        {
            await Task.WhenAll(_scanner.StopAsync(cancellationToken), _watcher.StopAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the loops end on their own.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _watcher.Dispose();
        _scanner.Dispose();
        _registry.Dispose();
    }

    // ---- external streams ----

    public IReadOnlyList<ExternalStream> GetExternalStreams() =>
        _registry.Locked(streams => streams.Select(StreamDescriptions.External).ToList());

    public async Task<ExternalStream> AddExternalStreamAsync(ExternalStreamRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!StreamUrl.TryParse(request.Url, out var url, out var why))
        {
            throw new InvalidParameterException("stream_url", why);
        }

        var name = request.Name.Trim();
        if (name.Length is 0 or > 100)
        {
            throw new InvalidParameterException("stream_name", "must be 1-100 characters.");
        }

        var type = request.Type is { Length: > 0 } t ? t : url.DefaultType;
        if (type is not (ExternalStreamTypes.Skydio or ExternalStreamTypes.Generic))
        {
            throw new InvalidParameterException("stream_type", "must be skydio or generic.");
        }

        var entry = new StreamEntry(url, name, type, Configured: false, _time.GetUtcNow()) { AddedThisRun = true };
        var first = Task.CompletedTask;
        await _registry.AddAsync(
            entry,
            _options.MaxStreams,
            added =>
            {
                Log.Added(_logger, url.Display, url.StableId);
                RaiseStream("added", StreamDescriptions.External(added));
                first = _watcher.Watch(added);
            },
            cancellationToken).ConfigureAwait(false);

        // Answer once the first probe ended, so the caller learns the camera id (bounded by the probe timeout).
        try
        {
            await first.WaitAsync(_options.ProbeTimeout + TimeSpan.FromSeconds(3), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The probe goes on in the background; the camera appears when it ends.
        }

        return _registry.Locked(_ => StreamDescriptions.External(entry));
    }

    public async Task<ExternalStream> RemoveExternalStreamAsync(string url, CancellationToken cancellationToken)
    {
        var entry = await _registry.RemoveAsync(url, cancellationToken).ConfigureAwait(false);
        await entry.StopWatchAsync().ConfigureAwait(false);
        var last = _registry.Locked(_ =>
        {
            var camera = entry.Descriptor ?? StreamDescriptions.Camera(entry, null, _options.Transport);
            entry.Reported = false;
            return camera;
        });

        Log.Removed(_logger, entry.Url.Display);
        var described = StreamDescriptions.External(entry);

        // The stream's notification first, while its camera id is still listed (so it names the device); then the
        // camera is deleted: it leaves the camera list (also when it was only known from an earlier run, listed as
        // DISCONNECTED), and re-adding the URL gives it back its id.
        RaiseStream("removed", described);
        RaiseCamera(CameraChangeKind.Deleted, last with { State = CameraState.Error, Error = "the stream was removed" });
        return described;
    }

    // ---- discovery ----

    public Task<ExternalStreamScan> DiscoverAsync(ExternalStreamScanRequest request, CancellationToken cancellationToken) =>
        _scanner.DiscoverAsync(request, cancellationToken);

    public async Task SetDiscoveryIntervalAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        _scanner.RequireEnabled();
        if (interval < TimeSpan.Zero || interval > TimeSpan.FromDays(1))
        {
            throw new InvalidParameterException("scan_interval", "must be between 0 (on demand) and 86400 seconds.");
        }

        await _registry.SetDiscoveryIntervalAsync((int)interval.TotalSeconds, cancellationToken).ConfigureAwait(false);
        await _scanner.RestartAsync(DiscoveryInterval, cancellationToken).ConfigureAwait(false);
    }

    // ---- events ----

    private void RaiseCamera(CameraChangeKind kind, CameraDescriptor camera)
    {
        lock (_eventGate)
        {
            if (_stopped)
            {
                return;
            }

            try
            {
                CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = kind, Camera = camera });
            }
            catch (Exception ex) // a subscriber's bug must not stop watching the stream
            {
                Log.HandlerFailed(_logger, ex, camera.StableId);
            }
        }
    }

    private void RaiseStream(string change, ExternalStream stream)
    {
        lock (_eventGate)
        {
            try
            {
                ExternalStreamChanged?.Invoke(this, new ExternalStreamChangedEventArgs { Change = change, Stream = stream });
            }
            catch (Exception ex) // a subscriber's bug must not stop watching the stream
            {
                Log.HandlerFailed(_logger, ex, stream.StableId ?? stream.Url);
            }
        }
    }
}

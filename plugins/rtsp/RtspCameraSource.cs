using System.Globalization;
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
internal sealed partial class RtspCameraSource : ICameraSource, IExternalStreamSource, IAsyncDisposable
{
    public const string SourceName = "rtsp";

    private readonly RtspOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RtspCameraSource> _logger;
    private readonly StreamStore _store;
    private readonly StreamProber _prober;
    private readonly RtspDiscovery _discovery;
    private readonly OnvifDiscovery? _onvif;
    private readonly Lock _gate = new();
    private readonly Lock _eventGate = new();
    private readonly SemaphoreSlim _mutation = new(1, 1);
    private readonly List<StreamEntry> _streams = [];
    private readonly CancellationTokenSource _stopping = new();
    private int? _discoveryInterval;
    private ExternalStreamScan? _lastScan;
    private Task? _scanLoop;
    private CancellationTokenSource _scanLoopCts = new();
    private bool _started;

    public RtspCameraSource(IOptions<RtspOptions> options, IServiceEnvironment environment, ILogger<RtspCameraSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Value;
        _time = environment.Time;
        _logger = logger;
        _store = new StreamStore(environment.StateDirectory);
        _prober = new StreamProber(_options.FfprobePath, _options.ProbeTimeout, _options.Transport);
        _discovery = new RtspDiscovery(_options.Discovery, _time);
        _onvif = _options.Discovery.Onvif.Enabled ? new OnvifDiscovery(_options.Discovery.Onvif, _options.Discovery.Timeout, _time) : null;
    }

    public string Name => SourceName;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public event EventHandler<ExternalStreamChangedEventArgs>? ExternalStreamChanged;

    public bool DiscoveryEnabled => _options.Discovery.Enabled;

    public TimeSpan DiscoveryInterval => TimeSpan.FromSeconds(_discoveryInterval ?? _options.Discovery.ScanInterval);

    public IReadOnlyList<CameraDescriptor> GetCameras()
    {
        lock (_gate)
        {
            return [.. _streams.Where(s => s.Reported && s.Descriptor is not null).Select(s => s.Descriptor!)];
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (stored, interval, error) = _store.Load();
        if (error is not null)
        {
            LogStoreDamaged(_logger, error);
        }

        _discoveryInterval = interval;
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var c in _options.Streams)
            {
                // Validated at start (RtspOptionsValidator).
                _ = StreamUrl.TryParse(c.Url, out var url, out _);
                _streams.Add(new StreamEntry(url!, c.Name.Trim(), c.Type is { Length: > 0 } t ? t : url!.DefaultType, Configured: true, now));
            }

            foreach (var (s, credential) in stored)
            {
                if (!StreamUrl.TryParse(s.Url, out var url, out _) || _streams.Any(e => e.Url.StableId == url.StableId))
                {
                    continue;
                }

                _streams.Add(new StreamEntry(url with { UserName = credential?.User, Password = credential?.Password }, s.Name, s.Type, Configured: false, s.AddedAt));
            }

            _started = true;
        }

        List<Task> first;
        lock (_gate)
        {
            first = [.. _streams.Select(Watch)];
        }

        LogStarted(_logger, first.Count, _options.Streams.Count);
        RestartScanLoop();

        // The first discovery ends when every stream was probed once (each probe is bounded by ProbeTimeout).
        await Task.WhenAll(first).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _scanLoopCts.CancelAsync().ConfigureAwait(false);
        Task[] watchers;
        lock (_gate)
        {
            watchers = [.. _streams.Select(s => s.Loop).OfType<Task>()];
            _started = false;
        }

        try
        {
            await Task.WhenAll(watchers).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the loops end on their own.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _scanLoopCts.Dispose();
        _mutation.Dispose();
    }

    // ---- external streams ----

    public IReadOnlyList<ExternalStream> GetExternalStreams()
    {
        lock (_gate)
        {
            return [.. _streams.Select(Describe)];
        }
    }

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

        StreamEntry entry;
        Task? first = null;
        await _mutation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (_streams.Any(s => s.Url.StableId == url.StableId))
                {
                    throw new InvalidParameterException("stream_url", $"{url.Display} is already added; remove_external_stream it first to change it.");
                }

                if (_streams.Count >= _options.MaxStreams)
                {
                    throw new InvalidParameterException("stream_url", $"at most {_options.MaxStreams} streams (Plugins:Rtsp:MaxStreams) can be added.");
                }

                entry = new StreamEntry(url, name, type, Configured: false, _time.GetUtcNow()) { AddedThisRun = true };
                _streams.Add(entry);
            }

            try
            {
                SaveLocked();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                lock (_gate)
                {
                    _streams.Remove(entry);
                }

                throw new DependencyFailedException("state", "the stream could not be saved (state directory not writable); nothing was added", ex);
            }

            LogAdded(_logger, url.Display, url.StableId);
            RaiseStream("added", Describe(entry));
            lock (_gate)
            {
                if (_started)
                {
                    first = Watch(entry);
                }
            }
        }
        finally
        {
            _mutation.Release();
        }

        if (first is not null)
        {
            // Answer once the first probe ended, so the caller learns the camera id (bounded by the probe timeout).
            try
            {
                await first.WaitAsync(_options.ProbeTimeout + TimeSpan.FromSeconds(3), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The probe goes on in the background; the camera appears when it ends.
            }
        }

        lock (_gate)
        {
            return Describe(entry);
        }
    }

    public async Task<ExternalStream> RemoveExternalStreamAsync(string url, CancellationToken cancellationToken)
    {
        StreamEntry? entry;
        await _mutation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                entry = Find(url);
                if (entry is null)
                {
                    throw new ResourceNotFoundException("stream", Redact(url), $"No external stream has the URL '{Redact(url)}'; get_external_streams lists them.");
                }

                if (entry.Configured)
                {
                    throw new InvalidStateException("configured_stream", "CONFIGURED", $"{entry.Url.Display} comes from the configuration (Plugins:Rtsp:Streams); remove it there.");
                }

                _streams.Remove(entry);
            }

            SaveLocked();
        }
        finally
        {
            _mutation.Release();
        }

        await entry.StopAsync().ConfigureAwait(false);
        CameraDescriptor last;
        lock (_gate)
        {
            last = entry.Descriptor ?? Descriptor(entry, null);
            entry.Reported = false;
        }

        LogRemoved(_logger, entry.Url.Display);
        var described = Describe(entry);

        // The stream's notification first, while its camera id is still listed (so it names the device); then the
        // camera is deleted: it leaves the camera list (also when it was only known from an earlier run, listed as
        // DISCONNECTED), and re-adding the URL gives it back its id.
        RaiseStream("removed", described);
        RaiseCamera(CameraChangeKind.Deleted, last with { State = CameraState.Error, Error = "the stream was removed" });
        return described;
    }

    public async Task<ExternalStreamScan> DiscoverAsync(ExternalStreamScanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireDiscovery();
        var last = Volatile.Read(ref _lastScan);
        if (!request.ForceRescan && last is not null && _time.GetUtcNow() - last.ScannedAt < TimeSpan.FromSeconds(30))
        {
            return request.IncludeOffline ? last : last with { Streams = [.. last.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered)] };
        }

        var scan = await _discovery.ScanAsync(
            request with { IncludeOffline = true },
            _onvif is null ? null : ct => _onvif.DiscoverAsync(ct),
            cancellationToken).ConfigureAwait(false);
        var previous = last?.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered).Select(s => s.Url).ToHashSet(StringComparer.Ordinal) ?? [];
        Volatile.Write(ref _lastScan, scan);
        foreach (var s in scan.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered && !previous.Contains(s.Url)))
        {
            RaiseStream("discovered", s);
        }

        LogScanned(_logger, scan.Streams.Count(s => s.Status == ExternalStreamStatuses.Discovered), scan.Duration.TotalMilliseconds);
        return request.IncludeOffline ? scan : scan with { Streams = [.. scan.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered)] };
    }

    public async Task SetDiscoveryIntervalAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        RequireDiscovery();
        if (interval < TimeSpan.Zero || interval > TimeSpan.FromDays(1))
        {
            throw new InvalidParameterException("scan_interval", "must be between 0 (on demand) and 86400 seconds.");
        }

        await _mutation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var before = _discoveryInterval;
            _discoveryInterval = (int)interval.TotalSeconds;
            try
            {
                SaveLocked();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _discoveryInterval = before;
                throw new DependencyFailedException("state", "the interval could not be saved (state directory not writable); it is unchanged", ex);
            }
        }
        finally
        {
            _mutation.Release();
        }

        RestartScanLoop();
    }

    private void RequireDiscovery()
    {
        if (!DiscoveryEnabled)
        {
            throw new UnsupportedFeatureException(
                "external_stream_discovery",
                "Discovery of external streams is disabled; set Plugins:Rtsp:Discovery:Enabled=true and configure Plugins:Rtsp:Discovery:Targets (see docs/rtsp.md).");
        }
    }

    private void RestartScanLoop()
    {
        var old = _scanLoopCts;
        _scanLoopCts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        old.Cancel();
        old.Dispose();
        var interval = DiscoveryInterval;
        if (!DiscoveryEnabled || interval <= TimeSpan.Zero || _stopping.IsCancellationRequested)
        {
            return;
        }

        var ct = _scanLoopCts.Token;
        _scanLoop = Task.Run(
            async () =>
            {
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        await DiscoverAsync(new ExternalStreamScanRequest { ForceRescan = true }, ct).ConfigureAwait(false);
                        await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex) // a failing scan must not end the periodic discovery
                    {
                        LogScanFailed(_logger, ex.Message);
                        await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                    }
                }
            },
            ct);
    }

    // ---- watching ----

    /// <summary>Starts the entry's loop; the returned task completes after its first probe.</summary>
    private Task Watch(StreamEntry entry)
    {
        entry.Cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var ct = entry.Cts.Token;
        entry.Loop = Task.Run(() => WatchLoopAsync(entry, ct), CancellationToken.None);
        return entry.FirstCheck.Task;
    }

    private async Task WatchLoopAsync(StreamEntry entry, CancellationToken ct)
    {
        var backoff = _options.InitialBackoff;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (!entry.Connected)
                {
                    try
                    {
                        var probe = await _prober.ProbeAsync(entry.Url, ct).ConfigureAwait(false);
                        OnConnected(entry, probe);
                        backoff = _options.InitialBackoff;
                    }
                    catch (ProbeException ex)
                    {
                        OnUnreachable(entry, ex.Message);
                        entry.FirstCheck.TrySetResult();
                        await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                        continue;
                    }

                    entry.FirstCheck.TrySetResult();
                }

                await Task.Delay(_options.WatchInterval, _time, ct).ConfigureAwait(false);
                if (!await AliveAsync(entry, ct).ConfigureAwait(false))
                {
                    OnUnreachable(entry, entry.LastError ?? "the stream stopped answering");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Removed or stopping.
        }
        catch (Exception ex) // never let a loop die silently: the camera would stay in a stale state
        {
            LogWatchFailed(_logger, ex, entry.Url.Display);
        }
        finally
        {
            entry.FirstCheck.TrySetResult();
        }
    }

    private async Task<bool> AliveAsync(StreamEntry entry, CancellationToken ct)
    {
        // Two tries: one lost answer must not take a camera down.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                var answer = await RtspClient.DescribeAsync(entry.Url, _options.ProbeTimeout, ct).ConfigureAwait(false);
                if (answer.Status is 200 or 401)
                {
                    lock (_gate)
                    {
                        entry.LastSeen = _time.GetUtcNow();
                    }

                    return true;
                }

                entry.LastError = $"the server answers RTSP {answer.Status}";
            }
            catch (ProbeException ex)
            {
                entry.LastError = ex.Message;
            }
        }

        return false;
    }

    private void OnConnected(StreamEntry entry, ProbeResult probe)
    {
        CameraDescriptor descriptor;
        CameraChangeKind kind;
        lock (_gate)
        {
            if (!_streams.Contains(entry))
            {
                return;
            }

            entry.Probe = probe;
            entry.Connected = true;
            entry.LastError = null;
            entry.LastSeen = _time.GetUtcNow();
            descriptor = Descriptor(entry, probe);
            kind = entry.Reported ? CameraChangeKind.Updated : CameraChangeKind.Added;
            entry.Reported = true;
            entry.Descriptor = descriptor;
        }

        LogConnected(_logger, entry.Url.Display, probe.Codec, probe.Width, probe.Height, probe.FrameRate, probe.Audio?.Codec ?? "none");
        RaiseCamera(kind, descriptor);
        RaiseStream("connected", Describe(entry));
    }

    private void OnUnreachable(StreamEntry entry, string reason)
    {
        CameraDescriptor? removed = null;
        CameraDescriptor? failed = null;
        bool changed;
        lock (_gate)
        {
            if (!_streams.Contains(entry))
            {
                return;
            }

            changed = entry.Connected || entry.LastError != reason;
            var wasConnected = entry.Connected;
            entry.Connected = false;
            entry.LastError = reason;
            if (wasConnected && entry.Reported && entry.Descriptor is not null)
            {
                removed = entry.Descriptor with { State = CameraState.Error, Error = "the stream stopped answering: " + reason };
                entry.Reported = false;
            }
            else if (!entry.Reported && entry.AddedThisRun && entry.LastSeen is null)
            {
                // A stream just added that never answered: show it as a camera in error, so the operator sees why.
                failed = Descriptor(entry, null) with { State = CameraState.Error, Error = $"The stream {entry.Url.Display} does not answer: {reason}." };
                entry.Reported = true;
                entry.Descriptor = failed;
            }
        }

        if (changed)
        {
            LogUnreachable(_logger, entry.Url.Display, reason);
        }

        if (removed is not null)
        {
            RaiseCamera(CameraChangeKind.Removed, removed);
            RaiseStream("disconnected", Describe(entry));
        }
        else if (failed is not null)
        {
            RaiseCamera(CameraChangeKind.Added, failed);
        }
    }

    private CameraDescriptor Descriptor(StreamEntry entry, ProbeResult? probe)
    {
        var codec = probe?.Codec ?? PixelFormats.H264;
        var supported = PixelFormats.All.Contains(codec);
        var video = new VideoMode { PixelFormat = supported ? codec : PixelFormats.H264, Width = probe?.Width ?? 0, Height = probe?.Height ?? 0, FrameRate = probe?.FrameRate ?? 0 };
        var transport = _options.Transport switch
        {
            "udp" => RtspTransport.Udp,
            "tcp" => RtspTransport.Tcp,
            _ => RtspTransport.Automatic,
        };
        return new CameraDescriptor
        {
            StableId = entry.Url.StableId,
            Source = SourceName,
            Name = entry.Name,
            Driver = "rtsp",
            BusInfo = entry.Url.Display,
            State = supported ? CameraState.Available : CameraState.Error,
            Error = supported ? null : $"The stream's video codec '{probe?.RawCodec}' is not supported; configure the camera for H.264 or H.265.",
            Formats = probe is null || probe.Width <= 0
                ? []
                :
                [
                    new CameraFormat
                    {
                        FourCc = video.PixelFormat,
                        Description = (probe.RawCodec ?? codec) + " over RTSP",
                        Compressed = true,
                        Sizes = [new FrameSize { Width = probe.Width, Height = probe.Height, FrameRates = probe.FrameRate > 0 ? [probe.FrameRate] : [] }],
                    },
                ],
            CaptureInput = supported && probe is not null
                ? new NetworkCaptureInput
                {
                    Url = entry.Url.Url,
                    UserName = entry.Url.UserName,
                    Password = entry.Url.Password,
                    Transport = transport,
                    Video = video,
                    Audio = probe.Audio,
                }
                : null,
        };
    }

    private ExternalStream Describe(StreamEntry entry)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["camera_state"] = entry.Connected ? "CONNECTED" : "DISCONNECTED",
        };
        if (entry.Probe is { } p)
        {
            metadata["resolution"] = string.Create(CultureInfo.InvariantCulture, $"{p.Width}x{p.Height}");
            metadata["fps"] = p.FrameRate.ToString("0.###", CultureInfo.InvariantCulture);
            metadata["audio"] = p.Audio is null ? "false" : "true";
            metadata["probe"] = p.Method;
            if (p.Audio?.Codec is { } ac)
            {
                metadata["audio_codec"] = ac;
            }
        }

        if (!entry.Connected && entry.LastError is { } e)
        {
            metadata["error"] = e;
        }

        if (entry.Url.UserName is not null)
        {
            metadata["authentication"] = "configured";
        }

        return new ExternalStream
        {
            Url = entry.Url.Display,
            Name = entry.Name,
            Type = entry.Type,
            Status = entry.Connected ? ExternalStreamStatuses.Discovered : ExternalStreamStatuses.Error,
            DiscoveredAt = entry.AddedAt,
            LastSeen = entry.LastSeen,
            StableId = entry.Url.StableId,
            Configured = entry.Configured,
            Capabilities = new ExternalStreamCapabilities
            {
                Protocol = entry.Url.Url.Scheme,
                Source = entry.Configured ? "configuration" : "api",
                StreamType = entry.Type == ExternalStreamTypes.Skydio ? entry.Url.StreamKind : "generic",
                Port = entry.Url.Port,
                StreamPath = entry.Url.Url.AbsolutePath,
                Codec = entry.Probe?.Codec,
                Metadata = metadata,
            },
        };
    }

    private StreamEntry? Find(string url)
    {
        if (StreamUrl.TryParse(url, out var parsed, out _))
        {
            return _streams.FirstOrDefault(s => s.Url.StableId == parsed.StableId);
        }

        // "rtsp://user:***@host/…" as listed is refused by TryParse (the *** password); match it by its display form.
        return _streams.FirstOrDefault(s => string.Equals(s.Url.Display, url, StringComparison.Ordinal));
    }

    private static string Redact(string url) =>
        StreamUrl.TryParse(url, out var parsed, out _) ? parsed.Display : (url.Length > 200 ? url[..200] : url).Split('@')[^1];

    private void SaveLocked()
    {
        List<(StoredStream, StoredCredential?)> streams;
        lock (_gate)
        {
            streams = [.. _streams.Where(s => !s.Configured).Select(s => (
                new StoredStream(s.Url.StableId, s.Url.Url.AbsoluteUri, s.Name, s.Type, s.AddedAt),
                s.Url.UserName is null ? null : new StoredCredential(s.Url.UserName, s.Url.Password)))];
        }

        _store.Save(streams, _discoveryInterval);
    }

    private void RaiseCamera(CameraChangeKind kind, CameraDescriptor camera)
    {
        lock (_eventGate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            try
            {
                CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = kind, Camera = camera });
            }
            catch (Exception ex) // a subscriber's bug must not stop watching the stream
            {
                LogHandlerFailed(_logger, ex, camera.StableId);
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
                LogHandlerFailed(_logger, ex, stream.StableId ?? stream.Url);
            }
        }
    }

    /// <summary>One stream and its watch loop.</summary>
    private sealed record StreamEntry(StreamUrl Url, string Name, string Type, bool Configured, DateTimeOffset AddedAt)
    {
        public bool AddedThisRun { get; init; }

        public bool Connected { get; set; }

        public bool Reported { get; set; }

        public CameraDescriptor? Descriptor { get; set; }

        public ProbeResult? Probe { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset? LastSeen { get; set; }

        public CancellationTokenSource? Cts { get; set; }

        public Task? Loop { get; set; }

        public TaskCompletionSource FirstCheck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task StopAsync()
        {
            if (Cts is { } cts)
            {
                await cts.CancelAsync().ConfigureAwait(false);
            }

            if (Loop is { } loop)
            {
                await loop.ConfigureAwait(false);
            }

            Cts?.Dispose();
        }
    }

    [LoggerMessage(4200, LogLevel.Information, "RTSP source watches {Count} stream(s) ({Configured} from configuration)")]
    private static partial void LogStarted(ILogger logger, int count, int configured);

    [LoggerMessage(4201, LogLevel.Information, "Stream {Url} is connected: {Codec} {Width}x{Height}@{Fps}, audio {Audio}")]
    private static partial void LogConnected(ILogger logger, string url, string codec, int width, int height, double fps, string audio);

    [LoggerMessage(4202, LogLevel.Warning, "Stream {Url} does not answer: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string url, string reason);

    [LoggerMessage(4203, LogLevel.Information, "External stream {Url} added (camera stable id {StableId})")]
    private static partial void LogAdded(ILogger logger, string url, string stableId);

    [LoggerMessage(4204, LogLevel.Information, "External stream {Url} removed")]
    private static partial void LogRemoved(ILogger logger, string url);

    [LoggerMessage(4205, LogLevel.Error, "The state of the RTSP source could not be loaded: {Error}")]
    private static partial void LogStoreDamaged(ILogger logger, string error);

    [LoggerMessage(4206, LogLevel.Error, "The watch of stream {Url} failed")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception, string url);

    [LoggerMessage(4207, LogLevel.Error, "A handler threw for stream {StableId}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string stableId);

    [LoggerMessage(4208, LogLevel.Information, "Stream discovery found {Count} stream(s) in {Milliseconds:0} ms")]
    private static partial void LogScanned(ILogger logger, int count, double milliseconds);

    [LoggerMessage(4209, LogLevel.Warning, "Periodic stream discovery failed: {Reason}")]
    private static partial void LogScanFailed(ILogger logger, string reason);
}

using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// <see cref="IStreamBackend"/> on MediaMTX: one path per camera (named by the camera id), applied and kept applied
/// through the Control API; recording by toggling <c>record</c>; snapshots with ffmpeg from the path's RTSP URL.
/// The desired state is a <see cref="PathTable"/>, kept applied by a <see cref="PathReconciler"/>; segment files are
/// found by a <see cref="SegmentCollector"/> and health is a <see cref="BackendHealth"/>. This class does the I/O of
/// each operation in order.
/// </summary>
internal sealed partial class MediaMtxBackend : IStreamBackend, IVideoFrameSource, IAsyncDisposable
{
    private readonly MediaMtxClient _client;
    private readonly MediaMtxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MediaMtxBackend> _logger;
    private readonly FfmpegSnapshotter _snapshotter;
    private readonly OwnershipRegistry _registry;
    private readonly PathTable _paths;
    private readonly BackendHealth _health;
    private readonly PathReconciler _reconciler;
    private readonly SegmentCollector _segments;
    private readonly SegmentAudioRemover _audio;
    private readonly BackgroundLoops _loops;
    private readonly LiveSnapshotReaders _liveReaders;
    private long _snapshotsFromOpenReaders;

    public MediaMtxBackend(
        MediaMtxClient client,
        IOptions<MediaMtxOptions> options,
        TimeProvider timeProvider,
        ILogger<MediaMtxBackend> logger,
        FfmpegSnapshotter snapshotter)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _snapshotter = snapshotter;
        _registry = new OwnershipRegistry(_options.StateDirectory);
        _paths = new PathTable(_options, _registry);
        _health = new BackendHealth(client, timeProvider, logger, Raise);
        _reconciler = new PathReconciler(client, _options, _paths, _registry, _health, timeProvider, logger, Raise);
        _segments = new SegmentCollector(client, timeProvider, new SegmentSplitter(_options.FfmpegPath, timeProvider));
        _audio = new SegmentAudioRemover(_options, timeProvider, logger);
        _loops = new BackgroundLoops(logger, timeProvider);
        _liveReaders = new LiveSnapshotReaders(_options, timeProvider, logger);
    }

    public string Name => "mediamtx";

    public event EventHandler<StreamBackendEventArgs>? BackendEvent;

    // ---- lifecycle ----

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _reconciler.StartAsync(cancellationToken).ConfigureAwait(false);
        _loops.Start();
        _loops.RunEvery("reconcile", _options.ReconcileInterval, _reconciler.TickAsync);
        // A MediaMTX that was down or restarted is re-applied within a second of answering again (issue 22).
        _loops.RunEvery("reconcile-watch", PathReconciler.DownPollInterval, _reconciler.WatchTickAsync);
        _loops.RunEvery("size-rotation", SizeRotationInterval, RotateActiveAsync);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Recordings run inside MediaMTX, not in this process: they are left running so that a restarted service
        // re-adopts them (GetActiveRecordingsAsync). Only our own loop stops here.
        if (!_loops.IsStarted)
        {
            return;
        }

        await _loops.StopAsync(cancellationToken).ConfigureAwait(false);
        _health.Stopped();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _reconciler.Dispose();
        _loops.Dispose();
        _liveReaders.Dispose();
    }

    /// <summary>One reconciliation pass now (tests; the loop runs it every <see cref="MediaMtxOptions.ReconcileInterval"/>).</summary>
    internal Task ReconcileAsync(CancellationToken ct) => _reconciler.ReconcileAsync(ct);

    // ---- publish ----

    public async Task PublishAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);
        if (!ValidPathName().IsMatch(camera.CameraId) || camera.CameraId.Split('/').Any(s => s is "." or ".."))
        {
            throw new InvalidParameterException("camera_id", "must contain only letters, digits, '_', '-', '.' and '/' to be a MediaMTX path name");
        }

        _paths.Publish(camera);
        if (await ApplyAsync(camera.CameraId, cancellationToken).ConfigureAwait(false) is { } applied)
        {
            Log.PathApplied(_logger, camera.CameraId, applied["runOnInit"]!.GetValue<string>().Length > 0 ? "runOnInit" : "runOnDemand");
        }
    }

    public async Task UnpublishAsync(string cameraId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        if (_paths.IsRecording(cameraId))
        {
            var finished = await StopRecordingAsync(cameraId, cancellationToken).ConfigureAwait(false);
            Raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.RecordingFailed, CameraId = cameraId, Reason = "The camera's stream was removed; the recording was stopped and finalized.", Recording = finished });
        }

        _paths.Remove(cameraId);
        _liveReaders.Forget(cameraId);
        await _reconciler.ExclusiveAsync(
            async () =>
            {
                if (_registry.Contains(cameraId) || await IsOursAsync(cameraId, cancellationToken).ConfigureAwait(false))
                {
                    await _health.Guard(() => _client.DeletePathAsync(cameraId, cancellationToken)).ConfigureAwait(false);
                    Log.PathRemoved(_logger, cameraId);
                }

                _registry.Remove(cameraId);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> IsOursAsync(string name, CancellationToken ct)
    {
        var conf = await _health.Guard(() => _client.GetPathConfigAsync(name, ct)).ConfigureAwait(false);
        return conf != null && PathConfigBuilder.IsOurs(conf);
    }

    // ---- streams ----

    public async Task<StreamInfo> StartStreamingAsync(string cameraId, CancellationToken cancellationToken)
    {
        if (_paths.Pin(cameraId, pinned: true))
        {
            await ApplyAsync(cameraId, cancellationToken).ConfigureAwait(false);
        }

        return await GetStreamAsync(cameraId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StreamInfo> StopStreamingAsync(string cameraId, CancellationToken cancellationToken)
    {
        if (_paths.Pin(cameraId, pinned: false))
        {
            await ApplyAsync(cameraId, cancellationToken).ConfigureAwait(false);
        }

        return await GetStreamAsync(cameraId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StreamInfo> GetStreamAsync(string cameraId, CancellationToken cancellationToken)
    {
        var keepRunning = _paths.KeepRunning(cameraId);
        var path = await _health.Guard(() => _client.GetPathAsync(cameraId, cancellationToken)).ConfigureAwait(false);
        return ToStreamInfo(cameraId, path, keepRunning);
    }

    public async Task<IReadOnlyList<StreamInfo>> GetStreamsAsync(CancellationToken cancellationToken)
    {
        var cams = _paths.Published();
        var paths = (await _health.Guard(() => _client.ListPathsAsync(cancellationToken)).ConfigureAwait(false))
            .ToDictionary(p => p.Name, StringComparer.Ordinal);
        return cams.Select(c => ToStreamInfo(c.CameraId, paths.GetValueOrDefault(c.CameraId), c.KeepRunning)).ToList();
    }

    private static StreamInfo ToStreamInfo(string cameraId, MtxPath? path, bool keepRunning)
    {
        if (path is null)
        {
            return new StreamInfo { CameraId = cameraId, Name = cameraId, Source = "publisher", State = StreamState.Inactive, Ready = false, Readers = 0, BytesSent = 0 };
        }

        var ready = path.Available ?? path.Ready;
        var state = ready ? StreamState.Active : keepRunning ? StreamState.Starting : StreamState.Inactive;
        return new StreamInfo
        {
            CameraId = cameraId,
            Name = path.Name,
            Source = path.Source?.Type ?? "publisher",
            State = state,
            Ready = ready,
            Readers = path.Readers?.Count ?? 0,
            BytesSent = path.OutboundBytes ?? path.BytesSent ?? 0,
            StartTime = ready ? path.ReadyTime : null,
        };
    }

    public StreamUrls GetStreamUrls(string cameraId)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        var host = _options.PublicHost.Contains(':', StringComparison.Ordinal) && !_options.PublicHost.StartsWith('[') ? "[" + _options.PublicHost + "]" : _options.PublicHost;
        var name = string.Join('/', cameraId.Split('/').Select(Uri.EscapeDataString));
        string? Url(int port, string scheme, string suffix) =>
            port == 0 ? null : $"{scheme}://{host}:{port.ToString(CultureInfo.InvariantCulture)}/{name}{suffix}";
        return new StreamUrls { Rtsp = Url(_options.RtspPort, "rtsp", string.Empty), Hls = Url(_options.HlsPort, "http", "/index.m3u8"), WebRtc = Url(_options.WebRtcPort, "http", "/") };
    }

    // ---- recording ----

    public async Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Format == RecordingFormats.Mkv)
        {
            // MediaMTX records only fMP4 and MPEG-TS. Remuxing each segment on stop would leave .mp4 files behind
            // whenever a recording ends any other way (crash, restart, adoption), so the backend refuses instead.
            throw new UnsupportedFeatureException(
                "mkv_recording_mediamtx",
                "The MediaMTX backend cannot record MKV (MediaMTX writes fMP4 only); record with format 'fmp4' or 'mp4', " +
                "or use the ffmpeg backend (CameraService:StreamBackend=ffmpeg) for MKV.");
        }

        if (request.Format is not (RecordingFormats.Fmp4 or RecordingFormats.Mp4))
        {
            throw new InvalidParameterException("format", "must be fmp4, mp4 or mkv");
        }

        if (request.PreEvent > TimeSpan.Zero)
        {
            throw new UnsupportedFeatureException(
                "pre_event_buffer",
                "The MediaMTX backend keeps no pre-event buffer of the cameras' streams; start the recording without pre_seconds, " +
                "or use the ffmpeg backend with Plugins:Ffmpeg:PreEventBuffer set.");
        }

        var session = _paths.StartRecording(request, _time.GetUtcNow());
        try
        {
            Directory.CreateDirectory(session.Directory);
            await ApplyAsync(request.CameraId, cancellationToken, patch: true).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Roll back the desired state so that a failed start leaves the camera idle (and reconciliation does not start it later).
            _paths.RecordingFailed(session);
            throw;
        }

        _paths.RecordingConfirmed(session);
        Log.RecordingStarted(_logger, request.CameraId, request.SessionId);
        return new BackendRecording { CameraId = request.CameraId, SessionId = request.SessionId, Format = request.Format, StartTime = session.StartTime, Files = [], BytesWritten = 0 };
    }

    public async Task<BackendRecording> StopRecordingAsync(string cameraId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        var (session, published) = _paths.BeginStop(cameraId);
        try
        {
            if (published)
            {
                await ApplyAsync(cameraId, cancellationToken, patch: true).ConfigureAwait(false);
            }
            else
            {
                // An adopted recording of a camera that is not published (yet): only switch recording off. Should the
                // camera be published meanwhile, its config already says record off (the table knows the stop).
                try
                {
                    await _health.Guard(() => _client.PatchPathAsync(cameraId, new JsonObject { ["record"] = false }, cancellationToken)).ConfigureAwait(false);
                }
                catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
                {
                    // The path is already gone: the recording has ended.
                }
            }
        }
        catch (Exception)
        {
            _paths.StopFailed(cameraId);
            throw;
        }

        _paths.Stopped(session);
        await _segments.WaitRecordOffAsync(cameraId, cancellationToken).ConfigureAwait(false);
        var files = await RotateAsync(session, await _segments.CollectAsync(session, cancellationToken, final: true).ConfigureAwait(false), final: true, cancellationToken).ConfigureAwait(false);
        if (session.RemoveAudio)
        {
            // MediaMTX records every track of the path; audio: false takes the audio out of the finished segments.
            files = await _audio.RemoveAudioAsync(cameraId, files, cancellationToken).ConfigureAwait(false);
        }

        _paths.Finalized(cameraId);
        var bytes = files.Sum(f => f.Size);
        Log.RecordingStopped(_logger, cameraId, files.Count, bytes);
        return new BackendRecording { CameraId = cameraId, SessionId = session.SessionId, Format = session.Format, StartTime = session.StartTime, EndTime = _time.GetUtcNow(), Files = files, BytesWritten = bytes };
    }

    public async Task<IReadOnlyList<BackendRecording>> GetActiveRecordingsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _reconciler.AdoptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            // MediaMTX is down: report what we know; adoption happens when it is back.
        }

        var result = new List<BackendRecording>();
        foreach (var s in _paths.ActiveRecordings())
        {
            var files = await _segments.CollectAsync(s, cancellationToken).ConfigureAwait(false);
            result.Add(new BackendRecording { CameraId = s.CameraId, SessionId = s.SessionId, Format = s.Format, StartTime = s.StartTime, Files = files, BytesWritten = files.Sum(f => f.Size) });
        }

        return result;
    }

    /// <summary>How often completed segments of running recordings are checked against the size limit.</summary>
    private static readonly TimeSpan SizeRotationInterval = TimeSpan.FromSeconds(5);

    /// <summary>Splits the completed segments of every running recording that are over the size limit.</summary>
    private async Task RotateActiveAsync(CancellationToken cancellationToken)
    {
        foreach (var s in _paths.ActiveRecordings().Where(s => s.MaxBytes > 0))
        {
            await RotateAsync(s, await _segments.CollectAsync(s, cancellationToken).ConfigureAwait(false), final: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Size rotation of one session's files; a split that fails keeps the segment whole (logged), never loses it.</summary>
    private async Task<IReadOnlyList<RecordedFile>> RotateAsync(RecordingSession session, IReadOnlyList<RecordedFile> files, bool final, CancellationToken cancellationToken)
    {
        try
        {
            return await _segments.RotateAsync(session, files, final, cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException ex)
        {
            Log.SegmentSplitFailed(_logger, session.CameraId, ex.Message);
            return await _segments.CollectAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- snapshots ----

    /// <summary>Snapshots served from an open reader so far (tests).</summary>
    internal long SnapshotsFromOpenReaders => Interlocked.Read(ref _snapshotsFromOpenReaders);

    /// <summary>Snapshot readers open now (tests).</summary>
    internal int OpenSnapshotReaders => _liveReaders.Count;

    /// <summary>
    /// From the camera's open reader when it has a fresh picture (<see cref="LiveSnapshotReaders"/>), otherwise from a
    /// new RTSP connection; either way the reader is kept open for the next snapshot.
    /// </summary>
    public async Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        _paths.EnsurePublished(request.CameraId);
        var url = $"rtsp://{PathConfigBuilder.UserInfo(_options)}{_options.RtspHost}:{_options.RtspPort.ToString(CultureInfo.InvariantCulture)}/{request.CameraId}";
        if (_liveReaders.TryTake(request.CameraId, request.Format, request.Quality, out var picture, out var encoder))
        {
            try
            {
                var fromReader = await _snapshotter.CaptureAsync(picture, request, encoder, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _snapshotsFromOpenReaders);
                _liveReaders.Keep(request.CameraId, url, request.Format, request.Quality, fromReader.Width, fromReader.Height);
                return fromReader;
            }
            catch (DependencyFailedException ex)
            {
                // A GOP the decoder did not take (cut mid-picture): a new connection still gives a picture.
                Log.LiveSnapshotFailed(_logger, request.CameraId, ex.Detail);
            }
        }

        try
        {
            var result = await _snapshotter.CaptureAsync(url, request, cancellationToken).ConfigureAwait(false);
            _liveReaders.Keep(request.CameraId, url, request.Format, request.Quality, result.Width, result.Height);
            return result;
        }
        catch (DependencyFailedException ex)
        {
            Log.SnapshotFailed(_logger, request.CameraId, ex.Detail);
            throw;
        }
    }

    public IAsyncEnumerable<VideoFrame> ReadFramesAsync(VideoFrameRequest request, CancellationToken cancellationToken) => MediaMtxFrameSource.ReadAsync(_options, _paths, _time, request, cancellationToken);

    // ---- health ----

    public ComponentStatus GetHealth() => _health.Current;

    // ---- helpers ----

    /// <summary>
    /// Applies a camera's desired config: patch (hot-reloads record-only changes), or replace when the path is gone.
    /// The config is read from the table when the change runs, not when it was asked for: changes queue behind one
    /// another, and one computed earlier must never overwrite a later state — a service restarted mid-recording
    /// publishes the camera while the duration limit already stops the adopted recording, and a publish that sent
    /// <c>record: true</c> after the stop's <c>record: false</c> left MediaMTX recording with no session (found by the
    /// chaos soak). Answers the config sent, or null when the camera is no longer published.
    /// </summary>
    private async Task<JsonObject?> ApplyAsync(string cameraId, CancellationToken ct, bool patch = false)
    {
        JsonObject? applied = null;
        await _reconciler.ExclusiveAsync(
            async () =>
            {
                if (_paths.CurrentDesired(cameraId) is not { } desired)
                {
                    return;
                }

                applied = desired;
                if (patch)
                {
                    try
                    {
                        await _health.Guard(() => _client.PatchPathAsync(cameraId, desired, ct)).ConfigureAwait(false);
                        return;
                    }
                    catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
                    {
                        // MediaMTX lost the path (restart): fall through to the upsert.
                    }
                }

                await _health.Guard(() => _client.ReplacePathAsync(cameraId, desired, ct)).ConfigureAwait(false);
            },
            ct).ConfigureAwait(false);
        return applied;
    }

    private void Raise(StreamBackendEventArgs e)
    {
        try
        {
            BackendEvent?.Invoke(this, e);
        }
        catch (Exception ex)
        {
            // A subscriber's bug must not break the backend's loop or the caller's operation.
            Log.EventHandlerFailed(_logger, ex);
        }
    }

    [GeneratedRegex("^[0-9a-zA-Z_\\-/\\.]+$")]
    private static partial Regex ValidPathName();
}

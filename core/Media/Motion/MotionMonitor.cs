using System.Collections.Concurrent;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Cameras;
using CameraService.Core.Events;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media.Motion;

/// <summary>What the monitor does for a camera now (<c>state</c> of <c>get_motion_detection</c>).</summary>
internal static class MotionStates
{
    /// <summary>Detection is off for the camera.</summary>
    public const string Off = "off";

    /// <summary>On, but the camera is not connected: watching starts when it comes back.</summary>
    public const string Waiting = "waiting";

    /// <summary>The frame reader is starting.</summary>
    public const string Starting = "starting";

    /// <summary>Frames arrive and are analysed.</summary>
    public const string Running = "running";

    /// <summary>The frame reader failed or the stream ended; it is started again after a back-off.</summary>
    public const string Retrying = "retrying";

    public static readonly IReadOnlyList<string> All = [Off, Waiting, Starting, Running, Retrying];
}

/// <summary>The monitor's view of one camera, for <c>get_motion_detection</c>.</summary>
internal sealed record MotionStatus(string State, bool Motion, DateTimeOffset? LastMotion, string? LastError);

/// <summary>
/// Watches every camera whose motion detection is on and that is connected: one frame reader per camera (the backend's
/// <see cref="IVideoFrameSource"/>, 640×480 at 5 fps) feeding a <see cref="MotionDetector"/>. Readers are started and
/// stopped as settings change and cameras go and come back (a pass over the cameras every second and at once on a
/// change); a failing reader is started again with a back-off (1 s doubling to 1 min), logged, and its error shown by
/// <c>get_motion_detection</c>. Motion start and end are sent as <c>motion_detected</c> (topic <c>camera.motion</c>).
/// With <c>record</c>, motion starts a recording (trigger <c>motion</c>, with the pre-event buffer — without it, logged
/// once, when the backend keeps none) and the recording stops <c>post_seconds</c> after the last motion (reason
/// <c>motion</c>). A recording the monitor did not start is never stopped by it; a client's <c>stop_recording</c> of a
/// motion recording wins until the next motion starts.
/// </summary>
internal sealed class MotionMonitor : BackgroundService
{
    /// <summary>The trigger and reason motion puts on the recordings it starts and stops.</summary>
    public const string Reason = "motion";

    /// <summary>The frames analysed: small enough to decode cheaply, large enough to see a person across a room.</summary>
    public const int FrameWidth = 640;

    public const int FrameHeight = 480;

    public const double FrameRate = 5;

    /// <summary>Time between two passes over the cameras (readers to start or stop, post-rolls that ended).</summary>
    public static readonly TimeSpan PassInterval = TimeSpan.FromSeconds(1);

    /// <summary>First wait before a failed reader is started again; doubles up to <see cref="MaxBackoff"/>.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    /// <summary>How long after a refused recording start motion may try again.</summary>
    public static readonly TimeSpan StartRetry = TimeSpan.FromSeconds(10);

    private readonly CameraRegistry _registry;
    private readonly MotionSettingsStore _store;
    private readonly RecordingManager _recordings;
    private readonly ActiveComponents _components;
    private readonly IEventPublisher _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Source, string StableId), MotionCameraState> _states = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _pass = new(1, 1);
    private int _disposed;
    private readonly PassLoop _loop;

    public MotionMonitor(
        CameraRegistry registry,
        MotionSettingsStore store,
        RecordingManager recordings,
        ActiveComponents components,
        IEventPublisher events,
        TimeProvider time,
        ILogger<MotionMonitor> logger)
    {
        _registry = registry;
        _store = store;
        _recordings = recordings;
        _components = components;
        _events = events;
        _time = time;
        _loop = new PassLoop(time);
        _logger = logger;
        _store.Changed += OnSettingsChanged;
        _recordings.CameraReady += OnCameraReady;
        _recordings.SessionFinished += OnSessionFinished;
    }

    /// <summary>The backend's frame source, or null when the active backend (or none) cannot deliver frames.</summary>
    public IVideoFrameSource? FrameSource => _components.StreamBackend as IVideoFrameSource;

    /// <summary>The configured stream backend's name, for messages.</summary>
    public string BackendName => _components.StreamBackend?.Name ?? _components.StreamBackendName;

    /// <summary>The camera's motion state now.</summary>
    public MotionStatus Status(CameraView camera)
    {
        ArgumentNullException.ThrowIfNull(camera);
        var settings = _store.Get(camera.Binding.Source, camera.Binding.StableId);
        var state = _states.GetValueOrDefault((camera.Binding.Source, camera.Binding.StableId));
        var name = settings is not { Enabled: true } ? MotionStates.Off
            : _watches.ContainsKey(camera.Id) ? state?.State ?? MotionStates.Starting
            : MotionStates.Waiting;
        return new MotionStatus(name, state?.Motion ?? false, state?.LastMotion, name == MotionStates.Off ? null : state?.LastError);
    }

    /// <summary>
    /// One pass (the loop's; tests call it): starts a reader for each camera that should be watched and is not,
    /// stops the readers of cameras that should not be (off, gone, disconnected, settings changed), and stops each
    /// motion recording whose post-roll has passed.
    /// </summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var source = FrameSource;
            var wanted = new Dictionary<string, (CameraView Camera, MotionSettings Settings)>(StringComparer.Ordinal);
            foreach (var camera in _registry.Cameras)
            {
                if (source is not null && camera.Status == CameraStatus.Connected
                    && _store.Get(camera.Binding.Source, camera.Binding.StableId) is { Enabled: true } settings)
                {
                    wanted[camera.Id] = (camera, settings);
                }
            }

            foreach (var (id, watch) in _watches)
            {
                // Only the detector's own settings need a new reader; record, pre and post are read at each motion.
                if (!wanted.TryGetValue(id, out var w) || (w.Settings.Threshold, w.Settings.MinArea) != (watch.Settings.Threshold, watch.Settings.MinArea)
                    || (w.Camera.Binding.Source, w.Camera.Binding.StableId) != watch.Key)
                {
                    await StopWatchAsync(id).ConfigureAwait(false);
                }
            }

            foreach (var (id, (camera, settings)) in wanted)
            {
                if (!_watches.ContainsKey(id))
                {
                    StartWatch(camera, settings, source!);
                }
            }

            await StopEndedRecordingsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pass.Release();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var id in _watches.Keys)
        {
            await StopWatchAsync(id).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        // Registered as itself and as a hosted service: disposed twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _store.Changed -= OnSettingsChanged;
        _recordings.CameraReady -= OnCameraReady;
        _recordings.SessionFinished -= OnSessionFinished;
        _stopping.Cancel();
        _watches.Clear(); // their tokens are linked to _stopping, cancelled above

        _stopping.Dispose();
        _pass.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _loop.RunAsync(
            async ct =>
            {
                await RunPassAsync(ct).ConfigureAwait(false);
                return PassInterval;
            },
            ex => MotionLog.PassFailed(_logger, ex),
            PassInterval,
            stoppingToken);

    private void StartWatch(CameraView camera, MotionSettings settings, IVideoFrameSource source)
    {
        var key = (camera.Binding.Source, camera.Binding.StableId);
        var state = _states.GetOrAdd(key, _ => new MotionCameraState());
        state.State = MotionStates.Starting;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var watch = new Watch(key, settings, cts);
        _watches[camera.Id] = watch;
        watch.Task = Task.Run(() => WatchAsync(camera.Id, key, settings, source, state, cts.Token), CancellationToken.None);
        MotionLog.Watching(_logger, camera.Id);
    }

    private async Task StopWatchAsync(string cameraId)
    {
        if (!_watches.TryRemove(cameraId, out var watch))
        {
            return;
        }

        await watch.Cancel.CancelAsync().ConfigureAwait(false);
        try
        {
            await watch.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        finally
        {
            watch.Cancel.Dispose();
        }

        MotionLog.NotWatching(_logger, cameraId);
    }

    /// <summary>One camera's reader loop: read and analyse until cancelled; on failure wait and start again.</summary>
    private async Task WatchAsync(string cameraId, (string Source, string StableId) key, MotionSettings settings, IVideoFrameSource source, MotionCameraState state, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        var request = new VideoFrameRequest { CameraId = cameraId, Width = FrameWidth, Height = FrameHeight, FrameRate = FrameRate };
        while (!cancellationToken.IsCancellationRequested)
        {
            var detector = new MotionDetector(settings.Threshold, settings.MinArea);
            var score = 0.0;
            try
            {
                await foreach (var frame in source.ReadFramesAsync(request, cancellationToken).ConfigureAwait(false))
                {
                    if (state.State != MotionStates.Running)
                    {
                        if (state.LastError is not null)
                        {
                            MotionLog.Recovered(_logger, cameraId);
                        }

                        state.State = MotionStates.Running;
                        state.LastError = null;
                        backoff = FirstBackoff;
                    }

                    var now = _time.GetUtcNow();
                    var update = detector.Process(frame.Luma.Span, frame.Width, frame.Height, now);
                    score = update.Score;
                    await OnUpdateAsync(cameraId, key, state, update, now, cancellationToken).ConfigureAwait(false);
                }

                state.LastError = "the camera's stream ended";
                MotionLog.ReaderEnded(_logger, cameraId, backoff.TotalSeconds);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failing reader degrades motion detection of this camera only; it is started again after the back-off.
                state.LastError = ex is CameraServiceException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                MotionLog.ReaderFailed(_logger, cameraId, state.LastError, backoff.TotalSeconds);
            }
            finally
            {
                if (detector.Active)
                {
                    // No frames, no motion: the event ends with the reader (also when detection is turned off).
                    state.Motion = false;
                    Publish(cameraId, false, score, _time.GetUtcNow());
                }
            }

            state.State = MotionStates.Retrying;
            try
            {
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
        }
    }

    private async Task OnUpdateAsync(string cameraId, (string Source, string StableId) key, MotionCameraState state, MotionUpdate update, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (update.Motion)
        {
            state.LastMotion = now;
        }

        if (update.Started)
        {
            state.Motion = true;
            state.HeldOff = false; // a client's stop wins only until the next motion starts
            Publish(cameraId, true, update.Score, now);
        }
        else if (update.Ended)
        {
            state.Motion = false;
            Publish(cameraId, false, update.Score, now);
        }

        if (update.Motion && !state.HeldOff && now >= state.NextStartAttempt && _recordings.ActiveSession(cameraId) is null
            && _store.Get(key.Source, key.StableId) is { Record: true } settings)
        {
            await StartRecordingAsync(cameraId, settings, state, now, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartRecordingAsync(string cameraId, MotionSettings settings, MotionCameraState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pre = state.NoPreEventBuffer ? 0 : settings.PreSeconds;
        try
        {
            try
            {
                await _recordings.StartAsync(cameraId, new RecordingStart(PreSeconds: pre, Trigger: Reason), cancellationToken).ConfigureAwait(false);
            }
            catch (UnsupportedFeatureException ex) when (ex.Feature == "pre_event_buffer" && pre > 0)
            {
                // The backend keeps no buffer: record from now on rather than not at all, and say so once.
                state.NoPreEventBuffer = true;
                MotionLog.NoPreEventBuffer(_logger, cameraId, ex.Message);
                await _recordings.StartAsync(cameraId, new RecordingStart(Trigger: Reason), cancellationToken).ConfigureAwait(false);
            }

            MotionLog.RecordingStarted(_logger, cameraId);
        }
        catch (CameraServiceException ex)
        {
            // Already recording (a client or a schedule was faster), camera gone, storage full …: try again later.
            state.NextStartAttempt = now + StartRetry;
            MotionLog.StartRefused(_logger, cameraId, ex.Message);
        }
    }

    /// <summary>Stops each motion recording whose last motion is <c>post_seconds</c> ago.</summary>
    private async Task StopEndedRecordingsAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var session in _recordings.ActiveSessions)
        {
            if (session.Trigger != Reason || !_registry.TryGet(session.CameraId, out var camera))
            {
                continue;
            }

            var key = (camera.Binding.Source, camera.Binding.StableId);
            var settings = _store.Get(key.Source, key.StableId) ?? MotionSettings.Default;
            var state = _states.GetOrAdd(key, _ => new MotionCameraState());

            // A motion recording adopted after a restart has no last motion yet: its post-roll counts from now.
            var last = state.LastMotion ?? now;
            state.LastMotion = last;
            if (last < session.StartTime)
            {
                last = session.StartTime;
            }

            if (now - last < TimeSpan.FromSeconds(settings.PostSeconds))
            {
                continue;
            }

            try
            {
                await _recordings.StopAsync(camera.Id, cancellationToken, Reason).ConfigureAwait(false);
                MotionLog.RecordingStopped(_logger, camera.Id, settings.PostSeconds);
            }
            catch (CameraServiceException ex)
            {
                // Stopped by someone else in between, or the backend refused: the next pass looks again.
                MotionLog.StopRefused(_logger, camera.Id, ex.Message);
            }
        }
    }

    private void Publish(string cameraId, bool active, double score, DateTimeOffset now) =>
        _events.PublishMotionDetected(new MotionDetectedEvent(
            cameraId, active, score, now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)));

    private void OnSessionFinished(RecordingSession session, bool requested)
    {
        if (requested && session.Trigger == Reason && session.Reason != Reason && _registry.TryGet(session.CameraId, out var camera))
        {
            // A client stopped a motion recording: no new one until the next motion starts.
            _states.GetOrAdd((camera.Binding.Source, camera.Binding.StableId), _ => new MotionCameraState()).HeldOff = true;
        }
    }

    private void OnSettingsChanged(string source, string stableId) => Wake();

    private void OnCameraReady(string cameraId) => Wake();

    private void Wake() => _loop.Wake();

    /// <summary>A running reader.</summary>
    private sealed class Watch((string Source, string StableId) key, MotionSettings settings, CancellationTokenSource cancel)
    {
        public (string Source, string StableId) Key { get; } = key;

        public MotionSettings Settings { get; } = settings;

        public CancellationTokenSource Cancel { get; } = cancel;

        public Task Task { get; set; } = Task.CompletedTask;
    }
}

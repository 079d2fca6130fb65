using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Events;
using CameraService.Core.Hosting;
using CameraService.Core.Metrics;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Media;

/// <summary>
/// Recording sessions: at most one active session per camera, each with an id. Timed sessions stop themselves;
/// a camera that goes away, a backend that loses the recording, or storage above the block threshold stop the
/// session and notify. Active sessions are persisted in the state directory, so after a service restart they are
/// re-adopted from the backend (or re-applied when the backend lost them).
/// </summary>
internal sealed class RecordingManager : IDisposable
{
    private readonly ActiveComponents _components;
    private readonly ICameraDirectory _cameras;
    private readonly IEventPublisher _events;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingManager> _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly RecordingBoard _board;
    private readonly ConcurrentDictionary<string, RecordingSession> _active;
    private readonly ConcurrentDictionary<string, RecordingSession> _last = new(StringComparer.Ordinal);
    private readonly RecordingDurationTimers _timers;
    private readonly RecordingSessionFile _file;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ServiceMetrics? _metrics;
    private readonly RecordingOptions _options;

    public RecordingManager(
        ActiveComponents components,
        ICameraDirectory cameras,
        IEventPublisher events,
        StateDirectory state,
        RecordingBoard board,
        TimeProvider time,
        ILogger<RecordingManager> logger,
        ServiceMetrics? metrics = null,
        IOptions<RecordingOptions>? options = null)
    {
        _options = options?.Value ?? new RecordingOptions();
        ArgumentNullException.ThrowIfNull(board);
        _board = board;
        _active = board.Active;
        _metrics = metrics;
        _components = components;
        _cameras = cameras;
        _events = events;
        _time = time;
        _logger = logger;
        _file = new RecordingSessionFile(state, logger);
        _timers = new RecordingDurationTimers(time);
        _cameras.OnCameraGone(OnCameraGoneAsync);
        _cameras.OnCameraPublished(OnCameraPublishedAsync);
        if (_components.StreamBackend is { } backend)
        {
            backend.BackendEvent += OnBackendEvent;
        }

        if (_components.MediaStore is { } store)
        {
            store.StatusChanged += OnStorageStatusChanged;
        }
    }

    /// <summary>Number of sessions recording now.</summary>
    public int ActiveCount => _active.Count;

    /// <summary>The active sessions.</summary>
    public IReadOnlyCollection<RecordingSession> ActiveSessions => [.. _active.Values];

    /// <summary>The camera's running session, or null.</summary>
    public RecordingSession? ActiveSession(string cameraId) => _active.GetValueOrDefault(cameraId);

    /// <summary>A backend request for the camera's recording directory with the configured size limit.</summary>
    private RecordingRequest NewRequest(string cameraId, string sessionId, string format, bool audio, DateTimeOffset now) => new()
    {
        CameraId = cameraId,
        SessionId = sessionId,
        Format = format,
        Audio = audio,
        OutputDirectory = Store.GetRecordingDirectory(cameraId),
        StartTime = now,
        SegmentMaxBytes = _options.SegmentMaxBytes,
    };

    private IStreamBackend Backend => _components.StreamBackend
        ?? throw new UnsupportedFeatureException("recording", $"No stream backend is active (CameraService:StreamBackend='{_components.StreamBackendName}' is not loaded); check `camera-service plugins`.");

    private IMediaStore Store => _components.MediaStore
        ?? throw new UnsupportedFeatureException("storage", $"No media store is active (CameraService:MediaStore='{_components.MediaStoreName}' is not loaded); check `camera-service plugins`.");

    /// <summary>Re-adopts sessions that were active before a restart (called once the stream backend has started).</summary>
    public async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var persisted = _file.Read();
        if (_components.StreamBackend is not { } backend)
        {
            return;
        }

        IReadOnlyList<BackendRecording> running;
        try
        {
            running = await backend.GetActiveRecordingsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CameraServiceException ex)
        {
            // The backend is down: keep the persisted sessions on disk; the backend re-applies its own state when it returns.
            RecordingLog.AdoptionFailed(_logger, ex, ex.Message);
            running = [];
            foreach (var p in persisted)
            {
                Adopt(p, null, pendingReapply: false);
            }

            return;
        }

        foreach (var recording in running)
        {
            var p = persisted.FirstOrDefault(x => x.CameraId == recording.CameraId);
            Adopt(p ?? new PersistedSession(recording.CameraId, recording.SessionId ?? NewSessionId(), recording.StartTime, null, recording.Format), recording, pendingReapply: false);
        }

        foreach (var p in persisted.Where(p => running.All(r => r.CameraId != p.CameraId)))
        {
            // The backend lost this recording while we were down (e.g. the ffmpeg backend, whose processes die with
            // the service). Adoption runs before the sources publish their cameras, so the recording is re-applied
            // under the same session id once its camera is published again (OnCameraPublishedAsync); until then the
            // session is active but has nothing running.
            Adopt(p, null, pendingReapply: true);
        }

        Persist();
    }

    /// <summary>A camera was published: re-applies its recording if it was active before a restart.</summary>
    /// <summary>
    /// Raised after a camera was published and any recording that was active before a restart was re-applied to it
    /// (camera id) — the moment a schedule may start it.
    /// </summary>
    public event Action<string>? CameraReady;

    /// <summary>Raised after a session finished; the flag says whether a stop was requested (<see cref="StopAsync"/>).</summary>
    public event Action<RecordingSession, bool>? SessionFinished;

    private async Task OnCameraPublishedAsync(string cameraId)
    {
        if (_active.TryGetValue(cameraId, out var s) && s.PendingReapply)
        {
            await Guard(() => ReapplyAsync(cameraId)).ConfigureAwait(false);
        }

        CameraReady?.Invoke(cameraId);
    }

    private async Task ReapplyAsync(string cameraId)
    {
        var gate = Gate(cameraId);
        await gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            if (!_active.TryGetValue(cameraId, out var session) || !session.PendingReapply)
            {
                return;
            }

            try
            {
                var request = NewRequest(cameraId, session.SessionId, session.Format, session.Audio, _time.GetUtcNow());
                _active[cameraId] = session.Reapplied(await Backend.StartRecordingAsync(request, _stopping.Token).ConfigureAwait(false));
                RecordingLog.Reapplied(_logger, cameraId, session.SessionId);
            }
            catch (CameraServiceException ex)
            {
                _active[cameraId] = session.ReapplyAbandoned();
                await FinishAsync(cameraId, RecordingStatus.Failed, $"could not resume after restart: {ex.Message}", _stopping.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        if (_components.StreamBackend is { } backend)
        {
            backend.BackendEvent -= OnBackendEvent;
        }

        if (_components.MediaStore is { } store)
        {
            store.StatusChanged -= OnStorageStatusChanged;
        }

        _stopping.Cancel();
        _stopping.Dispose();
        _timers.Dispose();
    }

    /// <summary>Starts recording a camera as <paramref name="start"/> asks (its trigger: null for a client, "schedule", "motion").</summary>
    public async Task<RecordingSession> StartAsync(string cameraId, RecordingStart start, CancellationToken cancellationToken)
    {
        var camera = _cameras.Lookup(cameraId);
        if (!camera.Known)
        {
            throw new ResourceNotFoundException("camera", cameraId);
        }

        var gate = Gate(cameraId);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_active.TryGetValue(cameraId, out var running))
            {
                throw new InvalidStateException("already_recording", RecordingStatus.Recording.Wire(),
                    $"{cameraId} is already recording (session {running.SessionId}); stop it first with stop_recording.");
            }

            if (!camera.Connected)
            {
                throw new InvalidStateException("camera_not_connected", camera.State,
                    $"{cameraId} is {camera.State}; reconnect the camera and try again.");
            }

            if (start.Audio && !camera.HasAudio)
            {
                throw new UnsupportedFeatureException("audio",
                    $"{cameraId} has no audio input (get_camera_capabilities shows audio: false); record without audio, or pair a microphone with the camera.");
            }

            var store = Store;
            var backend = Backend;
            store.EnsureSpaceForWrite();
            var sessionId = NewSessionId();
            var now = _time.GetUtcNow();
            var request = NewRequest(cameraId, sessionId, start.Format, start.Audio, now) with { PreEvent = TimeSpan.FromSeconds(start.PreSeconds) };
            var recording = await backend.StartRecordingAsync(request, cancellationToken).ConfigureAwait(false);
            var session = RecordingSession.Started(cameraId, sessionId, now, start, recording);
            _active[cameraId] = session;
            store.SetRecordingActive(cameraId, true);
            ArmTimer(session);
            Persist();
            RecordingLog.Started(_logger, cameraId, sessionId, start.DurationSeconds);
            _metrics?.RecordingsStarted.Add(1);
            _events.PublishRecordingStatus(new RecordingStatusEvent(cameraId, sessionId, "STARTED", session.FirstFileName, 0, start.Trigger));
            return session;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Stops the camera's recording and returns the finished session with every file written; <paramref name="reason"/>
    /// is null for a client's stop, "schedule" at the end of a schedule window.
    /// </summary>
    public async Task<RecordingSession> StopAsync(string cameraId, CancellationToken cancellationToken, string? reason = null)
    {
        RequireKnown(cameraId);

        var gate = Gate(cameraId);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_active.ContainsKey(cameraId))
            {
                throw NotRecording(cameraId);
            }

            return await FinishAsync(cameraId, RecordingStatus.Stopped, reason, cancellationToken, requested: true).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The camera's active session, or its last finished one, or null.</summary>
    public RecordingSession? GetStatus(string cameraId)
    {
        RequireKnown(cameraId);

        return _active.TryGetValue(cameraId, out var s) ? s : _last.GetValueOrDefault(cameraId);
    }

    /// <summary>Refreshes the bytes written of an active session from the backend (best effort); returns the camera's current session.</summary>
    public async Task<RecordingSession> RefreshAsync(RecordingSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.Status != RecordingStatus.Recording)
        {
            return session;
        }

        await _board.RefreshAllAsync(cancellationToken).ConfigureAwait(false);
        return _active.TryGetValue(session.CameraId, out var now) && now.SessionId == session.SessionId ? now : session;
    }

    private InvalidStateException NotRecording(string cameraId)
    {
        var last = _last.GetValueOrDefault(cameraId);
        return new InvalidStateException("not_recording", RecordingStatus.Stopped.Wire(),
            last is null
                ? $"{cameraId} is not recording."
                : $"{cameraId} is not recording; its last session {last.SessionId} ended {last.Status.Wire()} at {last.EndTime:O}.");
    }

    /// <summary>Ends the active session (caller holds the camera's gate); one without a playable file ends in ERROR, never silently.</summary>
    private async Task<RecordingSession> FinishAsync(string cameraId, RecordingStatus status, string? reason, CancellationToken cancellationToken, BackendRecording? alreadyStopped = null, bool requested = false)
    {
        var session = _active[cameraId];
        _timers.Cancel(cameraId);

        BackendRecording? final = alreadyStopped;
        string? failure = null;
        if (final is null && session.PendingReapply)
        {
            // Re-applying never happened (the camera has not come back since the restart): nothing runs in the
            // backend, so there is nothing to stop; the status the caller asked for stands, with this as the reason.
            reason ??= "ended before its camera came back after the restart; the segments written before it are kept";
        }
        else if (final is null)
        {
            try
            {
                final = await Backend.StopRecordingAsync(cameraId, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidStateException)
            {
                // The backend no longer records (it lost the recording): finalize with what is known.
                failure = "the stream backend was no longer recording";
            }
            catch (DependencyFailedException ex) when (status != RecordingStatus.Stopped)
            {
                failure = ex.Message;
            }
        }

        if (failure is null && final is { Files.Count: 0 } && status == RecordingStatus.Stopped && !session.Resumed)
        {
            failure = "no playable file was written: the stream backend recorded no media for this recording (see its log; a backend that restarted during it loses what it had not flushed)";
        }

        // A requested stop that found the backend failing ends in ERROR; the other end states stand.
        var endStatus = failure is not null && status == RecordingStatus.Stopped ? RecordingStatus.Error : status;
        var finished = session.Finished(endStatus, reason ?? failure, _time.GetUtcNow(), final);
        if (session.Resumed || session.PendingReapply)
        {
            finished = await EarlierSegments.AddToAsync(finished, _components.MediaStore, _logger, cancellationToken).ConfigureAwait(false);
        }

        _active.TryRemove(cameraId, out _);
        _last[cameraId] = finished;
        if (_components.MediaStore is { } store)
        {
            store.SetRecordingActive(cameraId, false);
            foreach (var file in finished.Files)
            {
                try
                {
                    await store.AddAsync(MediaKind.Recording, file.Path, cancellationToken).ConfigureAwait(false);
                }
                catch (CameraServiceException ex)
                {
                    RecordingLog.CatalogFailed(_logger, ex, file.Path);
                }
            }
        }

        Persist();
        var wire = finished.Status.Wire();
        RecordingLog.Finished(_logger, cameraId, finished.SessionId, wire, finished.Files.Count, finished.Reason);
        _metrics?.RecordingsEnded.Add(1, new KeyValuePair<string, object?>("status", wire));
        _events.PublishRecordingStatus(new RecordingStatusEvent(cameraId, finished.SessionId, wire, finished.FirstFileName, finished.ElapsedSeconds(_time), finished.Reason));
        SessionFinished?.Invoke(finished, requested);
        return finished;
    }

    private async Task StopForReasonAsync(string cameraId, RecordingStatus status, string reason, BackendRecording? alreadyStopped = null)
    {
        var gate = Gate(cameraId);
        await gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            if (_active.ContainsKey(cameraId))
            {
                await FinishAsync(cameraId, status, reason, _stopping.Token, alreadyStopped).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private void ArmTimer(RecordingSession session) => _timers.Arm(session, Fire);

    private void Fire(RecordingSession session) =>
        _ = Guard(async () =>
        {
            if (_active.TryGetValue(session.CameraId, out var current) && current.SessionId == session.SessionId)
            {
                await StopForReasonAsync(session.CameraId, RecordingStatus.Stopped, $"duration of {session.DurationLimitSeconds} s reached").ConfigureAwait(false);
            }
        });

    private Task OnCameraGoneAsync(string cameraId, string state, string reason) =>
        _active.ContainsKey(cameraId)
            ? Guard(() => StopForReasonAsync(cameraId, RecordingStatus.Error, $"camera {state.ToLowerInvariant()}: {reason}"))
            : Task.CompletedTask;

    private void OnBackendEvent(object? sender, StreamBackendEventArgs e)
    {
        if (e.CameraId is null || !_active.TryGetValue(e.CameraId, out var session))
        {
            return;
        }

        switch (e.Kind)
        {
            case StreamBackendEventKind.RecordingFailed:
                _ = Guard(() => StopForReasonAsync(e.CameraId, RecordingStatus.Failed, e.Reason, e.Recording));
                break;
            case StreamBackendEventKind.RecordingRecovered:
                _ = e.Recording is not null && _active.TryUpdate(e.CameraId, session.WithProgress(e.Recording), session);
                RecordingLog.Recovered(_logger, e.CameraId, e.Reason);
                break;
        }
    }

    private void OnStorageStatusChanged(object? sender, StorageStatusChangedEventArgs e)
    {
        var status = e.Status;
        _events.PublishStorageStatus(new StorageStatusEvent(status.Level.ToString().ToUpperInvariant(), status.AvailableBytes, Math.Round(status.UsagePercent, 2)));
        if (status.Level != StorageLevel.Critical)
        {
            return;
        }

        foreach (var cameraId in _active.Keys)
        {
            _ = Guard(() => StopForReasonAsync(cameraId, RecordingStatus.Stopped,
                $"storage above the block threshold ({status.UsagePercent:F1}% used ≥ {status.BlockPercent}%); recording stopped before the disk fills"));
        }
    }

    private async Task Guard(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException) // a background stop must never crash the process; it is logged
        {
            RecordingLog.BackgroundFailed(_logger, ex);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private void Adopt(PersistedSession p, BackendRecording? recording, bool pendingReapply)
    {
        var session = RecordingSession.Adopted(p, recording, pendingReapply);
        _active[p.CameraId] = session;
        _components.MediaStore?.SetRecordingActive(p.CameraId, true);
        ArmTimer(session);
        RecordingLog.Adopted(_logger, p.CameraId, p.SessionId);
    }

    private void Persist() => _file.Write(_active.Values);

    private void RequireKnown(string cameraId)
    {
        if (!_cameras.Lookup(cameraId).Known)
        {
            throw new ResourceNotFoundException("camera", cameraId);
        }
    }

    private SemaphoreSlim Gate(string cameraId) => _locks.GetOrAdd(cameraId, _ => new SemaphoreSlim(1, 1));

    private static string NewSessionId() => Guid.NewGuid().ToString("N")[..16];
}

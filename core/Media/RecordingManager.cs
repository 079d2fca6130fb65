using System.Collections.Concurrent;
using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Events;
using CameraService.Core.Hosting;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media;

/// <summary>
/// Recording sessions: at most one active session per camera, each with an id. Timed sessions stop themselves;
/// a camera that goes away, a backend that loses the recording, or storage above the block threshold stop the
/// session and notify. Active sessions are persisted in the state directory, so after a service restart they are
/// re-adopted from the backend (or re-applied when the backend lost them).
/// </summary>
internal sealed partial class RecordingManager : IDisposable
{
    internal const string StateFile = "recording-sessions.json";
    private const int KeepFinishedSessions = 1;

    private readonly ActiveComponents _components;
    private readonly ICameraDirectory _cameras;
    private readonly IEventPublisher _events;
    private readonly StateDirectory _state;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingManager> _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecordingSession> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecordingSession> _last = new(StringComparer.Ordinal);
    private readonly Lock _persistLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Observability.ServiceMetrics? _metrics;

    public RecordingManager(
        ActiveComponents components,
        ICameraDirectory cameras,
        IEventPublisher events,
        StateDirectory state,
        TimeProvider time,
        ILogger<RecordingManager> logger,
        Observability.ServiceMetrics? metrics = null)
    {
        _metrics = metrics;
        _components = components;
        _cameras = cameras;
        _events = events;
        _state = state;
        _time = time;
        _logger = logger;
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

    private IStreamBackend Backend => _components.StreamBackend
        ?? throw new UnsupportedFeatureException("recording", $"No stream backend is active (CameraService:StreamBackend='{_components.StreamBackendName}' is not loaded); check `camera-service plugins`.");

    private IMediaStore Store => _components.MediaStore
        ?? throw new UnsupportedFeatureException("storage", $"No media store is active (CameraService:MediaStore='{_components.MediaStoreName}' is not loaded); check `camera-service plugins`.");

    /// <summary>Re-adopts sessions that were active before a restart (called once the stream backend has started).</summary>
    public async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var persisted = ReadPersisted();
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
            LogAdoptionFailed(_logger, ex, ex.Message);
            running = [];
            foreach (var p in persisted)
            {
                Adopt(p, null);
            }

            return;
        }

        foreach (var recording in running)
        {
            var p = persisted.FirstOrDefault(x => x.CameraId == recording.CameraId);
            Adopt(p ?? new PersistedSession(recording.CameraId, recording.SessionId ?? NewSessionId(), recording.StartTime, null, recording.Format), recording);
        }

        foreach (var p in persisted.Where(p => running.All(r => r.CameraId != p.CameraId)))
        {
            // The backend lost this recording while we were down (e.g. the ffmpeg backend, whose processes die with
            // the service). Adoption runs before the sources publish their cameras, so the recording is re-applied
            // under the same session id once its camera is published again (OnCameraPublishedAsync); until then the
            // session is active but has nothing running.
            var session = Adopt(p, null);
            session.PendingReapply = true;
        }

        Persist();
    }

    /// <summary>A camera was published: re-applies its recording if it was active before a restart.</summary>
    private Task OnCameraPublishedAsync(string cameraId) =>
        _active.TryGetValue(cameraId, out var s) && s.PendingReapply
            ? Guard(() => ReapplyAsync(cameraId))
            : Task.CompletedTask;

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
                var store = Store;
                var request = new RecordingRequest { CameraId = cameraId, SessionId = session.SessionId, Format = session.Format, OutputDirectory = store.GetRecordingDirectory(cameraId), StartTime = _time.GetUtcNow() };
                session.Backend = await Backend.StartRecordingAsync(request, _stopping.Token).ConfigureAwait(false);
                session.PendingReapply = false;
                session.Resumed = true;
                LogReapplied(_logger, cameraId, session.SessionId);
            }
            catch (CameraServiceException ex)
            {
                session.PendingReapply = false;
                await FinishAsync(cameraId, "FAILED", $"could not resume after restart: {ex.Message}", _stopping.Token).ConfigureAwait(false);
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
        foreach (var s in _active.Values)
        {
            s.Timer?.Dispose();
        }
    }

    /// <summary>Starts recording a camera.</summary>
    public async Task<RecordingSession> StartAsync(string cameraId, int? durationSeconds, string format, CancellationToken cancellationToken)
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
                throw new InvalidStateException("already_recording", "RECORDING",
                    $"{cameraId} is already recording (session {running.SessionId}); stop it first with stop_recording.");
            }

            if (!camera.Connected)
            {
                throw new InvalidStateException("camera_not_connected", camera.State,
                    $"{cameraId} is {camera.State}; reconnect the camera and try again.");
            }

            var store = Store;
            var backend = Backend;
            store.EnsureSpaceForWrite();
            var sessionId = NewSessionId();
            var now = _time.GetUtcNow();
            var request = new RecordingRequest { CameraId = cameraId, SessionId = sessionId, Format = format, OutputDirectory = store.GetRecordingDirectory(cameraId), StartTime = now };
            var recording = await backend.StartRecordingAsync(request, cancellationToken).ConfigureAwait(false);
            var session = new RecordingSession(cameraId, sessionId, recording.StartTime == default ? now : recording.StartTime, durationSeconds, format)
            {
                Backend = recording,
            };
            _active[cameraId] = session;
            store.SetRecordingActive(cameraId, true);
            ArmTimer(session);
            Persist();
            LogStarted(_logger, cameraId, sessionId, durationSeconds);
            _metrics?.RecordingsStarted.Add(1);
            _events.PublishRecordingStatus(new RecordingStatusEvent(cameraId, sessionId, "STARTED", session.FirstFileName, 0, null));
            return session;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Stops the camera's recording and returns the finished session with every file written.</summary>
    public async Task<RecordingSession> StopAsync(string cameraId, CancellationToken cancellationToken)
    {
        if (!_cameras.Lookup(cameraId).Known)
        {
            throw new ResourceNotFoundException("camera", cameraId);
        }

        var gate = Gate(cameraId);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_active.ContainsKey(cameraId))
            {
                throw NotRecording(cameraId);
            }

            return await FinishAsync(cameraId, "STOPPED", null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The camera's active session, or its last finished one, or null.</summary>
    public RecordingSession? GetStatus(string cameraId)
    {
        if (!_cameras.Lookup(cameraId).Known)
        {
            throw new ResourceNotFoundException("camera", cameraId);
        }

        return _active.TryGetValue(cameraId, out var s) ? s : _last.GetValueOrDefault(cameraId);
    }

    /// <summary>Refreshes the bytes written of an active session from the backend (best effort).</summary>
    public async Task RefreshAsync(RecordingSession session, CancellationToken cancellationToken)
    {
        if (session.EndTime is not null || _components.StreamBackend is not { } backend)
        {
            return;
        }

        try
        {
            var running = await backend.GetActiveRecordingsAsync(cancellationToken).ConfigureAwait(false);
            if (running.FirstOrDefault(r => r.CameraId == session.CameraId) is { } current)
            {
                session.Backend = current;
            }
        }
        catch (CameraServiceException)
        {
            // Status still answers from what is known; the backend being down is reported by health.
        }
    }

    private InvalidStateException NotRecording(string cameraId)
    {
        var last = _last.GetValueOrDefault(cameraId);
        return new InvalidStateException("not_recording", "STOPPED",
            last is null
                ? $"{cameraId} is not recording."
                : $"{cameraId} is not recording; its last session {last.SessionId} ended {last.Status} at {last.EndTime:O}.");
    }

    /// <summary>Ends the active session (caller holds the camera's gate).</summary>
    private async Task<RecordingSession> FinishAsync(string cameraId, string status, string? reason, CancellationToken cancellationToken, BackendRecording? alreadyStopped = null)
    {
        var session = _active[cameraId];
        session.Timer?.Dispose();
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
            catch (DependencyFailedException ex) when (status != "STOPPED")
            {
                failure = ex.Message;
            }
        }

        session.Backend = final ?? session.Backend;
        session.EndTime = _time.GetUtcNow();
        if (session.Resumed || session.PendingReapply)
        {
            await AddEarlierFilesAsync(session, cancellationToken).ConfigureAwait(false);
        }

        session.Status = failure is null ? status : (status == "STOPPED" ? "ERROR" : status);
        session.Reason = reason ?? failure;
        _active.TryRemove(cameraId, out _);
        _last[cameraId] = session;
        if (_components.MediaStore is { } store)
        {
            store.SetRecordingActive(cameraId, false);
            foreach (var file in session.Files)
            {
                try
                {
                    await store.AddAsync(MediaKind.Recording, file.Path, cancellationToken).ConfigureAwait(false);
                }
                catch (CameraServiceException ex)
                {
                    LogCatalogFailed(_logger, ex, file.Path);
                }
            }
        }

        Persist();
        LogFinished(_logger, cameraId, session.SessionId, session.Status, session.Files.Count, session.Reason);
        _metrics?.RecordingsEnded.Add(1, new KeyValuePair<string, object?>("status", session.Status));
        _events.PublishRecordingStatus(new RecordingStatusEvent(cameraId, session.SessionId, session.Status, session.FirstFileName, session.ElapsedSeconds(_time), session.Reason));
        return session;
    }

    /// <summary>
    /// A session resumed after a restart was re-applied as a new backend recording, which knows only the files it
    /// wrote itself. The segments written before the restart are still the session's: they are the camera's
    /// recordings from the session's start on that the backend did not report.
    /// </summary>
    private async Task AddEarlierFilesAsync(RecordingSession session, CancellationToken cancellationToken)
    {
        if (_components.MediaStore is not { } store)
        {
            return;
        }

        try
        {
            var known = session.Files.Select(f => Path.GetFileName(f.Path)).ToHashSet(StringComparer.Ordinal);
            var earlier = new List<RecordedFile>();
            var page = await store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 1000, CameraId = session.CameraId }, cancellationToken).ConfigureAwait(false);
            foreach (var f in page.Files)
            {
                // A second of slack: the first segment's name (its creation time) can precede the session's start time.
                if (f.Created >= session.StartTime.AddSeconds(-1) && !known.Contains(f.FileName))
                {
                    earlier.Add(new RecordedFile { Path = f.Path, Size = f.Size });
                }
            }

            if (earlier.Count == 0)
            {
                return;
            }

            IReadOnlyList<RecordedFile> all = [.. earlier.Concat(session.Files).OrderBy(f => Path.GetFileName(f.Path), StringComparer.Ordinal)];
            session.Backend = session.Backend is { } b
                ? b with { Files = all, BytesWritten = all.Sum(f => f.Size) }
                : new BackendRecording { CameraId = session.CameraId, SessionId = session.SessionId, Format = session.Format, StartTime = session.StartTime, EndTime = session.EndTime, Files = all, BytesWritten = all.Sum(f => f.Size) };
        }
        catch (CameraServiceException ex)
        {
            // The listing is best effort: the session still ends with the files the backend reported.
            LogEarlierFilesUnknown(_logger, ex, session.CameraId, session.SessionId);
        }
    }

    private async Task StopForReasonAsync(string cameraId, string status, string reason, BackendRecording? alreadyStopped = null)
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

    private void ArmTimer(RecordingSession session)
    {
        if (session.DurationLimitSeconds is not { } limit)
        {
            return;
        }

        var due = session.StartTime.AddSeconds(limit) - _time.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        session.Timer = _time.CreateTimer(_ => Fire(session), null, due, Timeout.InfiniteTimeSpan);
    }

    private void Fire(RecordingSession session) =>
        _ = Guard(async () =>
        {
            if (_active.TryGetValue(session.CameraId, out var current) && current.SessionId == session.SessionId)
            {
                await StopForReasonAsync(session.CameraId, "STOPPED", $"duration of {session.DurationLimitSeconds} s reached").ConfigureAwait(false);
            }
        });

    private Task OnCameraGoneAsync(string cameraId, string state, string reason) =>
        _active.ContainsKey(cameraId)
            ? Guard(() => StopForReasonAsync(cameraId, "ERROR", $"camera {state.ToLowerInvariant()}: {reason}"))
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
                _ = Guard(() => StopForReasonAsync(e.CameraId, "FAILED", e.Reason, e.Recording));
                break;
            case StreamBackendEventKind.RecordingRecovered:
                if (e.Recording is not null)
                {
                    session.Backend = e.Recording;
                }

                LogRecovered(_logger, e.CameraId, e.Reason);
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
            _ = Guard(() => StopForReasonAsync(cameraId, "STOPPED",
                $"storage above the block threshold ({status.UsagePercent:F1}% used ≥ {status.BlockPercent}%); recording stopped before the disk fills"));
        }
    }

    private async Task Guard(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        catch (Exception ex) // a background stop must never crash the process; it is logged with the camera id
        {
            LogBackgroundFailed(_logger, ex);
        }
    }

    private RecordingSession Adopt(PersistedSession p, BackendRecording? recording)
    {
        var session = new RecordingSession(p.CameraId, p.SessionId, p.StartTime, p.DurationLimitSeconds, p.Format) { Backend = recording };
        _active[p.CameraId] = session;
        _components.MediaStore?.SetRecordingActive(p.CameraId, true);
        ArmTimer(session);
        LogAdopted(_logger, p.CameraId, p.SessionId);
        return session;
    }

    private List<PersistedSession> ReadPersisted()
    {
        var bytes = _state.ReadOrNull(StateFile);
        if (bytes is null)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, MediaJsonContext.Default.ListPersistedSession) ?? [];
        }
        catch (JsonException ex)
        {
            LogStateUnreadable(_logger, ex, _state.PathOf(StateFile));
            return [];
        }
    }

    private void Persist()
    {
        lock (_persistLock)
        {
            var list = _active.Values
                .Select(s => new PersistedSession(s.CameraId, s.SessionId, s.StartTime, s.DurationLimitSeconds, s.Format))
                .OrderBy(s => s.CameraId, StringComparer.Ordinal)
                .ToList();
            _state.WriteAtomic(StateFile, JsonSerializer.SerializeToUtf8Bytes(list, MediaJsonContext.Default.ListPersistedSession));
        }
    }

    private SemaphoreSlim Gate(string cameraId) => _locks.GetOrAdd(cameraId, _ => new SemaphoreSlim(1, 1));

    private static string NewSessionId() => Guid.NewGuid().ToString("N")[..16];

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Recording {CameraId} started (session {SessionId}, limit {DurationSeconds} s)")]
    private static partial void LogStarted(ILogger logger, string cameraId, string sessionId, int? durationSeconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Recording {CameraId} ended {Status} (session {SessionId}, {FileCount} files, reason: {Reason})")]
    private static partial void LogFinished(ILogger logger, string cameraId, string sessionId, string status, int fileCount, string? reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Re-adopted recording of {CameraId} (session {SessionId}) after a restart")]
    private static partial void LogAdopted(ILogger logger, string cameraId, string sessionId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Re-applied recording of {CameraId} (session {SessionId}): the backend had lost it")]
    private static partial void LogReapplied(ILogger logger, string cameraId, string sessionId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Could not ask the stream backend for running recordings at start: {Detail}")]
    private static partial void LogAdoptionFailed(ILogger logger, Exception exception, string detail);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Recording of {CameraId} recovered by the backend: {Reason}")]
    private static partial void LogRecovered(ILogger logger, string cameraId, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "A background recording stop failed")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Could not catalog the recording file {Path}")]
    private static partial void LogCatalogFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Could not list the segments {CameraId} wrote before the restart for session {SessionId}")]
    private static partial void LogEarlierFilesUnknown(ILogger logger, Exception exception, string cameraId, string sessionId);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "The recording session state file {Path} is unreadable; starting without re-adoption")]
    private static partial void LogStateUnreadable(ILogger logger, Exception exception, string path);
}

/// <summary>One recording session.</summary>
internal sealed class RecordingSession(string cameraId, string sessionId, DateTimeOffset startTime, int? durationLimitSeconds, string format)
{
    public string CameraId { get; } = cameraId;

    public string SessionId { get; } = sessionId;

    public DateTimeOffset StartTime { get; } = startTime;

    public int? DurationLimitSeconds { get; } = durationLimitSeconds;

    public string Format { get; } = format;

    public string Status { get; set; } = "RECORDING";

    public DateTimeOffset? EndTime { get; set; }

    public string? Reason { get; set; }

    public BackendRecording? Backend { get; set; }

    public ITimer? Timer { get; set; }

    /// <summary>Active before a restart, not running in the backend yet: re-applied once the camera is published.</summary>
    public bool PendingReapply { get; set; }

    /// <summary>Re-applied after a restart as a new backend recording (earlier segments are on disk, not in <see cref="Backend"/>).</summary>
    public bool Resumed { get; set; }

    public IReadOnlyList<RecordedFile> Files => Backend?.Files ?? [];

    public long BytesWritten => Backend?.BytesWritten ?? 0;

    public string? FirstFileName => Files.Count > 0 ? Path.GetFileName(Files[0].Path) : null;

    public double ElapsedSeconds(TimeProvider time) =>
        Math.Round(((EndTime ?? time.GetUtcNow()) - StartTime).TotalSeconds, 3);
}

/// <summary>A session as persisted in the state directory.</summary>
internal sealed record PersistedSession(string CameraId, string SessionId, DateTimeOffset StartTime, int? DurationLimitSeconds, string Format);

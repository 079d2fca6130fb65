using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Core.Cameras;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media.Schedules;

/// <summary>
/// Drives recording by the cameras' schedules (api-contract.md §8.2): inside a window a camera records (also after a
/// restart or a replug inside the window), at the window's end the recording the schedule started stops; both carry
/// <c>reason: "schedule"</c>. A client's <c>stop_recording</c> inside a window wins until the next window starts; a
/// recording a client started is never stopped by a schedule. Evaluation is one pass over the cameras, run at the next
/// window boundary and at least once a minute (so a failed start is retried), and for one camera when it comes back
/// or its schedule changes — O(cameras) per minute, never per second.
/// </summary>
internal sealed partial class RecordingScheduler : BackgroundService
{
    /// <summary>The trigger and reason a schedule puts on the recordings it starts and stops.</summary>
    public const string Reason = "schedule";

    /// <summary>The longest time between two passes.</summary>
    public static readonly TimeSpan MaxPassInterval = TimeSpan.FromMinutes(1);

    private readonly CameraRegistry _registry;
    private readonly RecordingScheduleStore _store;
    private readonly RecordingManager _recordings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Source, string StableId), DateTimeOffset> _suppressed = new();
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly PassLoop _loop;

    public RecordingScheduler(CameraRegistry registry, RecordingScheduleStore store, RecordingManager recordings, TimeProvider time, ILogger<RecordingScheduler> logger)
    {
        _registry = registry;
        _store = store;
        _recordings = recordings;
        _time = time;
        _loop = new PassLoop(time);
        _logger = logger;

        // Subscribed from the start (not only while the loop runs), so that a client's stop is never missed.
        _recordings.CameraReady += OnCameraReady;
        _recordings.SessionFinished += OnSessionFinished;
        _store.Changed += OnScheduleChanged;
    }

    /// <summary>The open stretch of a camera's schedule now, if it is enabled and open.</summary>
    public WindowOccurrence? OpenWindow(RecordingSchedule schedule) =>
        schedule.Enabled && TryZone(schedule) is { } zone ? ScheduleCalendar.OpenAt(schedule, zone, _time.GetUtcNow()) : null;

    /// <summary>The next stretch of a camera's schedule, if it is enabled.</summary>
    public WindowOccurrence? NextWindow(RecordingSchedule schedule) =>
        schedule.Enabled && TryZone(schedule) is { } zone ? ScheduleCalendar.NextAfter(schedule, zone, _time.GetUtcNow()) : null;

    /// <summary>Whether a client's stop holds the camera's schedule off until its next window.</summary>
    public bool IsHeldOff(string source, string stableId) =>
        _suppressed.TryGetValue((source, stableId), out var until) && until > _time.GetUtcNow();

    /// <summary>
    /// Runs one pass over every camera now (the loop's pass; tests call it after moving the clock) and returns when
    /// the next pass is due: the nearest window boundary, at most <see cref="MaxPassInterval"/> away.
    /// </summary>
    public async Task<DateTimeOffset> RunPassAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var next = now + MaxPassInterval;
            foreach (var camera in _registry.Cameras)
            {
                if (await EvaluateAsync(camera, now, cancellationToken).ConfigureAwait(false) is { } boundary && boundary < next)
                {
                    next = boundary;
                }
            }

            return next;
        }
        finally
        {
            _pass.Release();
        }
    }

    public override void Dispose()
    {
        _recordings.CameraReady -= OnCameraReady;
        _recordings.SessionFinished -= OnSessionFinished;
        _store.Changed -= OnScheduleChanged;
        _pass.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _loop.RunAsync(
            async ct => await RunPassAsync(ct).ConfigureAwait(false) - _time.GetUtcNow(),
            ex => LogPassFailed(_logger, ex),
            MaxPassInterval,
            stoppingToken);

    /// <summary>Starts or stops one camera's scheduled recording as its schedule says at <paramref name="now"/>; returns the camera's next boundary.</summary>
    private async Task<DateTimeOffset?> EvaluateAsync(CameraView camera, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = (camera.Binding.Source, camera.Binding.StableId);
        var schedule = _store.Get(key.Source, key.StableId);
        var zone = schedule is { Enabled: true } ? TryZone(schedule) : null;
        var open = zone is null ? null : ScheduleCalendar.OpenAt(schedule!, zone, now);
        var active = _recordings.ActiveSession(camera.Id);
        if (open is null)
        {
            _suppressed.TryRemove(key, out _);
            if (active is { Trigger: Reason })
            {
                await TryAsync(camera.Id, "stop", () => _recordings.StopAsync(camera.Id, cancellationToken, Reason)).ConfigureAwait(false);
            }

            return zone is null ? null : ScheduleCalendar.NextAfter(schedule!, zone, now)?.Start;
        }

        if (active is null && camera.Status == CameraStatus.Connected && !IsHeldOff(key.Source, key.StableId))
        {
            await TryAsync(camera.Id, "start", () => _recordings.StartAsync(camera.Id, new RecordingStart(Trigger: Reason), cancellationToken)).ConfigureAwait(false);
        }

        return open.Value.End;
    }

    private async Task TryAsync(string cameraId, string what, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            LogActed(_logger, what, cameraId);
        }
        catch (CameraServiceException ex)
        {
            // Already recording, not connected any more, storage full …: the next pass (or the camera's return) tries again.
            LogRefused(_logger, what, cameraId, ex.Message);
        }
    }

    private TimeZoneInfo? TryZone(RecordingSchedule schedule)
    {
        try
        {
            return ScheduleCalendar.ResolveZone(schedule.TimeZone, _time.LocalTimeZone);
        }
        catch (InvalidParameterException)
        {
            // A zone removed from the system since the schedule was stored: the schedule is inactive, the API says why.
            return null;
        }
    }

    private void OnCameraReady(string cameraId) => Wake();

    private void OnScheduleChanged(string source, string stableId)
    {
        // A new schedule starts fresh: a client's earlier stop no longer holds it off.
        _suppressed.TryRemove((source, stableId), out _);
        Wake();
    }

    private void OnSessionFinished(RecordingSession session, bool requested)
    {
        if (!requested || session.Reason == Reason || !_registry.TryGet(session.CameraId, out var camera)
            || _store.Get(camera.Binding.Source, camera.Binding.StableId) is not { } schedule || OpenWindow(schedule) is not { } open)
        {
            return;
        }

        // A client stopped the camera inside a window: that wins until the next window starts.
        _suppressed[(camera.Binding.Source, camera.Binding.StableId)] = open.End;
    }

    private void Wake() => _loop.Wake();

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Recording schedule: {Action} {CameraId}")]
    private static partial void LogActed(ILogger logger, string action, string cameraId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Recording schedule could not {Action} {CameraId}: {Reason}; trying again at the next pass")]
    private static partial void LogRefused(ILogger logger, string action, string cameraId, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "A recording schedule pass failed; the next pass tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}

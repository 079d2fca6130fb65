using System.Collections.Concurrent;

namespace CameraService.Core.Media;

/// <summary>
/// The duration limits of timed sessions: one timer per camera on the injected clock, due at the session's start
/// plus its limit (at once when that is past, e.g. after a restart), cancelled when the session ends.
/// </summary>
internal sealed class RecordingDurationTimers(TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, ITimer> _timers = new(StringComparer.Ordinal);

    /// <summary>Calls <paramref name="expired"/> once the session's limit is reached; sessions without a limit get no timer.</summary>
    public void Arm(RecordingSession session, Action<RecordingSession> expired)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.StopsAt is not { } stopsAt)
        {
            return;
        }

        var due = stopsAt - time.GetUtcNow();
        var timer = time.CreateTimer(_ => expired(session), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        if (_timers.TryGetValue(session.CameraId, out var previous))
        {
            previous.Dispose();
        }

        _timers[session.CameraId] = timer;
    }

    public void Cancel(string cameraId)
    {
        if (_timers.TryRemove(cameraId, out var timer))
        {
            timer.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var cameraId in _timers.Keys)
        {
            Cancel(cameraId);
        }
    }
}

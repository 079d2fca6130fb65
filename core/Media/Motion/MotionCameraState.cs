namespace CameraService.Core.Media.Motion;

/// <summary>What the monitor knows of a camera (by stable id, so it survives a reader restart).</summary>
internal sealed class MotionCameraState
{
    public volatile string State = MotionStates.Starting;
    public volatile string? LastError;
    public volatile bool Motion;
    public volatile bool HeldOff;
    public volatile bool NoPreEventBuffer;
    private long _lastMotionTicks;
    private long _nextStartTicks;

    /// <summary>When the last motion frame was seen (UTC), or null.</summary>
    public DateTimeOffset? LastMotion
    {
        get => Interlocked.Read(ref _lastMotionTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;
        set => Interlocked.Exchange(ref _lastMotionTicks, value?.UtcTicks ?? 0);
    }

    /// <summary>Before this, motion does not try to start a recording again (after a refused start).</summary>
    public DateTimeOffset NextStartAttempt
    {
        get => new(Interlocked.Read(ref _nextStartTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _nextStartTicks, value.UtcTicks);
    }
}

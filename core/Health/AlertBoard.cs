namespace CameraService.Core.Health;

/// <summary>The alert thresholds' current verdict, written by <see cref="AlertMonitor"/> and read by <see cref="SystemHealth"/>.</summary>
/// <remarks>A separate holder so <see cref="SystemHealth"/> does not depend on the monitor (which depends on it).</remarks>
internal sealed class AlertBoard
{
    private volatile AlertState _current = AlertState.Healthy;

    public AlertState Current
    {
        get => _current;
        set => _current = value ?? AlertState.Healthy;
    }
}

using CameraService.Core.Metrics;

namespace CameraService.Core.Health;

/// <summary>The API figures the alerts watch, from <see cref="ApiMetrics"/>.</summary>
internal sealed class ApiStats(ApiMetrics metrics) : IApiStats
{
    public double P95Milliseconds => metrics.Snapshot().P95Ms;

    public double ErrorRate => metrics.Snapshot().ErrorRate;

    public int Connections => metrics.Connections;

    public long RequestsInWindow => (long)Math.Round(metrics.Snapshot().RequestsPerSecond * 60);
}

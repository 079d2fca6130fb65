using CameraService.Abstractions;
using CameraService.Core.Hosting;
using CameraService.Core.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CameraService.Core.Observability;

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

/// <summary>
/// The component states shown by <c>/health</c>, from <see cref="SystemHealth"/> so every surface reports the same
/// thing, and the mapping to ASP.NET Core health statuses.
/// </summary>
internal sealed class ComponentHealth(SystemHealth system)
{
    public const string Plugins = SystemHealth.PluginsComponent;

    public IReadOnlyDictionary<string, ComponentStatus> All() => system.AllComponents();

    /// <summary>Components, alerts and the overall status.</summary>
    public HealthView Current() => system.Current();

    /// <summary>Whether the service is ready: first discovery done and an API transport listening.</summary>
    public (bool Ready, string Reason) Readiness() => system.Readiness();

    public static HealthStatus ToHealthStatus(ComponentState state) => state switch
    {
        ComponentState.Running => HealthStatus.Healthy,
        ComponentState.Degraded => HealthStatus.Degraded,
        _ => HealthStatus.Unhealthy,
    };

    /// <summary>HEALTHY/DEGRADED/UNHEALTHY as a health status.</summary>
    public static HealthStatus FromWord(string status) => status switch
    {
        "HEALTHY" => HealthStatus.Healthy,
        "DEGRADED" => HealthStatus.Degraded,
        _ => HealthStatus.Unhealthy,
    };
}

/// <summary>Adapts one component of <see cref="ComponentHealth"/> to an ASP.NET Core health check.</summary>
internal sealed class ComponentHealthCheck(ComponentHealth health, string component) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var s = health.All()[component];
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["state"] = SystemHealth.Wire(s.State) };
        if (s.LastError is not null)
        {
            data["last_error"] = s.LastError;
        }

        if (s.LastErrorTime is { } t)
        {
            data["last_error_time"] = t.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }

        return Task.FromResult(new HealthCheckResult(ComponentHealth.ToHealthStatus(s.State), s.Message, data: data));
    }
}

/// <summary>The API figures the alerts watch, from <see cref="ApiMetrics"/>.</summary>
internal sealed class ApiStats(ApiMetrics metrics) : IApiStats
{
    public double P95Milliseconds => metrics.Snapshot().P95Ms;

    public double ErrorRate => metrics.Snapshot().ErrorRate;

    public int Connections => metrics.Connections;

    public long RequestsInWindow => (long)Math.Round(metrics.Snapshot().RequestsPerSecond * 60);
}

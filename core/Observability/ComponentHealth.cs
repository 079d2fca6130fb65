using CameraService.Abstractions;
using CameraService.Core.Cameras;
using CameraService.Core.Hosting;
using CameraService.Core.Metrics;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CameraService.Core.Observability;

/// <summary>
/// The component states shown by <c>/health</c>: the four of <c>get_status</c> (from <see cref="SystemHealth"/>, so every
/// surface reports the same thing) plus the plugins, and readiness.
/// </summary>
internal sealed class ComponentHealth(SystemHealth system, PluginCatalog plugins, CameraRegistry registry)
{
    public const string Plugins = "plugins";

    public IReadOnlyDictionary<string, ComponentStatus> All()
    {
        var all = new Dictionary<string, ComponentStatus>(system.Components(), StringComparer.Ordinal) { [Plugins] = PluginsStatus() };
        return all;
    }

    /// <summary>Whether the service is ready: first discovery done and an API transport listening.</summary>
    public (bool Ready, string Reason) Readiness()
    {
        if (!registry.DiscoveryFinished)
        {
            return (false, "the first camera discovery has not finished");
        }

        var api = system.Components()["api"];
        return api.State == ComponentState.Running ? (true, "ready") : (false, api.Message ?? "the API is not listening");
    }

    public static HealthStatus ToHealthStatus(ComponentState state) => state switch
    {
        ComponentState.Running => HealthStatus.Healthy,
        ComponentState.Degraded => HealthStatus.Degraded,
        _ => HealthStatus.Unhealthy,
    };

    private ComponentStatus PluginsStatus()
    {
        var bad = plugins.Plugins.Where(p => p.State is PluginState.Faulted or PluginState.Incompatible).ToList();
        return bad.Count == 0
            ? ComponentStatus.Running
            : new ComponentStatus(ComponentState.Degraded, string.Join("; ", bad.Select(p => $"{p.Id} {p.State}: {p.Reason}")));
    }
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
}

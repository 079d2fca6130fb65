using CameraService.Abstractions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CameraService.Core.Health;

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

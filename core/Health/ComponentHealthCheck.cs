using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CameraService.Core.Health;

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

using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Hosting;
using CameraService.Core.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CameraService.Core.Health;

/// <summary>
/// <c>GET /health/live</c>, <c>/health/ready</c>, <c>/health</c>, <c>/health/detailed</c> (viewer token) and
/// <c>/metrics</c> (Prometheus text; a viewer token when <c>Metrics:RequireToken=true</c>).
/// </summary>
internal sealed class ObservabilityEndpoints(
    HealthCheckService healthChecks,
    ComponentHealth components,
    PrometheusExporter exporter,
    IAccessControl access,
    ServiceClock clock,
    IConfiguration configuration) : IHttpEndpointSource
{
    private const string Json = "application/json; charset=utf-8";

    public IReadOnlyList<HttpEndpoint> Endpoints =>
    [
        new HttpEndpoint { Method = "GET", Pattern = "/health/live", Handler = Live },
        new HttpEndpoint { Method = "GET", Pattern = "/health/ready", Handler = Ready },
        new HttpEndpoint { Method = "GET", Pattern = "/health", Handler = (r, ct) => Health(detailed: false, r, ct) },
        new HttpEndpoint { Method = "GET", Pattern = "/health/detailed", Handler = (r, ct) => Health(detailed: true, r, ct) },
        new HttpEndpoint { Method = "GET", Pattern = "/metrics", Handler = Metrics },
    ];

    private ValueTask<HttpReply> Live(HttpRequestData request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<HttpReply>(Reply(200, w =>
        {
            w.WriteString("status", "alive");
            w.WriteString("timestamp", clock.NowIso());
        }));

    private ValueTask<HttpReply> Ready(HttpRequestData request, CancellationToken cancellationToken)
    {
        var (ready, reason) = components.Readiness();
        return ValueTask.FromResult<HttpReply>(Reply(ready ? 200 : 503, w =>
        {
            w.WriteString("status", ready ? "ready" : "not_ready");
            w.WriteString("reason", reason);
            w.WriteString("timestamp", clock.NowIso());
        }));
    }

    private async ValueTask<HttpReply> Health(bool detailed, HttpRequestData request, CancellationToken cancellationToken)
    {
        if (detailed)
        {
            var auth = await access.AuthorizeAsync(request.BearerToken, ApiRole.Viewer, cancellationToken).ConfigureAwait(false);
            if (!auth.Allowed)
            {
                return Reply(auth.StatusCode, w =>
                {
                    w.WriteString("error", auth.StatusCode == 401 ? "unauthorized" : "forbidden");
                    w.WriteString("reason", auth.Reason ?? "a viewer token is required: Authorization: Bearer <token>");
                });
            }
        }

        var report = await healthChecks.CheckHealthAsync(cancellationToken).ConfigureAwait(false);

        // The overall status comes from SystemHealth, the same rule get_status uses (a stream backend in ERROR makes the
        // service DEGRADED, not UNHEALTHY), not from the health report's worst entry.
        var view = components.Current();
        var overall = ComponentHealth.FromWord(view.Status);
        return Reply(overall == HealthStatus.Unhealthy ? 503 : 200, w =>
        {
            w.WriteString("status", Wire(overall));
            w.WriteString("timestamp", clock.NowIso());
            w.WriteString("version", clock.Version);
            w.WriteNumber("uptime", Math.Round(clock.Uptime.TotalSeconds, 1));
            w.WriteStartArray("components");
            foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("status", Wire(entry.Status));
                w.WriteString("state", entry.Data.TryGetValue("state", out var s) ? s.ToString() : null);
                if (entry.Description is not null)
                {
                    w.WriteString("message", entry.Description);
                }

                if (detailed)
                {
                    foreach (var (key, value) in entry.Data.Where(d => d.Key != "state"))
                    {
                        w.WriteString(key, value.ToString());
                    }
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("alerts");
            foreach (var reason in view.Alerts)
            {
                w.WriteStringValue(reason);
            }

            w.WriteEndArray();
        });
    }

    private async ValueTask<HttpReply> Metrics(HttpRequestData request, CancellationToken cancellationToken)
    {
        if (configuration.GetValue("Metrics:RequireToken", false))
        {
            var auth = await access.AuthorizeAsync(request.BearerToken, ApiRole.Viewer, cancellationToken).ConfigureAwait(false);
            if (!auth.Allowed)
            {
                return Reply(auth.StatusCode, w =>
                {
                    w.WriteString("error", auth.StatusCode == 401 ? "unauthorized" : "forbidden");
                    w.WriteString("reason", auth.Reason ?? "Metrics:RequireToken is set: send Authorization: Bearer <token>");
                });
            }
        }

        return new HttpContentReply { StatusCode = 200, ContentType = "text/plain; version=0.0.4; charset=utf-8", Body = Encoding.UTF8.GetBytes(exporter.Render()) };
    }

    internal static HealthStatus Worst(HealthStatus a, HealthStatus b) => (HealthStatus)Math.Min((int)a, (int)b);

    internal static string Wire(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    private static HttpContentReply Reply(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return new HttpContentReply { StatusCode = status, ContentType = Json, Body = buffer.WrittenMemory };
    }
}

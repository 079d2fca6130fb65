using System.Diagnostics;
using CameraService.Abstractions.Media;
using CameraService.Core.Events;
using CameraService.Core.Metrics;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Health;

/// <summary>The API figures the alerts watch.</summary>
internal interface IApiStats
{
    /// <summary>p95 latency over the recent window in milliseconds.</summary>
    double P95Milliseconds { get; }

    /// <summary>Errors per request over the recent window (0–1).</summary>
    double ErrorRate { get; }

    /// <summary>Open API sessions.</summary>
    int Connections { get; }

    /// <summary>Requests in the recent window (latency and error rate need enough of them to mean something).</summary>
    long RequestsInWindow { get; }
}

/// <summary>One threshold pair.</summary>
internal sealed record Threshold(string Name, double Warning, double Critical, string Unit);

/// <summary>What the alerts say now.</summary>
internal sealed record AlertState(HealthStatus Status, IReadOnlyList<string> Reasons)
{
    public static AlertState Healthy { get; } = new(HealthStatus.Healthy, []);
}

/// <summary>
/// Evaluates the thresholds of the original performance requirements (p95 latency, error rate, CPU, memory,
/// storage, connections; warning and critical levels under <c>Alerts:*</c>) every <c>Alerts:IntervalSeconds</c>.
/// Crossing one makes the status DEGRADED (warning) or UNHEALTHY (critical) with the reason, emits
/// <c>system_health_update</c> and logs once per transition — never once per evaluation.
/// </summary>
internal sealed partial class AlertMonitor(
    IApiStats api,
    ActiveComponents components,
    SystemHealth health,
    AlertBoard board,
    IEventPublisher events,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<AlertMonitor> logger,
    CoreGauges gauges) : BackgroundService
{
    // Held so the scrape-time gauges exist from the start, whoever scrapes first.
    private readonly CoreGauges _gauges = gauges;

    private readonly Lock _gate = new();
    private TimeSpan _lastCpu = ProcessorTime();
    private long _lastTick = time.GetTimestamp();
    private string? _lastKey;

    /// <summary>What the thresholds say now (also on <see cref="AlertBoard"/>).</summary>
    public AlertState Current => board.Current;

    internal int MinimumRequests => Math.Max(0, configuration.GetValue("Alerts:MinimumRequests", 20));

    internal Threshold Latency => Read("P95LatencyMs", 100, 500, "ms");

    internal Threshold ErrorRate => Read("ErrorRatePercent", 1, 5, "%");

    internal Threshold Cpu => Read("CpuPercent", 70, 90, "%");

    internal Threshold Memory => Read("MemoryMb", 1024, 2048, "MiB");

    internal Threshold Connections => Read("Connections", 8000, 9500, "sessions");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Alerts:IntervalSeconds", 10)));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Evaluate();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>Evaluates every threshold once; publishes and logs only when the state changed.</summary>
    internal AlertState Evaluate()
    {
        var reasons = new List<string>();
        var status = HealthStatus.Healthy;
        void Check(Threshold t, double value)
        {
            if (value >= t.Critical)
            {
                status = HealthStatus.Unhealthy;
                reasons.Add($"{t.Name} {value:F1} {t.Unit} ≥ critical {t.Critical} {t.Unit}");
            }
            else if (value >= t.Warning)
            {
                status = ObservabilityEndpoints.Worst(status, HealthStatus.Degraded);
                reasons.Add($"{t.Name} {value:F1} {t.Unit} ≥ warning {t.Warning} {t.Unit}");
            }
        }

        // A handful of requests (the first, JIT-compiled calls; one failed login) must not raise latency or error alerts.
        if (api.RequestsInWindow >= MinimumRequests)
        {
            Check(Latency, api.P95Milliseconds);
            Check(ErrorRate, api.ErrorRate * 100);
        }

        Check(Cpu, SampleCpuPercent());
        Check(Memory, Environment.WorkingSet / (1024.0 * 1024.0));
        Check(Connections, api.Connections);
        if (StorageStatus() is { } s)
        {
            if (s.Level == StorageLevel.Critical)
            {
                status = HealthStatus.Unhealthy;
                reasons.Add($"storage {s.UsagePercent:F1}% used ≥ block {s.BlockPercent}%");
            }
            else if (s.Level == StorageLevel.Warning)
            {
                status = ObservabilityEndpoints.Worst(status, HealthStatus.Degraded);
                reasons.Add($"storage {s.UsagePercent:F1}% used ≥ warning {s.WarnPercent}%");
            }
        }

        var next = new AlertState(status, reasons);
        lock (_gate)
        {
            board.Current = next;
            var view = health.Current();
            var componentStates = view.Components.ToDictionary(kv => kv.Key, kv => SystemHealth.Wire(kv.Value.State), StringComparer.Ordinal);

            // A transition is a change of the overall status, a component's state or the set of crossed thresholds;
            // values move every evaluation and must not cause log storms.
            var key = view.Status + "|" + string.Join(",", componentStates.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key + "=" + c.Value))
                + "|" + string.Join(",", next.Reasons.Select(Key));
            if (key != _lastKey)
            {
                var first = _lastKey is null;
                _lastKey = key;
                if (view.Status == "HEALTHY")
                {
                    if (!first)
                    {
                        LogCleared(logger);
                    }
                }
                else
                {
                    LogRaised(logger, view.Status, Describe(view));
                }

                events.PublishSystemHealth(new SystemHealthEvent(view.Status, componentStates));
            }
        }

        return next;
    }

    /// <summary>HEALTHY, DEGRADED or UNHEALTHY as <c>get_status</c> spells it.</summary>
    internal static string StatusWord(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "HEALTHY",
        HealthStatus.Degraded => "DEGRADED",
        _ => "UNHEALTHY",
    };

    // Only the threshold name matters for "same alert": values move every evaluation and must not cause log storms.
    private static string Key(string reason) => reason.Split(' ')[0] + (reason.Contains("critical", StringComparison.Ordinal) ? "!" : "?");

    private StorageStatus? StorageStatus()
    {
        try
        {
            return components.MediaStore?.GetStatus();
        }
        catch (Exception)
        {
            // A store whose status fails is reported by the storage component; the thresholds skip it this round.
            return null;
        }
    }

    private static string Describe(HealthView view)
    {
        var parts = view.Components.Where(c => c.Value.State != Abstractions.ComponentState.Running)
            .Select(c => $"{c.Key} {SystemHealth.Wire(c.Value.State)}" + (c.Value.Message is { Length: > 0 } m ? $" ({m})" : string.Empty))
            .Concat(view.Alerts);
        return string.Join("; ", parts);
    }

    private static TimeSpan ProcessorTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private double SampleCpuPercent()
    {
        var cpu = ProcessorTime();
        var now = time.GetTimestamp();
        var wall = time.GetElapsedTime(_lastTick, now);
        var used = cpu - _lastCpu;
        _lastCpu = cpu;
        _lastTick = now;
        return wall <= TimeSpan.Zero ? 0 : 100.0 * used.TotalSeconds / (wall.TotalSeconds * Environment.ProcessorCount);
    }

    private Threshold Read(string name, double warning, double critical, string unit) =>
        new(name, configuration.GetValue($"Alerts:{name}:Warning", warning), configuration.GetValue($"Alerts:{name}:Critical", critical), unit);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Health {Status}: {Reasons}")]
    private static partial void LogRaised(ILogger logger, string status, string reasons);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "Health back to HEALTHY: every component runs and every alert threshold is clear")]
    private static partial void LogCleared(ILogger logger);
}

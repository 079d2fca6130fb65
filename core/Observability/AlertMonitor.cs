using System.Diagnostics;
using CameraService.Abstractions.Media;
using CameraService.Core.Events;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Observability;

/// <summary>The API figures the alerts watch.</summary>
internal interface IApiStats
{
    /// <summary>p95 latency over the recent window in milliseconds.</summary>
    double P95Milliseconds { get; }

    /// <summary>Errors per request over the recent window (0–1).</summary>
    double ErrorRate { get; }

    /// <summary>Open API sessions.</summary>
    int Connections { get; }
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
/// storage, connections; warning and critical levels under <c>Alerts:*</c>) every <c>Alerts:Interval</c>.
/// Crossing one makes the status DEGRADED (warning) or UNHEALTHY (critical) with the reason, emits
/// <c>system_health_update</c> and logs once per transition — never once per evaluation.
/// </summary>
internal sealed partial class AlertMonitor(
    IApiStats api,
    ActiveComponents components,
    ComponentHealth health,
    IEventPublisher events,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<AlertMonitor> logger,
    CoreGauges gauges) : BackgroundService
{
    // Held so the scrape-time gauges exist from the start, whoever scrapes first.
    private readonly CoreGauges _gauges = gauges;

    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private long _lastTick = time.GetTimestamp();

    public AlertState Current { get; private set; } = AlertState.Healthy;

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

        Check(Latency, api.P95Milliseconds);
        Check(ErrorRate, api.ErrorRate * 100);
        Check(Cpu, SampleCpuPercent());
        Check(Memory, Environment.WorkingSet / (1024.0 * 1024.0));
        Check(Connections, api.Connections);
        if (components.MediaStore is { } store)
        {
            var s = store.GetStatus();
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
        var previous = Current;
        Current = next;
        if (previous.Status != next.Status || !previous.Reasons.Select(Key).SequenceEqual(next.Reasons.Select(Key)))
        {
            if (next.Status == HealthStatus.Healthy)
            {
                LogCleared(logger);
            }
            else
            {
                LogRaised(logger, ObservabilityEndpoints.Wire(next.Status), string.Join("; ", next.Reasons));
            }

            var componentStates = health.All().ToDictionary(kv => kv.Key, kv => Hosting.SystemHealth.Wire(kv.Value.State), StringComparer.Ordinal);
            events.PublishSystemHealth(new SystemHealthEvent(StatusWord(next.Status), componentStates));
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

    private double SampleCpuPercent()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var now = time.GetTimestamp();
        var wall = time.GetElapsedTime(_lastTick, now);
        var used = cpu - _lastCpu;
        _lastCpu = cpu;
        _lastTick = now;
        return wall <= TimeSpan.Zero ? 0 : 100.0 * used.TotalSeconds / (wall.TotalSeconds * Environment.ProcessorCount);
    }

    private Threshold Read(string name, double warning, double critical, string unit) =>
        new(name, configuration.GetValue($"Alerts:{name}:Warning", warning), configuration.GetValue($"Alerts:{name}:Critical", critical), unit);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Health {Status}: {Reasons}")]
    private static partial void LogRaised(ILogger logger, string status, string reasons);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Health back to healthy: every alert threshold is clear")]
    private static partial void LogCleared(ILogger logger);
}

using System.Diagnostics;
using CameraService.Perf.Client;
using CameraService.Perf.Measurement;
using CameraService.Perf.Results;
using CameraService.Perf.Targets;
using CameraService.Perf.Workloads;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Scenarios;

/// <summary>baseline: one client calls each method once per second; latency per method.</summary>
internal sealed class BaselineScenario : IScenario
{
    /// <summary>The read-only methods of api-contract.md §4 (state-changing ones are in `control`).</summary>
    public const string DefaultMethods =
        "ping,get_camera_list,get_camera_status,get_camera_capabilities,get_stream_url,get_stream_status,get_streams," +
        "get_recording_status,list_recordings,list_snapshots,get_storage_info,get_metrics,get_status,get_system_status," +
        "get_server_info,get_subscription_stats";

    public string Name => "baseline";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var seconds = context.Pick(context.Settings.DurationSeconds, 30, 2);
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var connection = pool.Connections[0];
        var device = await context.ResolveDeviceAsync(connection, notes, cancellationToken).ConfigureAwait(false);
        var methods = MethodMix.Parse(context.Settings.Methods ?? DefaultMethods, device).Entries;
        var phase = await context.RunPhaseAsync("baseline", target.Info, async (m, ct) =>
        {
            var start = Stopwatch.GetTimestamp();
            for (var second = 0; second < seconds; second++)
            {
                foreach (var method in methods)
                {
                    var sent = Stopwatch.GetTimestamp();
                    var outcome = await connection.CallAsync(method, capture: false, ct).ConfigureAwait(false);
                    m.Record(method.Name, sent, outcome);
                }

                var next = TimeSpan.FromSeconds(second + 1) - Stopwatch.GetElapsedTime(start);
                if (next > TimeSpan.Zero)
                {
                    await Task.Delay(next, TimeProvider.System, ct).ConfigureAwait(false);
                }
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
        return new ScenarioOutcome(
            [phase],
            new Dictionary<string, string> { ["seconds"] = Inv(seconds), ["methods"] = string.Join(' ', methods.Select(x => x.Name)), ["device"] = device },
            notes);
    }
}

/// <summary>throughput: N closed-loop clients with the ping + get_camera_list + get_camera_status mix.</summary>
internal sealed class ThroughputScenario : IScenario
{
    public string Name => "throughput";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        var (phase, parameters) = await RunAgainstAsync(context, target.Info, "throughput", notes, cancellationToken).ConfigureAwait(false);
        return new ScenarioOutcome([phase], parameters, notes);
    }

    /// <summary>The throughput phase against one target (shared with `limit`).</summary>
    public static async Task<(PhaseResult Phase, Dictionary<string, string> Parameters)> RunAgainstAsync(
        ScenarioContext context, TargetInfo target, string phaseName, List<string> notes, CancellationToken cancellationToken)
    {
        var clients = context.Pick(context.Settings.Clients, 100, 4);
        var seconds = context.Pick(context.Settings.DurationSeconds, 20, 2);
        var warmup = context.Pick(context.Settings.WarmupSeconds, 3, 0.5);
        var mixSpec = context.Settings.Mix ?? MethodMix.Throughput;
        await using var pool = await context.OpenSessionsAsync(target, clients, 0, null, false, cancellationToken).ConfigureAwait(false);
        var device = await context.ResolveDeviceAsync(pool.Connections[0], notes, cancellationToken).ConfigureAwait(false);
        var mix = MethodMix.Parse(mixSpec, device);
        // Warm-up (JIT, tiering, pools) is run but not recorded.
        await ClosedLoop.RunAsync(pool.Connections, mix, TimeSpan.FromSeconds(warmup), long.MaxValue, new Measurements(), cancellationToken).ConfigureAwait(false);
        var phase = await context.RunPhaseAsync(phaseName, target, async (m, ct) =>
        {
            await ClosedLoop.RunAsync(pool.Connections, mix, TimeSpan.FromSeconds(seconds), long.MaxValue, m, ct).ConfigureAwait(false);
            return null;
        }, cancellationToken).ConfigureAwait(false);
        return (phase, new Dictionary<string, string>
        {
            ["clients"] = clients.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["seconds"] = Inv(seconds),
            ["warmup_seconds"] = Inv(warmup),
            ["mix"] = mixSpec,
            ["device"] = device,
        });
    }
}

/// <summary>limit: the same throughput load against the echo server, and against the service when one is given.</summary>
internal sealed class LimitScenario : IScenario
{
    public string Name => "limit";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var phases = new List<PhaseResult>();
        Dictionary<string, string> parameters;
        await using (var echo = await context.OpenEchoAsync(cancellationToken).ConfigureAwait(false))
        {
            (var phase, parameters) = await ThroughputScenario.RunAgainstAsync(context, echo.Info, "limit (echo)", notes, cancellationToken).ConfigureAwait(false);
            phases.Add(phase);
        }

        double? ratio = null;
        if (context.Options.Target != TargetKind.Echo)
        {
            await using var service = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
            var (phase, _) = await ThroughputScenario.RunAgainstAsync(context, service.Info, "throughput (service)", notes, cancellationToken).ConfigureAwait(false);
            phases.Add(phase);
            ratio = phases[0].RequestsPerSecond > 0 ? Math.Round(phase.RequestsPerSecond / phases[0].RequestsPerSecond, 3) : null;
        }
        else
        {
            notes.Add("no service target given (--url or --start-service): only the limit was measured");
        }

        parameters["echo"] = context.Options.EchoInProcess ? "in-process" : "process";
        parameters["echo_inline_scheduling"] = context.Options.EchoInline ? "true" : "false";
        return new ScenarioOutcome(phases, parameters, notes, ratio);
    }
}

/// <summary>load: N sessions, a fixed offered rate, open loop (latency from the intended send time).</summary>
internal sealed class LoadScenario : IScenario
{
    public string Name => "load";

    /// <summary>
    /// A short unrecorded closed-loop burst over every connection, so JIT compilation and first-use allocations on
    /// both sides do not show up as the run's maximum latency.
    /// </summary>
    /// <summary>The method mix on the target's first camera, warmed up on every session (shared by the open-loop scenarios).</summary>
    public static async Task<(string Device, MethodMix Mix)> PrepareMixAsync(ScenarioContext context, SessionPool pool, string mixSpec, List<string> notes, CancellationToken cancellationToken)
    {
        var device = await context.ResolveDeviceAsync(pool.Connections[0], notes, cancellationToken).ConfigureAwait(false);
        var mix = MethodMix.Parse(mixSpec, device);
        await WarmUpAsync(context, pool.Connections, mix, cancellationToken).ConfigureAwait(false);
        return (device, mix);
    }

    public static Task WarmUpAsync(ScenarioContext context, IReadOnlyList<RpcConnection> connections, MethodMix mix, CancellationToken cancellationToken)
        => ClosedLoop.RunAsync(
            connections,
            mix,
            TimeSpan.FromSeconds(context.Pick(context.Settings.WarmupSeconds, 2, 0.3)),
            Math.Max(connections.Count * 4L, 2000),
            new Measurements(),
            cancellationToken);

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var sessions = context.Pick(context.Settings.Sessions, 1000, 20);
        var rate = context.Pick(context.Settings.Rate, 1000, 100);
        var seconds = context.Pick(context.Settings.DurationSeconds, 30, 3);
        var connectRate = context.Pick(context.Settings.ConnectRate, 1000, 0);
        var maxInFlight = context.Pick(context.Settings.MaxInFlight, 50_000, 1_000);
        var mixSpec = context.Settings.Mix ?? MethodMix.Throughput;
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, sessions, connectRate, null, false, cancellationToken).ConfigureAwait(false);
        var (device, mix) = await PrepareMixAsync(context, pool, mixSpec, notes, cancellationToken).ConfigureAwait(false);
        var phase = await context.RunPhaseAsync("load", target.Info, async (m, ct) =>
        {
            var sent = await OpenLoop.RunAsync(pool.Connections, mix, rate, TimeSpan.FromSeconds(seconds), maxInFlight, context.Options.RequestTimeout, m, ct).ConfigureAwait(false);
            return new Dictionary<string, double> { ["offered_req_per_s"] = rate, ["scheduled"] = sent };
        }, cancellationToken).ConfigureAwait(false);
        return new ScenarioOutcome(
            [phase],
            new Dictionary<string, string>
            {
                ["sessions"] = Inv(sessions),
                ["rate"] = Inv(rate),
                ["seconds"] = Inv(seconds),
                ["mix"] = mixSpec,
                ["device"] = device,
            },
            notes);
    }
}

/// <summary>connections: ramp to N authenticated sessions, hold with light traffic; failures and server RSS per session.</summary>
internal sealed class ConnectionsScenario : IScenario
{
    public string Name => "connections";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var sessions = context.Pick(context.Settings.Sessions, 10_000, 50);
        var connectRate = context.Pick(context.Settings.ConnectRate, 1000, 200);
        var hold = context.Pick(context.Settings.HoldSeconds, 30, 2);
        // Light traffic: by default each session sends one request every 10 s.
        var holdRate = context.Pick(context.Settings.Rate, sessions / 10.0, sessions / 2.0);
        var mixSpec = context.Settings.Mix ?? "ping:1,get_camera_list:1";
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        var rssBefore = ServerRss(target.Info);
        SessionPool? pool = null;
        try
        {
            var ramp = await context.RunPhaseAsync("ramp", target.Info, async (m, ct) =>
            {
                pool = await context.OpenSessionsAsync(target.Info, sessions, connectRate, m, tolerateFailures: true, ct).ConfigureAwait(false);
                var metrics = new Dictionary<string, double>
                {
                    ["sessions_target"] = sessions,
                    ["sessions_open"] = pool.Connections.Count,
                    ["connect_failures"] = pool.Failures.Where(f => f.Key.StartsWith("connect", StringComparison.Ordinal)).Sum(f => f.Value),
                    ["auth_failures"] = pool.Failures.Where(f => f.Key.StartsWith("authenticate", StringComparison.Ordinal)).Sum(f => f.Value),
                };
                foreach (var failure in pool.Failures.Take(5))
                {
                    notes.Add($"failure: {failure.Key} ×{failure.Value}");
                }

                return metrics;
            }, cancellationToken).ConfigureAwait(false);

            var open = pool!.Connections;
            var device = open.Count > 0 ? await context.ResolveDeviceAsync(open[0], notes, cancellationToken).ConfigureAwait(false) : "camera0";
            var mix = MethodMix.Parse(mixSpec, device);
            var rssHeld = ServerRss(target.Info);
            var holdPhase = await context.RunPhaseAsync("hold", target.Info, async (m, ct) =>
            {
                await OpenLoop.RunAsync(open, mix, holdRate, TimeSpan.FromSeconds(hold), 50_000, context.Options.RequestTimeout, m, ct).ConfigureAwait(false);
                var metrics = new Dictionary<string, double>
                {
                    ["sessions_still_open"] = open.Count(c => c.IsOpen),
                    ["hold_req_per_s_offered"] = holdRate,
                };
                if (rssBefore is { } before && rssHeld is { } held && open.Count > 0)
                {
                    metrics["server_rss_before_mib"] = Math.Round(before / 1048576.0, 1);
                    metrics["server_rss_held_mib"] = Math.Round(held / 1048576.0, 1);
                    metrics["server_rss_per_session_kib"] = Math.Round((held - before) / 1024.0 / open.Count, 2);
                }

                return metrics;
            }, cancellationToken).ConfigureAwait(false);

            return new ScenarioOutcome(
                [ramp, holdPhase],
                new Dictionary<string, string>
                {
                    ["sessions"] = Inv(sessions),
                    ["connect_rate"] = Inv(connectRate),
                    ["hold_seconds"] = Inv(hold),
                    ["hold_rate"] = Inv(holdRate),
                    ["mix"] = mixSpec,
                },
                notes);
        }
        finally
        {
            if (pool is not null)
            {
                await pool.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static long? ServerRss(TargetInfo target)
        => target.ServerPid is { } pid && pid != Environment.ProcessId ? ProcessSampler.Read(pid)?.RssBytes : null;
}

/// <summary>stress: raise the offered rate step by step until p95 > limit or errors > limit, then one recovery step.</summary>
internal sealed class StressScenario : IScenario
{
    public string Name => "stress";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        // 1,000 sessions keep each under the contract's default per-session rate limit (100 req/s) up to 100k req/s
        // offered, so the breaking point is the server's capacity, not its rate limiter.
        var sessions = context.Pick(context.Settings.Sessions, 1000, 10);
        var startRate = context.Pick(context.Settings.StartRate, 2000, 50);
        var factor = context.Pick(context.Settings.RateFactor, 1.5, 2);
        var step = context.Pick(context.Settings.StepSeconds, 10, 1);
        var maxSteps = context.Pick(context.Settings.MaxSteps, 10, 3);
        var p95Limit = context.Pick(context.Settings.P95LimitMs, 100, 100);
        var errorLimit = context.Pick(context.Settings.ErrorLimitPercent, 0.1, 0.1);
        var mixSpec = context.Settings.Mix ?? MethodMix.Throughput;
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, sessions, 0, null, false, cancellationToken).ConfigureAwait(false);
        var (_, mix) = await LoadScenario.PrepareMixAsync(context, pool, mixSpec, notes, cancellationToken).ConfigureAwait(false);
        var phases = new List<PhaseResult>();
        double? lastGood = null;
        double? breaking = null;
        var rate = startRate;
        for (var i = 0; i < maxSteps; i++)
        {
            var offered = Math.Round(rate);
            var phase = await context.RunPhaseAsync($"step {i + 1} @ {offered} req/s", target.Info, async (m, ct) =>
            {
                await OpenLoop.RunAsync(pool.Connections, mix, offered, TimeSpan.FromSeconds(step), 200_000, context.Options.RequestTimeout, m, ct).ConfigureAwait(false);
                return new Dictionary<string, double> { ["offered_req_per_s"] = offered };
            }, cancellationToken).ConfigureAwait(false);
            phases.Add(phase);
            if (phase.P95Ms > p95Limit || phase.ErrorRatePercent > errorLimit)
            {
                breaking = offered;
                notes.Add(FormattableString.Invariant($"broke at {offered} req/s offered: p95 {phase.P95Ms} ms, errors {phase.ErrorRatePercent} % (achieved {phase.RequestsPerSecond} req/s)"));
                break;
            }

            lastGood = offered;
            rate *= factor;
        }

        if (breaking is null)
        {
            notes.Add(FormattableString.Invariant($"did not break within {maxSteps} steps (last {lastGood} req/s): raise --max-steps or --start-rate"));
        }
        else
        {
            // Recovery: a short pause (answers still in flight drain), then back to the first rate; the phase shows
            // whether latency returns to normal once the load drops.
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(step, 2)), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            var recovery = await context.RunPhaseAsync($"recovery @ {Math.Round(startRate)} req/s", target.Info, async (m, ct) =>
            {
                await OpenLoop.RunAsync(pool.Connections, mix, startRate, TimeSpan.FromSeconds(step), 200_000, context.Options.RequestTimeout, m, ct).ConfigureAwait(false);
                return new Dictionary<string, double> { ["offered_req_per_s"] = Math.Round(startRate) };
            }, cancellationToken).ConfigureAwait(false);
            phases.Add(recovery);
        }

        var summary = new Dictionary<string, double>
        {
            ["last_good_rate"] = lastGood ?? 0,
            ["breaking_rate"] = breaking ?? 0,
            ["max_achieved_req_per_s"] = phases.Max(p => p.RequestsPerSecond),
        };
        phases[0] = phases[0] with { Metrics = new Dictionary<string, double>(phases[0].Metrics.Concat(summary)) };
        return new ScenarioOutcome(
            phases,
            new Dictionary<string, string>
            {
                ["sessions"] = Inv(sessions),
                ["start_rate"] = Inv(startRate),
                ["factor"] = Inv(factor),
                ["step_seconds"] = Inv(step),
                ["max_steps"] = Inv(maxSteps),
                ["p95_limit_ms"] = Inv(p95Limit),
                ["error_limit_percent"] = Inv(errorLimit),
                ["mix"] = mixSpec,
            },
            notes,
            CountErrors: false);
    }
}

/// <summary>endurance: a fixed rate for N minutes; per-window latency (drift) and server RSS/handle growth.</summary>
internal sealed class EnduranceScenario : IScenario
{
    public string Name => "endurance";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var minutes = context.Pick(context.Settings.Minutes, 10, 0.05);
        var window = context.Pick(context.Settings.WindowSeconds, 60, 1);
        var sessions = context.Pick(context.Settings.Sessions, 100, 5);
        var rate = context.Pick(context.Settings.Rate, 500, 50);
        var mixSpec = context.Settings.Mix ?? MethodMix.Throughput;
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, sessions, 0, null, false, cancellationToken).ConfigureAwait(false);
        var (_, mix) = await LoadScenario.PrepareMixAsync(context, pool, mixSpec, notes, cancellationToken).ConfigureAwait(false);
        var windows = new List<PhaseResult>();
        await using var serverSampler = StartSampler(target.Info.ServerPid == Environment.ProcessId ? null : target.Info.ServerPid);
        var total = await context.RunPhaseAsync("endurance", target.Info, async (m, ct) =>
        {
            var windowCount = Math.Max(1, (int)Math.Ceiling(minutes * 60 / window));
            for (var i = 0; i < windowCount; i++)
            {
                var recorder = new Measurements();
                var from = serverSampler?.Now ?? 0;
                await OpenLoop.RunAsync(pool.Connections, mix, rate, TimeSpan.FromSeconds(window), 50_000, context.Options.RequestTimeout, new Forward(m, recorder), ct).ConfigureAwait(false);
                recorder.Total.Stop();
                serverSampler?.TakeSample();
                var server = serverSampler?.Summarize(from, serverSampler.Now);
                windows.Add(BuildPhase($"window {i + 1}", target.Info.Label, recorder.Total, server, null, null));
            }

            var first = windows[0];
            var last = windows[^1];
            var metrics = new Dictionary<string, double>
            {
                ["p95_first_window_ms"] = first.P95Ms,
                ["p95_last_window_ms"] = last.P95Ms,
                ["p95_drift_ratio"] = first.P95Ms > 0 ? Math.Round(last.P95Ms / first.P95Ms, 3) : 0,
            };
            if (first.Server is { } a && last.Server is { } b)
            {
                metrics["server_rss_growth_mib"] = Math.Round((b.RssEndBytes - a.RssStartBytes) / 1048576.0, 2);
                metrics["server_fd_start"] = a.OpenFilesStart;
                metrics["server_fd_end"] = b.OpenFilesEnd;
                metrics["server_fd_growth"] = b.OpenFilesEnd - a.OpenFilesStart;
            }

            return metrics;
        }, cancellationToken, includeSamples: true).ConfigureAwait(false);
        return new ScenarioOutcome(
            [total, .. windows],
            new Dictionary<string, string>
            {
                ["minutes"] = Inv(minutes),
                ["window_seconds"] = Inv(window),
                ["sessions"] = Inv(sessions),
                ["rate"] = Inv(rate),
                ["mix"] = mixSpec,
            },
            notes);
    }

    /// <summary>Records into the phase total and the current window.</summary>
    private sealed class Forward(Measurements total, Measurements window) : IRecordSink
    {
        public void Record(string method, long startTimestamp, in RpcOutcome outcome)
        {
            total.Record(method, startTimestamp, outcome);
            window.Record(method, startTimestamp, outcome);
        }

        public void Record(string method, long micros, string label, bool ok)
        {
            total.Record(method, micros, label, ok);
            window.Record(method, micros, label, ok);
        }
    }
}

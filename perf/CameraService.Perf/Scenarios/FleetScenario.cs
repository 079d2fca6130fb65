using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Fleet;
using CameraService.Perf.Measurement;
using CameraService.Perf.Results;
using CameraService.Perf.Targets;
using CameraService.Perf.Workloads;
using CameraService.Plugins.Fleet;
using NATS.Client.Core;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Scenarios;

/// <summary>
/// fleet (issue 24, docs/fleet.md): a real <c>nats-server</c>, a real gateway process and a real node process
/// (test-pattern cameras, ffmpeg backend), plus light in-process simulated nodes (<see cref="SimulatedNode"/>) that
/// speak the same NATS protocol. Phases:
/// <list type="number">
/// <item><c>overhead</c>: the same closed-loop <c>get_camera_status</c> against the real node directly and through the
/// gateway; the difference of the percentiles is the gateway's cost per routed call. Before it, the real node's
/// announcement is compared with a simulated one (keys of the announcement, camera objects and streams): a
/// difference is a <c>(protocol-drift)</c> error.</item>
/// <item><c>list</c>: for 10/25/50 simulated nodes × 4 cameras, <c>get_camera_list</c> through the gateway (closed loop).</item>
/// <item><c>idle</c> / <c>events</c>: for every (nodes, clients) pair, first the gateway with heartbeats only, then
/// simulated nodes publishing <c>snapshot_taken</c> at a fixed total rate, round-robin over nodes and cameras, to
/// clients subscribed to <c>snapshot.taken</c>; latency from just before the node's publish to each client's
/// receipt, missing deliveries after 5 s are errors. The gateway's CPU and RSS are sampled from /proc in both.</item>
/// </list>
/// </summary>
internal sealed class FleetScenario : IScenario
{
    /// <summary>The fleet credential of the run (≥ 32 bytes, as the plugin's validator requires).</summary>
    public const string Secret = "perf-fleet-credential-0123456789abcdef";

    public const string RealNodeId = "real1";

    private const string ServiceBase =
        "run --Api:BindAddress=127.0.0.1 --Api:Port={port} --Api:PublicBaseUrl=http://127.0.0.1:{port} " +
        "--Api:RateLimit:RequestsPerSecond=1000000 --Api:RateLimit:Burst=1000000 --Api:MaxConnectionsPerAddress=20000 " +
        "--State:Directory={state} --Storage:Root={storage} " +
        "--CameraService:StreamBackend=ffmpeg --Plugins:Ffmpeg:HlsDirectory={temp}/hls ";

    private const string GatewayArgs = ServiceBase + "--CameraService:CameraSources:0=none --Fleet:Role=gateway";

    private static readonly byte[] Marker = Encoding.UTF8.GetBytes(SimulatedNode.SequenceMarker);

    public string Name => "fleet";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        if (context.Options.Target != TargetKind.Service)
        {
            throw new PerfException("the fleet scenario starts its own nats-server, gateway and node from the built service: use --start-service (and --service-dll for another build)");
        }

        var nodeCounts = Counts(context.Settings.NodeCounts ?? (context.Smoke ? "3" : "10,25,50"), "--nodes", 999);
        var clientCounts = Counts(context.Settings.ClientCounts ?? (context.Smoke ? "5" : "100,500,1000"), "--client-counts", 10_000);
        var cameras = context.Pick(context.Settings.CamerasPerNode, 4, 2);
        var seconds = context.Pick(context.Settings.DurationSeconds, 10, 1.5);
        var warmup = context.Pick(context.Settings.WarmupSeconds, 3, 0.5);
        var rate = context.Pick(context.Settings.Rate, 10, 10);
        var clients = context.Pick(context.Settings.Clients, 1, 1);
        var idleSeconds = Math.Max(1, seconds / 2);
        var notes = new List<string>();
        var phases = new List<PhaseResult>();

        await using var nats = await NatsServerProcess.StartAsync(cancellationToken).ConfigureAwait(false);
        await context.Out.WriteLineAsync($"nats-server on {nats.Url} (pid {nats.Pid}, JetStream on a temporary store)").ConfigureAwait(false);
        string[] fleetArgs = [$"--Fleet:Nats:Url={nats.Url}", $"--Fleet:Secret={Secret}"];
        var service = context.Options.Service with { Emulator = EmulatorMode.Off };
        var gatewayLaunch = service with { RunArgs = GatewayArgs, ExtraArgs = [.. fleetArgs, .. service.ExtraArgs] };
        var nodeLaunch = service with { RunArgs = NodeArgs(cameras), ExtraArgs = [.. fleetArgs, .. service.ExtraArgs] };
        var gatewayStart = ServiceTarget.StartAsync(gatewayLaunch, null, context.Out, cancellationToken);
        var nodeStart = ServiceTarget.StartAsync(nodeLaunch, null, context.Out, cancellationToken);
        try
        {
            await Task.WhenAll(gatewayStart, nodeStart).ConfigureAwait(false);
        }
        catch
        {
            foreach (var started in new[] { gatewayStart, nodeStart }.Where(t => t.IsCompletedSuccessfully))
            {
                await (await started.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        await using var gateway = await gatewayStart.ConfigureAwait(false);
        await using var fleet = new SimulatedFleet(nats.Url, Secret, cameras);
        await using var control = await context.OpenSessionsAsync(gateway.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var lister = control.Connections[0];

        // 1. Drift check and gateway overhead against the real node; then the real node stops.
        await using (var node = await nodeStart.ConfigureAwait(false))
        {
            var gatewayCameras = await WaitForCamerasAsync(lister, c => c.Node == RealNodeId && c.Connected, cameras, TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false);
            var drift = await CompareAnnouncementsAsync(nats.Url, cameras, cancellationToken).ConfigureAwait(false);
            notes.Add(drift.Count == 0
                ? $"protocol check: the real node's announcement and a simulated node's have the same keys (announcement, camera objects, streams)"
                : "PROTOCOL DRIFT between the real node and the simulator: " + string.Join("; ", drift));
            var local = await LocalDeviceAsync(context, node.Info, gatewayCameras[0].StableId, cancellationToken).ConfigureAwait(false);
            phases.Add(await OverheadPhaseAsync(context, node.Info, "overhead: node direct", local, clients, seconds, warmup, drift, [], cancellationToken).ConfigureAwait(false));
            phases.Add(await OverheadPhaseAsync(context, gateway.Info, "overhead: via gateway", gatewayCameras[0].Device, clients, seconds, warmup, [], [("node", node.Info.ServerPid), ("nats", nats.Pid)], cancellationToken).ConfigureAwait(false));
            var (direct, routed) = (phases[^2], phases[^1]);
            var overhead = new Dictionary<string, double>(routed.Metrics)
            {
                ["overhead_p50_ms"] = Math.Round(routed.P50Ms - direct.P50Ms, 3),
                ["overhead_p95_ms"] = Math.Round(routed.P95Ms - direct.P95Ms, 3),
                ["overhead_p99_ms"] = Math.Round(routed.P99Ms - direct.P99Ms, 3),
            };
            phases[^1] = routed with { Metrics = overhead };
            notes.Add(FormattableString.Invariant($"gateway overhead per routed call (via gateway − direct): p50 {overhead["overhead_p50_ms"]} ms, p95 {overhead["overhead_p95_ms"]} ms, p99 {overhead["overhead_p99_ms"]} ms (goal p95 < 2 ms)"));
        }

        notes.Add($"the real node {RealNodeId} stopped after the overhead phase: the gateway keeps listing its {cameras} cameras as DISCONNECTED (from its cache, no request) in the phases below");

        // 2. get_camera_list over 10/25/50 simulated nodes.
        var listLatency = new List<(double Nodes, double P50, double P95, double P99)>();
        foreach (var count in nodeCounts)
        {
            // Joining: new nodes announce themselves, the gateway binds their cameras in KV (one at a time) and lists them.
            var joining = Stopwatch.GetTimestamp();
            var joined = (count - fleet.Nodes.Count) * cameras;
            await fleet.EnsureAsync(count, cancellationToken).ConfigureAwait(false);
            await WaitForCamerasAsync(lister, c => c.Node.StartsWith("sim", StringComparison.Ordinal) && c.Connected, count * cameras, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            var joinSeconds = Stopwatch.GetElapsedTime(joining).TotalSeconds;
            var phase = await ListPhaseAsync(context, gateway.Info, count, cameras, clients, seconds, warmup, nats.Pid, cancellationToken).ConfigureAwait(false);
            phase = phase with { Metrics = new Dictionary<string, double>(phase.Metrics) { ["joined_cameras"] = joined, ["join_seconds"] = Math.Round(joinSeconds, 3) } };
            phases.Add(phase);
            listLatency.Add((count, phase.P50Ms, phase.P95Ms, phase.P99Ms));
        }

        // 3. Gateway CPU/RSS by nodes and clients, idle (heartbeats) and with events; delivery latency.
        var grid = new List<(int Nodes, int Clients, PhaseResult Idle, PhaseResult Events)>();
        var subscribers = new Subscribers(context, gateway.Info);
        await using (subscribers.ConfigureAwait(false))
        {
            foreach (var count in nodeCounts)
            {
                await fleet.EnsureAsync(count, cancellationToken).ConfigureAwait(false);
                await WaitForCamerasAsync(lister, c => c.Node.StartsWith("sim", StringComparison.Ordinal) && c.Connected, count * cameras, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                foreach (var clientCount in clientCounts)
                {
                    await subscribers.EnsureAsync(clientCount, cancellationToken).ConfigureAwait(false);

                    // Let the session opening (authentication, subscriptions) and the previous phase's stragglers settle:
                    // the idle phase is the heartbeat cost alone.
                    await Task.Delay(TimeSpan.FromSeconds(context.Smoke ? 0.2 : 3), TimeProvider.System, cancellationToken).ConfigureAwait(false);
                    var idle = await context.RunPhaseAsync($"idle: {count} nodes, {clientCount} clients", gateway.Info, async (m, ct) =>
                    {
                        var beatsBefore = fleet.Heartbeats;
                        await Task.Delay(TimeSpan.FromSeconds(idleSeconds), TimeProvider.System, ct).ConfigureAwait(false);
                        return WithLoad(new Dictionary<string, double> { ["nodes"] = count, ["clients"] = clientCount, ["heartbeats"] = fleet.Heartbeats - beatsBefore });
                    }, cancellationToken).ConfigureAwait(false);
                    var events = await EventsPhaseAsync(context, gateway.Info, fleet, subscribers, count, clientCount, rate, seconds, cancellationToken).ConfigureAwait(false);
                    phases.Add(idle);
                    phases.Add(events);
                    grid.Add((count, clientCount, idle, events));
                }
            }
        }

        if (fleet.Refused > 0 || fleet.Unsupported > 0)
        {
            notes.Add($"simulated nodes refused {fleet.Refused} and could not answer {fleet.Unsupported} gateway requests (see the errors)");
        }

        var fleetPhase = BuildPhase("(simulated nodes)", "simulator", FleetCounters(fleet), null, null, WithLoad(new Dictionary<string, double>
        {
            ["nodes"] = fleet.Nodes.Count,
            ["requests_answered"] = fleet.Requests,
            ["requests_refused"] = fleet.Refused,
            ["requests_not_simulated"] = fleet.Unsupported,
            ["heartbeats"] = fleet.Heartbeats,
        }));
        phases.Add(fleetPhase);
        notes.AddRange(Summaries(listLatency, grid, rate));
        return new ScenarioOutcome(
            phases,
            new Dictionary<string, string>
            {
                ["nodes"] = string.Join(',', nodeCounts),
                ["client_counts"] = string.Join(',', clientCounts),
                ["cameras_per_node"] = Inv(cameras),
                ["seconds"] = Inv(seconds),
                ["idle_seconds"] = Inv(idleSeconds),
                ["event_rate_per_s"] = Inv(rate),
                ["overhead_and_list_clients"] = Inv(clients),
                ["heartbeat_interval_ms"] = Inv(new FleetOptions().HeartbeatIntervalValue.TotalMilliseconds),
            },
            notes);
    }

    private static string NodeArgs(int cameras) => ServiceBase +
        $"--Plugins:TestPattern:Enabled=true --Plugins:TestPattern:Count={cameras} --Plugins:TestPattern:Width=320 --Plugins:TestPattern:Height=240 " +
        $"--Plugins:TestPattern:Fps=5 --CameraService:CameraSources:0=testpattern --Fleet:Role=node --Fleet:NodeId={RealNodeId}";

    private static List<int> Counts(string text, string option, int max)
    {
        var counts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= max ? n : throw new PerfException($"{option}: '{c}' is not a count between 1 and {max}"))
            .Distinct()
            .Order()
            .ToList();
        return counts.Count > 0 ? counts : throw new PerfException($"{option} needs at least one count, e.g. 10,25,50");
    }

    private static Dictionary<string, double> WithLoad(Dictionary<string, double> metrics)
    {
        var load = ResultWriter.LoadAverage().Split(' ')[0];
        metrics["load_avg_1m_end"] = double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : -1;
        return metrics;
    }

    private static LatencyRecorder FleetCounters(SimulatedFleet fleet)
    {
        var recorder = new LatencyRecorder();
        for (var i = 0; i < fleet.Refused; i++)
        {
            recorder.Record("(node-refused)", 0, "refused", ok: false);
        }

        for (var i = 0; i < fleet.Unsupported; i++)
        {
            recorder.Record("(node-not-simulated)", 0, "not_simulated", ok: false);
        }

        recorder.Stop();
        return recorder;
    }

    private sealed record GatewayCamera(string Device, string Node, string StableId, bool Connected);

    /// <summary>Polls the gateway's <c>get_camera_list</c> until <paramref name="count"/> cameras match.</summary>
    private static async Task<List<GatewayCamera>> WaitForCamerasAsync(RpcConnection connection, Func<GatewayCamera, bool> match, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var list = RpcMethod.Create("get_camera_list");
        var started = Stopwatch.GetTimestamp();
        var last = "no answer yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            var outcome = await connection.CallAsync(list, capture: true, cancellationToken).ConfigureAwait(false);
            if (outcome.IsOk)
            {
                using var document = outcome.ParseMessage()!;
                var cameras = document.RootElement.GetProperty("result").GetProperty("cameras").EnumerateArray()
                    .Select(c => new GatewayCamera(
                        c.GetProperty("device").GetString()!,
                        c.TryGetProperty("node", out var n) ? n.GetString() ?? string.Empty : string.Empty,
                        c.TryGetProperty("stable_id", out var s) ? s.GetString() ?? string.Empty : string.Empty,
                        c.TryGetProperty("status", out var st) && st.GetString() == "CONNECTED"))
                    .Where(match)
                    .ToList();
                if (cameras.Count >= count)
                {
                    return cameras;
                }

                last = $"{cameras.Count} of {count} cameras";
            }
            else
            {
                last = outcome.Label;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        throw new PerfException($"the gateway did not list the expected cameras within {timeout.TotalSeconds:0} s (last: {last})");
    }

    /// <summary>The real node's own id for the camera the gateway lists with <paramref name="stableId"/>.</summary>
    private static async Task<string> LocalDeviceAsync(ScenarioContext context, TargetInfo node, string stableId, CancellationToken cancellationToken)
    {
        await using var pool = await context.OpenSessionsAsync(node, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var outcome = await pool.Connections[0].CallAsync(RpcMethod.Create("get_camera_list"), capture: true, cancellationToken).ConfigureAwait(false);
        using var document = outcome.ParseMessage() ?? throw new PerfException($"the node's get_camera_list failed: {outcome.Label}");
        foreach (var camera in document.RootElement.GetProperty("result").GetProperty("cameras").EnumerateArray())
        {
            if (camera.GetProperty("stable_id").GetString() == stableId)
            {
                return camera.GetProperty("device").GetString()!;
            }
        }

        throw new PerfException($"the node does not list the camera {stableId} the gateway routes to it");
    }

    /// <summary>Differences between the real node's announcement (heard on NATS) and a simulated node's: keys of the announcement, of a camera object, of its streams.</summary>
    private static async Task<List<string>> CompareAnnouncementsAsync(string natsUrl, int cameras, CancellationToken cancellationToken)
    {
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = natsUrl, Name = "camera-service perf protocol check" });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        byte[]? real = null;
        try
        {
            await foreach (var msg in nats.SubscribeAsync<byte[]>(FleetSubjects.Heartbeat(RealNodeId), cancellationToken: timeout.Token).ConfigureAwait(false))
            {
                real = msg.Data;
                break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // No heartbeat within the timeout: reported below.
        }

        if (real is null)
        {
            return [$"no announcement of {RealNodeId} on {FleetSubjects.Heartbeat(RealNodeId)} within 30 s"];
        }

        using var simulatedCameras = JsonDocument.Parse(SimulatedNode.CamerasJson("sim000", cameras, "http://127.0.0.1:9/sim000"));
        var simulated = FleetAnnouncement.Write("sim000", SimulatedNode.Version, "http://127.0.0.1:9/sim000", "2026-01-01T00:00:00Z", simulatedCameras.RootElement);
        using var a = JsonDocument.Parse(real);
        using var b = JsonDocument.Parse(simulated);
        var differences = new List<string>();
        Compare("announcement", a.RootElement, b.RootElement, differences);
        var realCameras = a.RootElement.GetProperty("cameras");
        var simCameras = b.RootElement.GetProperty("cameras");
        if (realCameras.GetArrayLength() != simCameras.GetArrayLength())
        {
            differences.Add($"the real node announces {realCameras.GetArrayLength()} cameras, the simulator {simCameras.GetArrayLength()}");
        }
        else if (realCameras.GetArrayLength() > 0)
        {
            Compare("camera", realCameras[0], simCameras[0], differences);
            Compare("camera.streams", realCameras[0].GetProperty("streams"), simCameras[0].GetProperty("streams"), differences);
        }

        return differences;

        static void Compare(string what, JsonElement real, JsonElement simulated, List<string> differences)
        {
            var r = real.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var s = simulated.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            if (!r.SetEquals(s))
            {
                differences.Add($"{what} keys: real node only [{string.Join(',', r.Except(s))}], simulator only [{string.Join(',', s.Except(r))}]");
            }
        }
    }

    private static async Task<PhaseResult> OverheadPhaseAsync(ScenarioContext context, TargetInfo target, string name, string device, int clients, double seconds, double warmup, List<string> drift, IReadOnlyList<(string Name, int? Pid)> alsoSample, CancellationToken cancellationToken)
    {
        await using var pool = await context.OpenSessionsAsync(target, clients, 0, null, false, cancellationToken).ConfigureAwait(false);
        var mix = MethodMix.Parse("get_camera_status", device);
        await ClosedLoop.RunAsync(pool.Connections, mix, TimeSpan.FromSeconds(warmup), long.MaxValue, new Measurements(), cancellationToken).ConfigureAwait(false);
        var phase = await context.RunPhaseAsync(name, target, async (m, ct) =>
        {
            foreach (var difference in drift)
            {
                m.Record("(protocol-drift)", 0, difference, ok: false);
            }

            return await SampledAsync(alsoSample, () => ClosedLoop.RunAsync(pool.Connections, mix, TimeSpan.FromSeconds(seconds), long.MaxValue, m, ct), new Dictionary<string, double> { ["clients"] = clients }).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return WithCpuPerRequest(phase);
    }

    private static async Task<PhaseResult> ListPhaseAsync(ScenarioContext context, TargetInfo gateway, int nodes, int cameras, int clients, double seconds, double warmup, int natsPid, CancellationToken cancellationToken)
    {
        await using var pool = await context.OpenSessionsAsync(gateway, clients, 0, null, false, cancellationToken).ConfigureAwait(false);
        var mix = MethodMix.Parse("get_camera_list", "camera0");
        await ClosedLoop.RunAsync(pool.Connections, mix, TimeSpan.FromSeconds(warmup), long.MaxValue, new Measurements(), cancellationToken).ConfigureAwait(false);
        var phase = await context.RunPhaseAsync($"list: {nodes} nodes × {cameras} cameras", gateway, async (m, ct) =>
            await SampledAsync([("nats", natsPid)], () => ClosedLoop.RunAsync(pool.Connections, mix, TimeSpan.FromSeconds(seconds), long.MaxValue, m, ct), new Dictionary<string, double> { ["nodes"] = nodes, ["cameras"] = nodes * cameras, ["clients"] = clients }).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return WithCpuPerRequest(phase);
    }

    /// <summary>Runs <paramref name="work"/> while sampling other processes (the node, nats-server); their average CPU % goes into the metrics.</summary>
    private static async Task<IReadOnlyDictionary<string, double>> SampledAsync(IReadOnlyList<(string Name, int? Pid)> processes, Func<Task> work, Dictionary<string, double> metrics)
    {
        var samplers = processes.Select(p => (p.Name, Sampler: StartSampler(p.Pid))).ToList();
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            foreach (var (name, sampler) in samplers)
            {
                if (sampler is not null)
                {
                    sampler.TakeSample();
                    metrics[$"{name}_cpu_pct_avg"] = sampler.Summarize()?.CpuPercentAvg ?? 0;
                    await sampler.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        return WithLoad(metrics);
    }

    /// <summary>Adds the sampled processes' CPU time per request (ms): independent of how long a request waited for a CPU.</summary>
    private static PhaseResult WithCpuPerRequest(PhaseResult phase)
    {
        if (phase.Requests == 0 || phase.DurationSeconds <= 0)
        {
            return phase;
        }

        var metrics = new Dictionary<string, double>(phase.Metrics);
        var perSecond = phase.Requests / phase.DurationSeconds;
        if (phase.Server is { } server)
        {
            metrics["server_cpu_ms_per_request"] = Math.Round(server.CpuPercentAvg * 10 / perSecond, 3);
        }

        foreach (var key in phase.Metrics.Keys.Where(k => k.EndsWith("_cpu_pct_avg", StringComparison.Ordinal)).ToList())
        {
            metrics[key.Replace("_cpu_pct_avg", "_cpu_ms_per_request", StringComparison.Ordinal)] = Math.Round(phase.Metrics[key] * 10 / perSecond, 3);
        }

        return phase with { Metrics = metrics };
    }

    private static async Task<PhaseResult> EventsPhaseAsync(ScenarioContext context, TargetInfo gateway, SimulatedFleet fleet, Subscribers subscribers, int nodes, int clients, double rate, double seconds, CancellationToken cancellationToken)
    {
        var total = Math.Max(1, (int)Math.Round(rate * seconds));
        var label = "notification:snapshot_taken";
        return await context.RunPhaseAsync($"events: {nodes} nodes, {clients} clients", gateway, async (m, ct) =>
        {
            var run = subscribers.Begin(total, m, label);
            var interval = TimeSpan.FromSeconds(1 / rate);
            var started = Stopwatch.GetTimestamp();
            for (var k = 0; k < total; k++)
            {
                var due = interval * k - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(due, TimeProvider.System, ct).ConfigureAwait(false);
                }

                var node = fleet.Nodes[k % nodes];
                var notification = SimulatedNode.SnapshotTaken(k / nodes % fleet.CamerasPerNode, run.Base + k);
                var publishStart = Stopwatch.GetTimestamp();
                run.Start(k, publishStart);
                await node.PublishAsync(notification, ct).ConfigureAwait(false);
                m.Record("(publish)", (long)Stopwatch.GetElapsedTime(publishStart).TotalMicroseconds, "ok", ok: true);
            }

            var missing = await run.FinishAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            return WithLoad(new Dictionary<string, double>
            {
                ["nodes"] = nodes,
                ["clients"] = clients,
                ["events"] = total,
                ["deliveries_expected"] = (double)total * clients,
                ["deliveries_missing"] = missing,
                ["deliveries_per_s"] = Math.Round(rate * clients, 1),
            });
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The table and the slopes for the projection (perf/README.md "Fleet").</summary>
    private static IEnumerable<string> Summaries(List<(double Nodes, double P50, double P95, double P99)> list, List<(int Nodes, int Clients, PhaseResult Idle, PhaseResult Events)> grid, double rate)
    {
        foreach (var (nodes, p50, p95, p99) in list)
        {
            yield return FormattableString.Invariant($"get_camera_list over {nodes} nodes: p50 {p50} ms, p95 {p95} ms, p99 {p99} ms");
        }

        if (list.Count >= 2)
        {
            yield return FormattableString.Invariant($"get_camera_list slope: p50 {Slope(list.Select(l => (l.Nodes, l.P50))):0.###} ms per node");
        }

        foreach (var (nodes, clients, idle, events) in grid)
        {
            yield return FormattableString.Invariant(
                $"gateway at {nodes} nodes, {clients} clients: CPU {Cpu(idle)} % idle (heartbeats), {Cpu(events)} % with {rate:0.#} events/s ({rate * clients:0} deliveries/s); RSS {Rss(events)} MiB; delivery p50 {events.P50Ms} ms, p99 {events.P99Ms} ms (load {events.Metrics.GetValueOrDefault("load_avg_1m_end")})");
        }

        var smallestClients = grid.Count == 0 ? 0 : grid.Min(g => g.Clients);
        var byNodes = grid.Where(g => g.Clients == smallestClients).Select(g => ((double)g.Nodes, Cpu(g.Idle))).ToList();
        if (byNodes.Count >= 2)
        {
            yield return FormattableString.Invariant($"idle gateway CPU slope: {Slope(byNodes):0.###} % of one core per node (heartbeats every {new FleetOptions().HeartbeatIntervalValue.TotalMilliseconds:0} ms)");
        }

        var byDeliveries = grid.Select(g => (rate * g.Clients, Cpu(g.Events) - Cpu(g.Idle))).ToList();
        if (byDeliveries.Select(d => d.Item1).Distinct().Count() >= 2)
        {
            yield return FormattableString.Invariant($"fan-out CPU slope: {Slope(byDeliveries) * 1000:0.###} % of one core per 1,000 deliveries/s (events CPU − idle CPU)");
        }

        static double Cpu(PhaseResult phase) => phase.Server?.CpuPercentAvg ?? 0;

        static double Rss(PhaseResult phase) => Math.Round((phase.Server?.RssMaxBytes ?? 0) / (1024.0 * 1024.0), 0);
    }

    /// <summary>Least-squares slope of y over x.</summary>
    private static double Slope(IEnumerable<(double X, double Y)> points)
    {
        var p = points.ToList();
        var mx = p.Average(q => q.X);
        var my = p.Average(q => q.Y);
        var den = p.Sum(q => (q.X - mx) * (q.X - mx));
        return den == 0 ? 0 : p.Sum(q => (q.X - mx) * (q.Y - my)) / den;
    }

    /// <summary>Gateway sessions subscribed to <c>snapshot.taken</c>, grown and shrunk to the asked count; each delivery is matched to its event by the sequence number in the file name.</summary>
    private sealed class Subscribers(ScenarioContext context, TargetInfo gateway) : IAsyncDisposable
    {
        private readonly List<SessionPool> _pools = [];
        private EventRun? _run;

        public int Count => _pools.Sum(p => p.Connections.Count);

        public async Task EnsureAsync(int count, CancellationToken cancellationToken)
        {
            while (Count > count)
            {
                var last = _pools[^1];
                _pools.RemoveAt(_pools.Count - 1);
                await last.DisposeAsync().ConfigureAwait(false);
            }

            if (Count == count)
            {
                return;
            }

            var pool = await context.OpenSessionsAsync(gateway, count - Count, 0, null, false, cancellationToken).ConfigureAwait(false);
            _pools.Add(pool);
            var subscribe = RpcMethod.Create("subscribe_events", """{"topics":["snapshot.taken"]}""");
            foreach (var connection in pool.Connections)
            {
                connection.OnNotification = OnNotification;
            }

            foreach (var batch in pool.Connections.Chunk(200))
            {
                var outcomes = await Task.WhenAll(batch.Select(c => c.CallAsync(subscribe, capture: true, cancellationToken))).ConfigureAwait(false);
                foreach (var failed in outcomes.Where(o => !o.IsOk))
                {
                    throw new PerfException($"subscribe_events snapshot.taken failed on the gateway: {(failed.Message is null ? failed.Label : Encoding.UTF8.GetString(failed.Message))}");
                }
            }
        }

        public EventRun Begin(int events, IRecordSink sink, string label)
        {
            var run = new EventRun(this, _run is { } previous ? previous.Base + previous.Length : 0, events, Count, sink, label);
            Volatile.Write(ref _run, run);
            return run;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var pool in _pools)
            {
                await pool.DisposeAsync().ConfigureAwait(false);
            }

            _pools.Clear();
        }

        private void OnNotification(ReadOnlySpan<byte> method, ReadOnlySpan<byte> message, long at)
        {
            if (Volatile.Read(ref _run) is not { } run || !method.SequenceEqual("snapshot_taken"u8))
            {
                return;
            }

            var marker = message.IndexOf(Marker);
            if (marker >= 0 && Utf8Parser.TryParse(message[(marker + Marker.Length)..], out long sequence, out _))
            {
                run.Delivered(sequence, at);
            }
        }

        internal void End(EventRun run) => Interlocked.CompareExchange(ref _run, null, run);
    }

    private sealed class EventRun(Subscribers owner, long first, int length, int clients, IRecordSink sink, string label)
    {
        private readonly long[] _starts = new long[length];
        private long _delivered;
        private long _late;

        public long Base { get; } = first;

        public int Length { get; } = length;

        public void Start(int index, long timestamp) => Volatile.Write(ref _starts[index], timestamp);

        public void Delivered(long sequence, long at)
        {
            var index = sequence - Base;
            if (index < 0 || index >= Length || Volatile.Read(ref _starts[index]) is not (> 0 and var start))
            {
                Interlocked.Increment(ref _late);
                return;
            }

            sink.Record(label, (long)Stopwatch.GetElapsedTime(start, at).TotalMicroseconds, "ok", ok: true);
            Interlocked.Increment(ref _delivered);
        }

        /// <summary>Waits for the outstanding deliveries; records each one still missing as an error and returns their count.</summary>
        public async Task<long> FinishAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            var expected = (long)Length * clients;
            var started = Stopwatch.GetTimestamp();
            while (Interlocked.Read(ref _delivered) < expected && Stopwatch.GetElapsedTime(started) < timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }

            owner.End(this);
            var missing = expected - Interlocked.Read(ref _delivered);
            for (var i = 0; i < missing; i++)
            {
                sink.Record(label, (long)timeout.TotalMicroseconds, "missing", ok: false);
            }

            return missing;
        }
    }
}

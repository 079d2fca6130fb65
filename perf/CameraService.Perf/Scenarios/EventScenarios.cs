using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Measurement;
using CameraService.Perf.Results;
using CameraService.Perf.Targets;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Scenarios;

/// <summary>
/// fanout: N subscribed sessions; a trigger makes the server emit one notification per event; latency of every
/// delivery from the moment just before the trigger, p50/p99, and deliveries missing after the per-event timeout.
/// </summary>
internal sealed class FanoutScenario : IScenario
{
    public string Name => "fanout";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var sessions = context.Pick(context.Settings.Sessions, 1000, 10);
        var events = context.Pick(context.Settings.Events, 50, 3);
        var spacing = context.Pick(context.Settings.EventSpacingMs, 200, 50);
        var warmupEvents = context.Settings.WarmupEvents ?? 0;
        var eventTimeout = TimeSpan.FromSeconds(context.Smoke ? 5 : 10);
        var triggerKind = context.Settings.Trigger ?? (context.Options.Target == TargetKind.Echo ? "echo" : "rpc");
        var notes = new List<string>();
        var extraArgs = triggerKind == "v4l2" ? FakeDeviceTree.ServiceArguments : null;
        await using var target = await context.OpenTargetAsync(null, extraArgs, cancellationToken).ConfigureAwait(false);
        await using var control = await context.OpenSessionsAsync(target.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var device = await context.ResolveDeviceAsync(control.Connections[0], notes, cancellationToken).ConfigureAwait(false);
        var trigger = CreateTrigger(context, triggerKind, target.Info, control.Connections[0], device);
        var topics = context.Settings.Topics?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. trigger.Topics];
        await using var pool = await context.OpenSessionsAsync(target.Info, sessions, 0, null, false, cancellationToken).ConfigureAwait(false);

        var expected = Encoding.UTF8.GetBytes(trigger.Notification);
        var label = "notification:" + trigger.Notification;
        var lastSeen = new int[pool.Connections.Count];
        var currentEvent = 0;
        var eventStart = 0L;
        var received = 0;
        long late = 0;
        Measurements? recording = null;
        // Every delivery's latency by event and session (-1: not received), for the per-event spread in the notes:
        // whether the tail is a few slow events (a pause) or the last sessions of every event (the per-delivery cost).
        var byEvent = new long[events * pool.Connections.Count];
        Array.Fill(byEvent, -1L);
        foreach (var connection in pool.Connections)
        {
            var slot = connection.Index;
            connection.OnNotification = (method, _, at) =>
            {
                if (!method.SequenceEqual(expected))
                {
                    return;
                }

                if (Volatile.Read(ref recording) is not { } sink)
                {
                    // A warm-up event: counted, not measured.
                    Interlocked.Increment(ref received);
                    return;
                }

                var seq = Volatile.Read(ref currentEvent);
                if (Interlocked.Exchange(ref lastSeen[slot], seq) == seq)
                {
                    Interlocked.Increment(ref late);
                    return;
                }

                var latency = (long)Stopwatch.GetElapsedTime(Volatile.Read(ref eventStart), at).TotalMicroseconds;
                sink.Record(label, latency, "ok", true);
                byEvent[((seq - 1) * lastSeen.Length) + slot] = latency;
                Interlocked.Increment(ref received);
            };
        }

        var subscribe = RpcMethod.Create("subscribe_events", JsonSerializer.Serialize(new Dictionary<string, string[]> { ["topics"] = topics }, FanoutJson.Default.DictionaryStringStringArray));
        foreach (var batch in pool.Connections.Chunk(200))
        {
            var outcomes = await Task.WhenAll(batch.Select(c => c.CallAsync(subscribe, capture: false, cancellationToken))).ConfigureAwait(false);
            var failed = outcomes.FirstOrDefault(o => !o.IsOk);
            if (failed.Message is not null || outcomes.Any(o => !o.IsOk))
            {
                throw new PerfException($"subscribe_events {string.Join(',', topics)} failed: {(failed.Message is null ? failed.Label : Encoding.UTF8.GetString(failed.Message))}");
            }
        }

        // Fires one event, waits until every session has it (or the per-event timeout) and then the spacing; answers
        // how many sessions got it. The trigger call's own time is recorded when measuring.
        async Task<int> FireAndWaitAsync(int sequence, Measurements? measuring, CancellationToken ct)
        {
            Volatile.Write(ref received, 0);
            var start = Stopwatch.GetTimestamp();
            Volatile.Write(ref eventStart, start);
            await trigger.FireAsync(sequence, ct).ConfigureAwait(false);
            measuring?.Record("(trigger)", (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, "ok", true);
            while (Volatile.Read(ref received) < pool.Connections.Count && Stopwatch.GetElapsedTime(start) < eventTimeout)
            {
                await Task.Delay(2, ct).ConfigureAwait(false);
            }

            var got = Volatile.Read(ref received);
            await Task.Delay(TimeSpan.FromMilliseconds(spacing), TimeProvider.System, ct).ConfigureAwait(false);
            return got;
        }

        // Warm-up events (--warmup-events): fired and waited for before the phase, counted but not measured.
        long warmupDeliveries = 0;
        for (var w = 0; w < warmupEvents; w++)
        {
            warmupDeliveries += await FireAndWaitAsync(w, null, cancellationToken).ConfigureAwait(false);
        }

        long missing = 0;
        var phase = await context.RunPhaseAsync("fanout", target.Info, async (m, ct) =>
        {
            Volatile.Write(ref recording, m);
            for (var e = 1; e <= events; e++)
            {
                Volatile.Write(ref currentEvent, e);
                missing += pool.Connections.Count - await FireAndWaitAsync(warmupEvents + e - 1, m, ct).ConfigureAwait(false);
            }

            Volatile.Write(ref recording, null);
            for (var i = 0; i < missing; i++)
            {
                m.Record(label, (long)eventTimeout.TotalMicroseconds, "missing", false);
            }

            return new Dictionary<string, double>
            {
                ["events"] = events,
                ["sessions"] = pool.Connections.Count,
                ["deliveries_expected"] = (double)events * pool.Connections.Count,
                ["deliveries_missing"] = missing,
                ["deliveries_duplicate_or_late"] = Interlocked.Read(ref late),
                ["warmup_deliveries"] = warmupDeliveries,
            };
        }, cancellationToken).ConfigureAwait(false);
        notes.Add($"trigger: {trigger.Description}; latency from just before the trigger to each session's receipt");
        notes.Add(EventSpread(byEvent, events, pool.Connections.Count));
        if (trigger is RpcTrigger)
        {
            notes.Add("an API-call trigger's latency includes the call's own work (e.g. taking the snapshot)");
        }

        return new ScenarioOutcome(
            [phase],
            new Dictionary<string, string>
            {
                ["sessions"] = Inv(sessions),
                ["events"] = Inv(events),
                ["warmup_events"] = Inv(warmupEvents),
                ["spacing_ms"] = Inv(spacing),
                ["trigger"] = triggerKind,
                ["notification"] = trigger.Notification,
                ["topics"] = string.Join(',', topics),
            },
            notes);
    }

    /// <summary>
    /// Per event: its first, median and last delivery. The first delivery is the trigger's own path (e.g. the device
    /// event reaching the service); first → last is the fan-out's spread over the sessions.
    /// </summary>
    private static string EventSpread(long[] byEvent, int events, int sessions)
    {
        var rows = new List<(int Event, double First, double Median, double Last)>();
        for (var e = 0; e < events; e++)
        {
            var got = byEvent.Skip(e * sessions).Take(sessions).Where(l => l >= 0).Order().ToArray();
            if (got.Length > 0)
            {
                rows.Add((e + 1, got[0] / 1000.0, got[got.Length / 2] / 1000.0, got[^1] / 1000.0));
            }
        }

        if (rows.Count == 0)
        {
            return "per event: no deliveries";
        }

        static double Mid(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }

        var worst = string.Join("; ", rows.OrderByDescending(r => r.Last).Take(5).Select(r => string.Create(CultureInfo.InvariantCulture, $"#{r.Event} {r.First:0.0}/{r.Median:0.0}/{r.Last:0.0}")));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"per event (ms, first/median/last delivery): median event {Mid(rows.Select(r => r.First)):0.0}/{Mid(rows.Select(r => r.Median)):0.0}/{Mid(rows.Select(r => r.Last)):0.0}; events whose last delivery took > 50 ms: {rows.Count(r => r.Last > 50)} of {rows.Count}; the 5 slowest: {worst}");
    }

    private static IEventTrigger CreateTrigger(ScenarioContext context, string kind, TargetInfo target, RpcConnection connection, string device)
    {
        switch (kind)
        {
            case "echo":
                if (target.Kind != TargetKind.Echo)
                {
                    throw new PerfException("--trigger echo works only against the echo server; use --trigger rpc or v4l2 for a service");
                }

                return new EchoBroadcastTrigger(connection);
            case "rpc":
                var names = (context.Settings.TriggerMethods ?? "take_snapshot").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var pairing = RpcTrigger.ContractPairing(names[0]);
                var methods = names.Select(n => RpcMethod.Create(n, Workloads.MethodMix.DefaultParams(n, device))).ToList();
                var topics = context.Settings.Topics?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. pairing.Topics];
                return new RpcTrigger(connection, methods, context.Settings.Notification ?? pairing.Notification, topics);
            case "v4l2":
                return new FakeV4l2Trigger(FakeDeviceTree.Open(target, context.Options.FakeDeviceFixture, "fanout --trigger v4l2"));
            default:
                throw new PerfException($"unknown --trigger '{kind}': use echo (echo server), rpc (an API call, --trigger-methods) or v4l2 (fake V4L2 plug/unplug)");
        }
    }
}

/// <summary>
/// discovery: for each count in 5,10,20 fake cameras, plug them all at once and measure until every one was announced
/// (camera_status_update) and get_camera_list shows them; hotplug measures one plug/unplug → notification at a time.
/// </summary>
internal sealed class DiscoveryScenario : IScenario
{
    public string Name => "discovery";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var counts = (context.Settings.CameraCounts ?? (context.Smoke ? "2" : "5,10,20"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => int.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new PerfException($"bad --cameras entry '{c}'"))
            .ToList();
        var timeout = TimeSpan.FromSeconds(10);
        var notes = new List<string>();
        if (context.Options.Target == TargetKind.Echo)
        {
            FakeDeviceTree.Open(new TargetInfo(TargetKind.Echo, new Uri("ws://127.0.0.1/"), null, null, null, null), context.Options.FakeDeviceFixture, "discovery");
        }

        await using var target = await context.OpenTargetAsync(null, FakeDeviceTree.ServiceArguments, cancellationToken).ConfigureAwait(false);
        var tree = FakeDeviceTree.Open(target.Info, context.Options.FakeDeviceFixture, "discovery");
        await using var pool = await context.OpenSessionsAsync(target.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var watcher = new CameraWatcher(pool.Connections[0]);
        var phases = new List<PhaseResult>();
        tree.UnplugAll();
        // Cameras of other sources (the test pattern) are already connected: count on top of them.
        var baseline = await watcher.ConnectedCountAsync(cancellationToken).ConfigureAwait(false);
        foreach (var count in counts)
        {
            tree.UnplugAll();
            await watcher.WaitForConnectedCountAsync(baseline, timeout, cancellationToken).ConfigureAwait(false);
            var phase = await context.RunPhaseAsync($"{count} cameras", target.Info, async (m, ct) =>
            {
                watcher.Reset();
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < count; i++)
                {
                    tree.Plug(i);
                }

                var announced = await watcher.WaitForConnectedNotificationsAsync(count, timeout, ct).ConfigureAwait(false);
                var notified = Stopwatch.GetElapsedTime(start);
                if (announced == 0)
                {
                    throw new PerfException($"discovery is not available in this build: {count} fake nodes in {tree.DeviceRoot} produced no camera_status_update within {timeout.TotalSeconds:0} s (is the V4L2 plugin's fake device mechanism enabled?)");
                }

                var listed = await watcher.WaitForConnectedCountAsync(baseline + count, timeout, ct).ConfigureAwait(false);
                var all = Stopwatch.GetElapsedTime(start);
                m.Record("discovery:notified", (long)notified.TotalMicroseconds, announced == count ? "ok" : "incomplete", announced == count);
                m.Record("discovery:listed", (long)all.TotalMicroseconds, listed ? "ok" : "incomplete", listed);
                return new Dictionary<string, double>
                {
                    ["cameras"] = count,
                    ["announced"] = announced,
                    ["all_notified_ms"] = Math.Round(notified.TotalMilliseconds, 2),
                    ["all_listed_ms"] = Math.Round(all.TotalMilliseconds, 2),
                };
            }, cancellationToken).ConfigureAwait(false);
            phases.Add(phase);
        }

        tree.UnplugAll();
        notes.Add("time from writing the fixtures to the last camera_status_update, and to get_camera_list listing all of them as CONNECTED");
        return new ScenarioOutcome(phases, new Dictionary<string, string> { ["cameras"] = string.Join(',', counts) }, notes);
    }
}

/// <summary>hotplug: plug and unplug one fake camera N times; node created/removed → camera_status_update latency.</summary>
internal sealed class HotplugScenario : IScenario
{
    private static readonly bool[] PlugThenUnplug = [true, false];

    public string Name => "hotplug";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var plugs = context.Pick(context.Settings.Plugs, 50, 3);
        var timeout = TimeSpan.FromSeconds(5);
        if (context.Options.Target == TargetKind.Echo)
        {
            FakeDeviceTree.Open(new TargetInfo(TargetKind.Echo, new Uri("ws://127.0.0.1/"), null, null, null, null), context.Options.FakeDeviceFixture, "hotplug");
        }

        await using var target = await context.OpenTargetAsync(null, FakeDeviceTree.ServiceArguments, cancellationToken).ConfigureAwait(false);
        var tree = FakeDeviceTree.Open(target.Info, context.Options.FakeDeviceFixture, "hotplug");
        await using var pool = await context.OpenSessionsAsync(target.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var watcher = new CameraWatcher(pool.Connections[0]);
        tree.UnplugAll();
        var phase = await context.RunPhaseAsync("hotplug", target.Info, async (m, ct) =>
        {
            for (var i = 0; i < plugs; i++)
            {
                foreach (var plug in PlugThenUnplug)
                {
                    watcher.Reset();
                    var start = Stopwatch.GetTimestamp();
                    if (plug)
                    {
                        tree.Plug(0);
                    }
                    else
                    {
                        tree.Unplug(0);
                    }

                    var arrived = await watcher.WaitForAnyAsync(plug ? "CONNECTED" : "DISCONNECTED", timeout, ct).ConfigureAwait(false);
                    if (arrived is null && i == 0 && plug)
                    {
                        throw new PerfException($"hotplug is not available in this build: a fake node in {tree.DeviceRoot} produced no camera_status_update within {timeout.TotalSeconds:0} s");
                    }

                    var micros = arrived is { } at ? (long)Stopwatch.GetElapsedTime(start, at).TotalMicroseconds : (long)timeout.TotalMicroseconds;
                    m.Record(plug ? "hotplug:plug" : "hotplug:unplug", micros, arrived is null ? "missing" : "ok", arrived is not null);
                    await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, ct).ConfigureAwait(false);
                }
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
        tree.UnplugAll();
        return new ScenarioOutcome([phase], new Dictionary<string, string> { ["plugs"] = Inv(plugs) }, ["latency from the file operation to the camera_status_update with the new status"]);
    }
}

/// <summary>Watches camera_status_update on one session and polls get_camera_list.</summary>
internal sealed class CameraWatcher
{
    private static readonly RpcMethod CameraList = RpcMethod.Create("get_camera_list");
    private readonly RpcConnection _connection;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _connected = new(StringComparer.Ordinal);
    private readonly List<(string Status, long At)> _updates = [];

    public CameraWatcher(RpcConnection connection)
    {
        _connection = connection;
        connection.OnNotification = (method, message, at) =>
        {
            if (!method.SequenceEqual("camera_status_update"u8))
            {
                return;
            }

            using var document = JsonDocument.Parse(message.ToArray());
            if (!document.RootElement.TryGetProperty("params", out var p))
            {
                return;
            }

            var device = p.TryGetProperty("device", out var d) ? d.GetString() ?? string.Empty : string.Empty;
            var status = p.TryGetProperty("status", out var s) ? s.GetString() ?? string.Empty : string.Empty;
            lock (_gate)
            {
                _updates.Add((status, at));
                if (status == "CONNECTED")
                {
                    _connected.Add(device);
                }
            }
        };
    }

    public void Reset()
    {
        lock (_gate)
        {
            _updates.Clear();
            _connected.Clear();
        }
    }

    /// <summary>Waits until <paramref name="count"/> distinct cameras were announced CONNECTED; returns how many were.</summary>
    public async Task<int> WaitForConnectedNotificationsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            int seen;
            lock (_gate)
            {
                seen = _connected.Count;
            }

            if (seen >= count || Stopwatch.GetElapsedTime(start) > timeout)
            {
                return seen;
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the first update with <paramref name="status"/>; returns its receive timestamp or null.</summary>
    public async Task<long?> WaitForAnyAsync(string status, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < timeout)
        {
            lock (_gate)
            {
                foreach (var update in _updates)
                {
                    if (update.Status == status)
                    {
                        return update.At;
                    }
                }
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Polls get_camera_list until it reports <paramref name="count"/> connected cameras (the <c>connected</c> field).</summary>
    public async Task<bool> WaitForConnectedCountAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < timeout)
        {
            if (await ConnectedCountAsync(cancellationToken).ConfigureAwait(false) == count)
            {
                return true;
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>get_camera_list's <c>connected</c> (-1 when the answer has none).</summary>
    public async Task<int> ConnectedCountAsync(CancellationToken cancellationToken)
    {
        var outcome = await _connection.CallAsync(CameraList, capture: true, cancellationToken).ConfigureAwait(false);
        if (outcome.IsOk)
        {
            using var document = outcome.ParseMessage()!;
            if (document.RootElement.TryGetProperty("result", out var result)
                && result.ValueKind == JsonValueKind.Object
                && result.TryGetProperty("connected", out var connected)
                && connected.TryGetInt32(out var n))
            {
                return n;
            }
        }

        return -1;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string[]>))]
internal sealed partial class FanoutJson : System.Text.Json.Serialization.JsonSerializerContext;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Measurement;
using CameraService.Perf.Results;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Rtsp;

/// <summary>
/// rtsp (issue 19): network cameras from real GStreamer RTSP servers on 127.0.0.1. (a) <c>add_external_stream</c> →
/// the camera's CONNECTED <c>camera_status_update</c>, one stream at a time, p50/p95; (b) all the added cameras held
/// for a while: the service's own CPU (% of one core, /proc/&lt;pid&gt;/stat) and, apart, the CPU of its children
/// (ffmpeg, ffprobe), the MediaMTX emulator and the RTSP server. The load average is printed beside each figure.
/// </summary>
internal sealed class RtspScenario : IScenario
{
    private static readonly RpcMethod CameraList = RpcMethod.Create("get_camera_list");

    public string Name => "rtsp";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Options.Target == TargetKind.Echo)
        {
            throw new PerfException("rtsp needs the service: --start-service (or --url with the rtsp plugin active)");
        }

        var adds = context.Pick(context.Settings.Iterations, 20, 3);
        var held = context.Settings.CameraCounts is { } c
            ? int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new PerfException($"--cameras must be one positive number for rtsp, got '{c}'")
            : context.Smoke ? 2 : 20;
        var holdSeconds = context.Pick(context.Settings.DurationSeconds, 60, 3);
        var streams = Math.Max(adds, held);
        var backend = context.Options.Service.ExtraArgs.Any(a => a.Contains("StreamBackend=ffmpeg", StringComparison.OrdinalIgnoreCase)) ? "ffmpeg" : "mediamtx";
        var notes = new List<string>();

        await using var servers = await RtspServers.StartAsync(streams, cancellationToken).ConfigureAwait(false);
        await context.Out.WriteLineAsync($"GStreamer RTSP server (pid {servers.Pid}) serving {streams} H.264 streams on rtsp://127.0.0.1:{servers.Port}/s0…s{streams - 1}").ConfigureAwait(false);
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var connection = pool.Connections[0];
        var connectedAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        connection.OnNotification = (method, message, at) =>
        {
            if (!method.SequenceEqual("camera_status_update"u8))
            {
                return;
            }

            using var document = JsonDocument.Parse(message.ToArray());
            if (document.RootElement.TryGetProperty("params", out var p) &&
                p.TryGetProperty("status", out var status) && status.GetString() == "CONNECTED" &&
                p.TryGetProperty("name", out var name) && name.GetString() is { } cameraName)
            {
                connectedAt.TryAdd(cameraName, at);
            }
        };

        var prefix = "perf-rtsp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-";
        var added = new List<string>();
        var devices = new List<string>();
        var connectedMs = new List<double>();
        var timeout = TimeSpan.FromSeconds(15);
        try
        {
            // (0) Idle reference: the same service before any network camera (its other cameras, e.g. the test pattern's).
            var idleSeconds = context.Smoke ? 1 : Math.Min(15, holdSeconds);
            var idlePhase = await context.RunPhaseAsync($"idle, no network camera {Inv(idleSeconds)} s", target.Info, async (m, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(idleSeconds), TimeProvider.System, ct).ConfigureAwait(false);
                await CountConnectedAsync(connection, prefix, m, ct).ConfigureAwait(false);
                return null;
            }, cancellationToken).ConfigureAwait(false);
            var idleLoad = ResultWriter.LoadAverage();
            await context.Out.WriteLineAsync(FormattableString.Invariant(
                $"idle: service CPU {(idlePhase.Server?.CpuPercentAvg ?? double.NaN):0.0} % of one core (load average {idleLoad})")).ConfigureAwait(false);
            var addPhase = await context.RunPhaseAsync($"add → CONNECTED ({adds} streams, {backend})", target.Info, async (m, ct) =>
            {
                for (var i = 0; i < streams; i++)
                {
                    var name = prefix + i.ToString(CultureInfo.InvariantCulture);
                    var request = RpcMethod.Create("add_external_stream", JsonSerializer.Serialize(
                        new Dictionary<string, string> { ["stream_url"] = servers.Url(i), ["stream_name"] = name },
                        RtspJson.Default.DictionaryStringString));
                    var sent = Stopwatch.GetTimestamp();
                    var outcome = await connection.CallAsync(request, capture: true, ct).ConfigureAwait(false);
                    var measured = i < adds;
                    if (measured)
                    {
                        m.Record("add_external_stream", sent, outcome);
                    }

                    if (!outcome.IsOk)
                    {
                        throw new PerfException($"add_external_stream {servers.Url(i)} failed ({outcome.Label}); is the rtsp plugin active in the service? (docs/rtsp.md)");
                    }

                    added.Add(servers.Url(i));
                    using (var answer = outcome.ParseMessage())
                    {
                        if (answer?.RootElement.GetProperty("result").TryGetProperty("device", out var device) == true && device.GetString() is { } id)
                        {
                            devices.Add(id);
                        }
                    }
                    long at = 0;
                    while (!connectedAt.TryGetValue(name, out at) && Stopwatch.GetElapsedTime(sent) < timeout)
                    {
                        await Task.Delay(1, ct).ConfigureAwait(false);
                    }

                    var ok = at != 0;
                    var micros = ok ? (long)Stopwatch.GetElapsedTime(sent, at).TotalMicroseconds : (long)timeout.TotalMicroseconds;
                    if (measured)
                    {
                        m.Record("add→CONNECTED", micros, ok ? "ok" : "no CONNECTED notification", ok);
                        if (ok)
                        {
                            connectedMs.Add(micros / 1000.0);
                        }
                    }
                }

                return Percentiles(connectedMs);
            }, cancellationToken).ConfigureAwait(false);
            var addLoad = ResultWriter.LoadAverage();
            await context.Out.WriteLineAsync(FormattableString.Invariant(
                $"add → CONNECTED: p50 {Value(addPhase, "connected_p50_ms")} ms, p95 {Value(addPhase, "connected_p95_ms")} ms over {connectedMs.Count} adds (load average {addLoad})")).ConfigureAwait(false);

            // (b) Hold: every added camera stays; only the service's own keep-alive and media work runs. It starts after
            // a settle time, so the backend publications and JIT of the adds are not counted as the steady state.
            var settle = context.Smoke ? 0.5 : 10;
            await context.Out.WriteLineAsync($"settling {Inv(settle)} s before the hold …").ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(settle), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            var emulators = target.Info.Kind == TargetKind.Service ? ProcessTree.ChildrenMatching(Environment.ProcessId, "MediaMtxEmulator") : [];
            var servicePid = target.Info.ServerPid;
            // Waits `seconds` while counting this run's connected cameras every 5 s; CPU of the service, its children
            // (ffmpeg, ffprobe), the emulator and the RTSP server over exactly that window (ticks from /proc).
            async Task<IReadOnlyDictionary<string, double>?> MeasureAsync(Measurements m, double seconds, CancellationToken ct)
            {
                var clock = Stopwatch.StartNew();
                var own = servicePid is { } sp0 ? ProcessTree.OwnTicks(sp0) ?? 0 : 0;
                var children = servicePid is { } sp ? ProcessTree.DescendantTicks(sp) : default;
                var emulatorTicks = emulators.Sum(e => ProcessTree.OwnTicks(e) ?? 0);
                var serverTicks = ProcessTree.OwnTicks(servers.Pid) ?? 0;
                var maxChildren = children.Alive;
                var connectedMin = int.MaxValue;
                while (clock.Elapsed.TotalSeconds < seconds)
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, seconds - clock.Elapsed.TotalSeconds))), TimeProvider.System, ct).ConfigureAwait(false);
                    connectedMin = Math.Min(connectedMin, await CountConnectedAsync(connection, prefix, m, ct).ConfigureAwait(false));
                    if (servicePid is { } p)
                    {
                        maxChildren = Math.Max(maxChildren, ProcessTree.DescendantTicks(p).Alive);
                    }
                }

                var elapsed = clock.Elapsed.TotalSeconds;
                var metrics = new Dictionary<string, double>
                {
                    ["cameras"] = streams,
                    ["cameras_connected_min"] = connectedMin == int.MaxValue ? 0 : connectedMin,
                    ["rtsp_server_cpu_percent"] = Percent((ProcessTree.OwnTicks(servers.Pid) ?? serverTicks) - serverTicks, elapsed),
                };
                if (servicePid is { } pid)
                {
                    metrics["service_cpu_percent"] = Percent((ProcessTree.OwnTicks(pid) ?? own) - own, elapsed);
                    metrics["children_cpu_percent"] = Percent(ProcessTree.DescendantTicks(pid).Ticks - children.Ticks, elapsed);
                    metrics["children_max"] = maxChildren;
                }

                if (emulators.Count > 0)
                {
                    metrics["mediamtx_emulator_cpu_percent"] = Percent(emulators.Sum(e => ProcessTree.OwnTicks(e) ?? 0) - emulatorTicks, elapsed);
                }

                return metrics;
            }

            var holdPhase = await context.RunPhaseAsync(
                $"hold {streams} cameras {Inv(holdSeconds)} s ({backend})", target.Info, (m, ct) => MeasureAsync(m, holdSeconds, ct), cancellationToken, includeSamples: true).ConfigureAwait(false);
            var holdLoad = ResultWriter.LoadAverage();
            await context.Out.WriteLineAsync(FormattableString.Invariant(
                $"hold: service CPU {Value(holdPhase, "service_cpu_percent")} % of one core (per-second samples up to {(holdPhase.Server?.CpuPercentMax ?? double.NaN):0.0} %), children (ffmpeg/ffprobe) {Value(holdPhase, "children_cpu_percent")} %, MediaMTX emulator {Value(holdPhase, "mediamtx_emulator_cpu_percent")} %, RTSP server {Value(holdPhase, "rtsp_server_cpu_percent")} %; {Value(holdPhase, "cameras_connected_min")}/{streams} connected at the lowest (load average {holdLoad})")).ConfigureAwait(false);

            // (c) The same cameras recording: now the backend reads every stream (ffmpeg children, or MediaMTX), the
            // service only supervises. start/stop are outside the measured window (their latencies are rows).
            var recordSeconds = context.Smoke ? 1 : Math.Min(30, holdSeconds);
            var recordPhase = await context.RunPhaseAsync($"record {devices.Count} cameras {Inv(recordSeconds)} s ({backend})", target.Info, async (m, ct) =>
            {
                foreach (var device in devices)
                {
                    var sent = Stopwatch.GetTimestamp();
                    m.Record("start_recording", sent, await connection.CallAsync(RpcMethod.Create("start_recording", RpcMethod.StringParams("device", device)), capture: false, ct).ConfigureAwait(false));
                }

                // --warmup: the recordings run unmeasured first (the recording code's JIT tier-up, the thread pool's
                // growth), so the measured window is the steady state.
                if (!context.Smoke && context.Settings.WarmupSeconds is > 0 and var warmup)
                {
                    await Task.Delay(TimeSpan.FromSeconds(warmup), TimeProvider.System, ct).ConfigureAwait(false);
                }

                var metrics = await MeasureAsync(m, recordSeconds, ct).ConfigureAwait(false);
                foreach (var device in devices)
                {
                    var sent = Stopwatch.GetTimestamp();
                    m.Record("stop_recording", sent, await connection.CallAsync(RpcMethod.Create("stop_recording", RpcMethod.StringParams("device", device)), capture: false, ct).ConfigureAwait(false));
                }

                return metrics;
            }, cancellationToken).ConfigureAwait(false);
            var recordLoad = ResultWriter.LoadAverage();
            await context.Out.WriteLineAsync(FormattableString.Invariant(
                $"recording: service CPU {Value(recordPhase, "service_cpu_percent")} % of one core, children (ffmpeg) {Value(recordPhase, "children_cpu_percent")} % (at most {Value(recordPhase, "children_max")} alive), MediaMTX emulator {Value(recordPhase, "mediamtx_emulator_cpu_percent")} %, RTSP server {Value(recordPhase, "rtsp_server_cpu_percent")} % (load average {recordLoad})")).ConfigureAwait(false);

            notes.Add($"backend: {backend}; {streams} H.264 320x240 15 fps streams from one GStreamer RTSP server process on 127.0.0.1");
            notes.Add($"load average after the idle reference: {idleLoad}; after the adds: {addLoad}; after the hold: {holdLoad}; after the recording: {recordLoad}");
            notes.Add("add→CONNECTED: from sending add_external_stream to the camera's camera_status_update CONNECTED (one stream at a time)");
            notes.Add("hold: the service's CPU is the phase's server row; children_cpu_percent = its descendants (ffmpeg, ffprobe), mediamtx_emulator_cpu_percent = the emulator standing in for MediaMTX (it does not pull media unless started with --media), rtsp_server_cpu_percent = the GStreamer server (encodes only what is read) — none of them counted in the service's figure (service_cpu_percent: the service over the same window as those)");
            notes.Add("record: every camera recording (start_recording on each, then the measured window, then stop_recording): the backend reads the media, so ffmpeg (ffmpeg backend) or MediaMTX (here the emulator, which does not pull media without --media) does the media work");
            if (backend == "mediamtx" && emulators.Count == 0 && target.Info.Kind == TargetKind.Service)
            {
                notes.Add("no MediaMTX emulator was running: the service had no reachable stream backend");
            }

            return new ScenarioOutcome(
                [idlePhase, addPhase, holdPhase, recordPhase],
                new Dictionary<string, string>
                {
                    ["adds"] = Inv(adds),
                    ["cameras_held"] = Inv(streams),
                    ["hold_seconds"] = Inv(holdSeconds),
                    ["backend"] = backend,
                },
                notes);
        }
        finally
        {
            // Leave a given service as it was (a started one is deleted whole anyway).
            foreach (var url in added)
            {
                await connection.CallAsync(RpcMethod.Create("remove_external_stream", RpcMethod.StringParams("stream_url", url)), capture: false, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How many of this run's cameras get_camera_list shows CONNECTED.</summary>
    private static async Task<int> CountConnectedAsync(RpcConnection connection, string prefix, Measurements sink, CancellationToken cancellationToken)
    {
        var sent = Stopwatch.GetTimestamp();
        var outcome = await connection.CallAsync(CameraList, capture: true, cancellationToken).ConfigureAwait(false);
        sink.Record("get_camera_list", sent, outcome);
        if (!outcome.IsOk)
        {
            return 0;
        }

        using var document = outcome.ParseMessage()!;
        return document.RootElement.TryGetProperty("result", out var result) && result.TryGetProperty("cameras", out var cameras)
            ? cameras.EnumerateArray().Count(c =>
                c.TryGetProperty("name", out var name) && name.GetString()?.StartsWith(prefix, StringComparison.Ordinal) == true &&
                c.TryGetProperty("status", out var status) && status.GetString() == "CONNECTED")
            : 0;
    }

    private static string Value(PhaseResult phase, string metric) =>
        phase.Metrics.TryGetValue(metric, out var v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static double Percent(long ticks, double seconds) => seconds > 0 ? Math.Round(ticks / 100.0 / seconds * 100.0, 2) : 0;

    private static Dictionary<string, double> Percentiles(List<double> values)
    {
        var sorted = values.Order().ToList();
        double At(double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return new Dictionary<string, double>
        {
            ["adds"] = sorted.Count,
            ["connected_p50_ms"] = Math.Round(At(0.50), 1),
            ["connected_p95_ms"] = Math.Round(At(0.95), 1),
            ["connected_max_ms"] = Math.Round(sorted.Count == 0 ? 0 : sorted[^1], 1),
        };
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class RtspJson : System.Text.Json.Serialization.JsonSerializerContext;

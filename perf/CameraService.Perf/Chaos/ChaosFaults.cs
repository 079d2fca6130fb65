using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CameraService.Perf.Chaos;

/// <summary>What a fault gets to work with.</summary>
internal sealed record FaultContext(ChaosRig Rig, ChaosWorkload Workload, ChaosLog Log, ChaosSettings Settings, Random Random, FaultRecord Record);

/// <summary>
/// One kind of fault: inject, (hold,) heal, then the run measures the recovery time — until <see cref="RecoveredAsync"/>
/// holds. A fault that should be visible while it lasts names the health observation that shows it.
/// </summary>
internal interface IChaosFault
{
    string Name { get; }

    /// <summary>Why this kind cannot run in this rig (null when it can).</summary>
    string? Unavailable(ChaosRig rig);

    /// <summary>Whether it lasts (held for the drawn hold time before <see cref="HealAsync"/>), or is instantaneous.</summary>
    bool Lasting { get; }

    /// <summary>Injects; returns what was done (for the report), or null when there was nothing to inject into now.</summary>
    Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken);

    Task HealAsync(FaultContext context, CancellationToken cancellationToken);

    /// <summary>Whether health showed the fault in this sample; null = this kind is not expected to show.</summary>
    bool? Shows(FaultContext context, HealthSample sample);

    /// <summary>Whether the service is back (default: the workload's recovery probe).</summary>
    Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken);
}

/// <summary>Defaults: instantaneous, not expected to show in health, recovered when the workload's probe passes.</summary>
internal abstract class ChaosFault : IChaosFault
{
    public abstract string Name { get; }

    public virtual bool Lasting => false;

    public virtual string? Unavailable(ChaosRig rig) => null;

    public abstract Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken);

    public virtual Task HealAsync(FaultContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual bool? Shows(FaultContext context, HealthSample sample) => null;

    public virtual Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Workload.RecoveredAsync(cancellationToken);
    }

    /// <summary>Every fault kind.</summary>
    public static IReadOnlyList<IChaosFault> All { get; } =
    [
        new KillFfmpegFault(), new KillServiceFault(), new KillEmulatorFault(), new RestartEmulatorFault(),
        new EmulatorApiFault("emulator-slow", delayMs: 2000, status500: false), new EmulatorApiFault("emulator-500", delayMs: 0, status500: true),
        new UnplugCameraFault(), new DiskFullFault(), new ClockStepFault(), new ConnectionStormFault(), new SlowConsumerFault(),
        new MalformedFramesFault(),
    ];
}

/// <summary>kill -9 of one ffmpeg child of the service (found through /proc's ppid chain).</summary>
internal sealed partial class KillFfmpegFault : ChaosFault
{
    public override string Name => "kill-ffmpeg";

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The service's own ffmpeg only: the emulator's are its recorders, which real MediaMTX runs in-process (a
        // writer crash there is the kill-emulator fault).
        var children = context.Rig.ServiceFfmpeg();
        if (children.Count == 0)
        {
            return Task.FromResult<string?>(null);
        }

        var victim = children[context.Random.Next(children.Count)];
        var commandLine = ProcTree.CommandLine(victim.Pid);
        var camera = ChaosWorkload.CameraId().Matches(commandLine).Select(m => m.Value).FirstOrDefault(c => context.Workload.PatternCameras.Contains(c));
        if (!ProcTree.KillHard(victim))
        {
            return Task.FromResult<string?>(null);
        }

        context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, camera));
        return Task.FromResult<string?>($"pid {victim.Pid} (parent {victim.ParentPid}) {(camera is null ? string.Empty : camera + " ")}{Shorten(commandLine)}");
    }

    /// <summary>A command line for the report: credentials in URLs masked (<c>rtsp://user:***@</c>), at most 160 characters.</summary>
    internal static string Shorten(string text)
    {
        var masked = Credentials().Replace(text, "://$1:***@");
        return masked.Length <= 160 ? masked : masked[..160] + "…";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"://([^:/@\s]+):[^@/\s]+@")]
    private static partial System.Text.RegularExpressions.Regex Credentials();
}

/// <summary>kill -9 of the service; the supervisor restarts it. Afterwards its ffmpeg children must be gone (no orphans).</summary>
internal sealed class KillServiceFault : ChaosFault
{
    private IReadOnlyList<ProcInfo> _children = [];

    public override string Name => "kill-service";

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pid = context.Rig.ServicePid;
        if (pid is null)
        {
            return Task.FromResult<string?>(null);
        }

        _children = context.Rig.KillService();
        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null));
        return Task.FromResult<string?>($"pid {pid} with {_children.Count} ffmpeg child(ren)");
    }

    public override async Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!await base.RecoveredAsync(context, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // The killed service's ffmpeg children must not outlive it (a second to notice is allowed).
        var until = context.Log.Now + 3;
        while (_children.Any(ProcTree.IsAlive) && context.Log.Now < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        var orphans = _children.Where(ProcTree.IsAlive).ToList();
        context.Log.Check("no-orphan-ffmpeg", orphans.Count == 0, () =>
            $"after kill -9 of the service, {orphans.Count} of its ffmpeg children still run: {string.Join("; ", orphans.Select(o => o.Pid + " " + KillFfmpegFault.Shorten(ProcTree.CommandLine(o.Pid))))}");
        foreach (var orphan in orphans)
        {
            ProcTree.KillHard(orphan);
        }

        return true;
    }
}

/// <summary>kill -9 of the MediaMTX emulator (mediamtx backend); the supervisor restarts it, empty.</summary>
internal class KillEmulatorFault : ChaosFault
{
    public override string Name => "kill-emulator";

    protected virtual bool Hard => true;

    public override string? Unavailable(ChaosRig rig) => rig is { HasEmulator: true } ? null : "the ffmpeg backend runs without MediaMTX";

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pid = context.Rig.EmulatorPid;
        if (pid is null)
        {
            return null;
        }

        context.Record.Detail = $"emulator pid {pid}";
        await context.Rig.StopEmulatorAsync(Hard).ConfigureAwait(false);
        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null));
        return $"emulator pid {pid} {(Hard ? "killed (SIGKILL)" : "stopped (SIGTERM)")}; restarted fresh by the supervisor";
    }

    public override async Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!await base.RecoveredAsync(context, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Recovered when the fresh emulator runs and the service has put its paths back into it (a new MediaMTX has none).
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(new Uri(context.Rig.EmulatorApi, "v3/config/paths/list"), cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(text);
            var names = json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString() ?? string.Empty).ToList();
            return context.Workload.PatternCameras.All(c => names.Any(n => n.Contains(c, StringComparison.Ordinal)));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>The emulator stopped cleanly and started again with no paths (a MediaMTX restart loses every API-made path).</summary>
internal sealed class RestartEmulatorFault : KillEmulatorFault
{
    public override string Name => "restart-emulator";

    protected override bool Hard => false;
}

/// <summary>The emulator's Control API answering slowly or with 500s (tests/MediaMtxEmulator/Faults.cs), for the hold time.</summary>
internal sealed class EmulatorApiFault(string name, int delayMs, bool status500) : ChaosFault
{
    public override string Name => name;

    public override bool Lasting => true;

    public override string? Unavailable(ChaosRig rig) => rig is { HasEmulator: true } ? null : "the ffmpeg backend runs without MediaMTX";

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await SetAsync(context, JsonSerializer.Serialize(new { delayMs, status500 }), cancellationToken).ConfigureAwait(false)
            ? status500 ? "Control API answers 500" : $"Control API delayed {delayMs} ms"
            : null;
    }

    public override async Task HealAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await SetAsync(context, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>500s must show as a stream backend that is not RUNNING (a slow MediaMTX need not).</summary>
    public override bool? Shows(FaultContext context, HealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return status500 ? sample.Components.TryGetValue("stream_backend", out var state) && state != "RUNNING" : null;
    }

    private static async Task<bool> SetAsync(FaultContext context, string? body, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var uri = new Uri(context.Rig.EmulatorApi, "_emulator/faults");
            using var response = body is null
                ? await http.DeleteAsync(uri, cancellationToken).ConfigureAwait(false)
                : await http.PostAsync(uri, new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}

/// <summary>A fake V4L2 camera unplugged mid-recording (a recording is started on it first) and plugged back after the hold.</summary>
internal sealed class UnplugCameraFault : ChaosFault
{
    private int _index = -1;
    private string? _device;
    private string? _session;

    public override string Name => "unplug-camera";

    public override bool Lasting => true;

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fakes = context.Workload.FakeCameras;
        if (fakes.Count == 0)
        {
            return null;
        }

        (_index, _device) = fakes.ElementAt(context.Random.Next(fakes.Count)) is var pair ? (pair.Key, pair.Value) : default;
        var start = await context.Workload.Admin.CallAsync("start_recording", new { device = _device }, cancellationToken).ConfigureAwait(false);
        _session = start.Result?["session_id"]?.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        context.Workload.Fakes.Unplug(_index);
        return $"{_device} ({FakeDeviceTreeName(_index)}) unplugged; start_recording before it → {start.Label}";
    }

    public override async Task HealAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Workload.Fakes.Plug(_index);
        if (_session is not null)
        {
            // The session was reported: it must end with a notification or still be stoppable after the replug.
            var stop = await context.Workload.Admin.CallAsync("stop_recording", new { device = _device }, cancellationToken).ConfigureAwait(false);
            context.Log.Note($"{_device}: stop_recording after the replug → {stop.Label}");
        }
    }

    /// <summary>The camera shows DISCONNECTED while unplugged.</summary>
    public override bool? Shows(FaultContext context, HealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return _device is not null && sample.Cameras.TryGetValue(_device, out var status) && status != "CONNECTED";
    }

    private static string FakeDeviceTreeName(int index) => Scenarios.FakeDeviceTree.NodeName(index);
}

/// <summary>The tmpfs storage root filled past the block threshold (90 %) for the hold, then freed (root only).</summary>
internal sealed class DiskFullFault : ChaosFault
{
    private string? _fill;

    public override string Name => "disk-full";

    public override bool Lasting => true;

    public override string? Unavailable(ChaosRig rig) => rig.DiskFaultUnavailable;

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var drive = new DriveInfo(context.Rig.StorageRoot);
        var total = drive.TotalSize;
        var used = total - drive.AvailableFreeSpace;
        var target = (long)(total * 0.93);
        if (target <= used)
        {
            return Task.FromResult<string?>(null);
        }

        _fill = Path.Combine(context.Rig.StorageRoot, "chaos-fill.bin");
        using (var stream = new FileStream(_fill, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, PreallocationSize = target - used }))
        {
            stream.SetLength(target - used);
        }

        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null));
        return Task.FromResult<string?>($"filled {(target - used) / (1024 * 1024)} MiB of a {total / (1024 * 1024)} MiB tmpfs to 93 %");
    }

    public override Task HealAsync(FaultContext context, CancellationToken cancellationToken)
    {
        if (_fill is not null)
        {
            File.Delete(_fill);
        }

        return Task.CompletedTask;
    }

    /// <summary>The storage component shows it (not RUNNING) while the disk is past the block threshold.</summary>
    public override bool? Shows(FaultContext context, HealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return sample.Components.TryGetValue("storage", out var state) && state != "RUNNING";
    }
}

/// <summary>
/// The service's wall clock stepped forward through libfaketime's offset file: a small NTP-like step (+1 s) or a jump
/// (+60 s). Steps only go forward: libfaketime moves CLOCK_MONOTONIC with the wall clock for .NET, and a backward
/// monotonic step is something no real system does.
/// </summary>
internal sealed class ClockStepFault : ChaosFault
{
    private long _offset;

    public override string Name => "clock-step";

    public override string? Unavailable(ChaosRig rig) => rig.ClockFaultUnavailable;

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = context.Random.NextDouble() < 0.7 ? 1 : 60;
        _offset += step;

        // The service's monotonic clock jumps with it, so a timed recording may end up to the step early: allowed loss.
        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null) { OutageSeconds = step });
        context.Rig.SetClockOffset("+" + _offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Task.FromResult<string?>($"wall clock +{step} s (offset now +{_offset} s)");
    }
}

/// <summary>Thousands of WebSocket connects at once (never authenticated), all dropped after the hold.</summary>
internal sealed class ConnectionStormFault : ChaosFault
{
    public override string Name => "connection-storm";

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var sockets = new System.Collections.Concurrent.ConcurrentBag<ClientWebSocket>();
        var failures = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, context.Settings.StormConnections), new ParallelOptions { MaxDegreeOfParallelism = 100, CancellationToken = cancellationToken }, async (_, ct) =>
        {
            var socket = new ClientWebSocket();
            socket.Options.SetBuffer(1024, 1024);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(context.Rig.WebSocketUri, timeout.Token).ConfigureAwait(false);
                sockets.Add(socket);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                Interlocked.Increment(ref failures);
                socket.Dispose();
            }
        }).ConfigureAwait(false);
        var opened = sockets.Count;
        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }

        return $"{opened} connections opened and dropped, {failures} refused or failed";
    }
}

/// <summary>A subscriber to every topic that sends a burst of requests and never reads: its queue must not hurt anyone else.</summary>
internal sealed class SlowConsumerFault : ChaosFault, IDisposable
{
    private ClientWebSocket? _socket;

    public override string Name => "slow-consumer";

    public override bool Lasting => true;

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        _socket = new ClientWebSocket();
        _socket.Options.SetBuffer(1024, 1024);
        try
        {
            await _socket.ConnectAsync(context.Rig.WebSocketUri, cancellationToken).ConfigureAwait(false);
            await SendAsync(_socket, JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "authenticate", @params = new { auth_token = context.Rig.Token }, id = 1 }), cancellationToken).ConfigureAwait(false);
            await SendAsync(_socket, JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "subscribe_events", @params = new { topics = ChaosWorkload.Topics.Split(',') }, id = 2 }), cancellationToken).ConfigureAwait(false);
            var sent = 0;
            using var burst = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            burst.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                for (var i = 0; i < 2000; i++)
                {
                    await SendAsync(_socket, "{\"jsonrpc\":\"2.0\",\"method\":\"get_camera_list\",\"id\":" + (i + 3).ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", burst.Token).ConfigureAwait(false);
                    sent++;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // Our send blocks once the server stops reading us (or the server closed us): that is the fault working.
            }

            return $"subscribed to every topic, sent {sent} get_camera_list without reading any answer";
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            return $"could not connect: {ex.Message}";
        }
    }

    public override Task HealAsync(FaultContext context, CancellationToken cancellationToken)
    {
        _socket?.Abort();
        _socket?.Dispose();
        _socket = null;
        return Task.CompletedTask;
    }

    public void Dispose() => _socket?.Dispose();

    internal static Task SendAsync(ClientWebSocket socket, string text, CancellationToken cancellationToken)
        => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
}

/// <summary>Malformed frames on a fresh connection: each answer must be one of the contract's codes (never -32603).</summary>
internal sealed class MalformedFramesFault : ChaosFault
{
    private static readonly string[] Frames =
    [
        "{not json",
        "[]",
        "{\"jsonrpc\":\"1.0\",\"method\":\"ping\",\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"method\":42,\"id\":2}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"get_camera_status\",\"params\":[1],\"id\":3}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"get_camera_status\",\"params\":{\"device\":\"../../etc\"},\"id\":4}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"delete_recording\",\"params\":{\"filename\":\"../x\"},\"id\":5}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"start_recording\",\"params\":{\"device\":\"camera0\",\"duration\":-5},\"id\":6}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"no_such_method\",\"id\":7}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":{\"a\":1}}",
        "[{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":8},{\"bad\":true}]",
    ];

    public override string Name => "malformed-frames";

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(context.Rig.WebSocketUri, cancellationToken).ConfigureAwait(false);
            await SlowConsumerFault.SendAsync(socket, JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "authenticate", @params = new { auth_token = context.Rig.Token }, id = 100 }), cancellationToken).ConfigureAwait(false);
            foreach (var frame in Frames)
            {
                await SlowConsumerFault.SendAsync(socket, frame, cancellationToken).ConfigureAwait(false);
            }

            // Invalid UTF-8 in a text frame, then a binary frame.
            await socket.SendAsync(new byte[] { 0x7b, 0xff, 0xfe, 0x7d }, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            return $"could not connect: {ex.Message}";
        }

        var answers = 0;
        var buffer = new byte[64 * 1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                answers++;
                CheckCodes(context.Log, Encoding.UTF8.GetString(buffer, 0, received.Count));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Done reading: the server answered what it answers, or closed the connection (1007 for bad UTF-8 is fine).
        }

        return $"{Frames.Length + 1} malformed frames, {answers} answers, connection {socket.State} ({socket.CloseStatus?.ToString() ?? "no close status"})";
    }

    private static void CheckCodes(ChaosLog log, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            log.Check(ChaosClient.ErrorCodesInvariant, false, () => "malformed-frames: an answer that is not JSON: " + text);
            return;
        }

        using (document)
        {
            var items = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.EnumerateArray().ToList() : [document.RootElement];
            foreach (var item in items)
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code))
                {
                    var value = code.GetInt32();
                    log.Request("(malformed)", "rpc:" + value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    log.Check(ChaosClient.ErrorCodesInvariant, ChaosClient.ContractCodes.Contains(value), () => "malformed-frames: " + text);
                }
                else if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("result", out _))
                {
                    log.Request("(malformed)", "ok");
                }
            }
        }
    }
}

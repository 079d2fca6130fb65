using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CameraService.Perf.Chaos;

// Faults that hit the network and the APIs: MediaMTX's Control API answering slowly or with 500s, connection storms,
// a slow consumer, malformed frames.

/// <summary>The emulator's Control API answering slowly or with 500s (tests/MediaMtxEmulator/Faults.cs), for the hold time.</summary>
internal sealed class EmulatorApiFault(string name, int delayMs, bool status500) : ChaosFault
{
    public override string Name => name;

    public override bool Lasting => true;

    public override string? Unavailable(ChaosRig rig) => rig switch
    {
        { HasEmulator: false } => "the ffmpeg backend runs without MediaMTX",
        { RealMediaMtx: true } => "needs the emulator's fault side channel (/_emulator/faults); a real MediaMTX cannot be told to answer slowly or with 500s (SIGSTOP would freeze its RTSP and recording too: a hang, not a slow API)",
        _ => null,
    };

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

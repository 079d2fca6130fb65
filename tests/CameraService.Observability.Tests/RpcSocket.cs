using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace CameraService.Observability.Tests;

/// <summary>A minimal JSON-RPC client over a WebSocket: answers matched by id, notifications queued.</summary>
internal sealed class RpcSocket : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<JsonElement> _notifications = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private long _nextId;

    /// <summary>Every answer received: the method called and the code (0 = success), in order.</summary>
    public ConcurrentQueue<(string Method, int Code)> Answers { get; } = new();

    private RpcSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public static async Task<RpcSocket> ConnectAsync(Uri uri)
    {
        var socket = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, cts.Token);
        return new RpcSocket(socket);
    }

    /// <summary>Sends a call and returns the whole answer (<c>result</c> or <c>error</c>).</summary>
    public async Task<JsonElement> CallAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var pending = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = pending;
        var message = parameters is null
            ? JsonSerializer.Serialize(new { jsonrpc = "2.0", method, id }, Json)
            : JsonSerializer.Serialize(new { jsonrpc = "2.0", method, @params = parameters, id }, Json);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
        var answer = await pending.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Answers.Enqueue((method, answer.TryGetProperty("error", out var error) ? error.GetProperty("code").GetInt32() : 0));
        return answer;
    }

    /// <summary>The result of a call that must succeed.</summary>
    public async Task<JsonElement> ResultAsync(string method, object? parameters = null)
    {
        var answer = await CallAsync(method, parameters);
        Assert.True(answer.TryGetProperty("result", out var result), $"{method} failed: {answer}");
        return result;
    }

    /// <summary>Waits for a notification of <paramref name="method"/> matching <paramref name="match"/>; fails after the timeout.</summary>
    public async Task<JsonElement> NotificationAsync(string method, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var n = await _notifications.Reader.ReadAsync(cts.Token);
                if (n.GetProperty("method").GetString() == method && match(n.GetProperty("params")))
                {
                    return n.GetProperty("params");
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No {method} notification matched within {timeout}.");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The server went away first.
        }

        await _stop.CancelAsync();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or WebSocketException)
        {
            // The reader ends with the socket.
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                using var doc = JsonDocument.Parse(message.ToArray());
                message.SetLength(0);
                var root = doc.RootElement.Clone();
                if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && _pending.TryRemove(id.GetInt64(), out var pending))
                {
                    pending.TrySetResult(root);
                }
                else if (root.TryGetProperty("method", out _))
                {
                    _notifications.Writer.TryWrite(root);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closed.
        }
    }
}

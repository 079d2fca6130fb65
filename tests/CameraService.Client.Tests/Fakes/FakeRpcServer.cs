using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CameraService.Client.Tests.Fakes;

/// <summary>One JSON-RPC request the fake received, in arrival order.</summary>
/// <param name="Connection">1 for the first WebSocket connection, 2 for the next, ….</param>
/// <param name="Id">The request id (null for client notifications).</param>
/// <param name="Method">The method name.</param>
/// <param name="Params">The params, or an undefined element when absent.</param>
/// <param name="Raw">The request exactly as received.</param>
internal sealed record RecordedRequest(int Connection, JsonElement? Id, string Method, JsonElement Params, string Raw)
{
    public bool HasParams => Params.ValueKind != JsonValueKind.Undefined;

    public bool Has(string name) => Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out _);

    public string? Str(string name) => Has(name) ? Params.GetProperty(name).GetString() : null;

    public JsonElement Get(string name) => Params.GetProperty(name);

    /// <summary>The names of the params, as sent.</summary>
    public IReadOnlyList<string> ParamNames =>
        Params.ValueKind == JsonValueKind.Object ? Params.EnumerateObject().Select(p => p.Name).ToList() : [];
}

/// <summary>What the fake answers to a request.</summary>
internal sealed record FakeReply(string? ResultJson, int ErrorCode, string? ErrorMessage, string? ErrorDataJson, bool Silent)
{
    public static FakeReply Result(string json) => new(json, 0, null, null, false);

    public static FakeReply Error(int code, string message, string? dataJson = null) => new(null, code, message, dataJson, false);

    /// <summary>Never answered (for timeouts and hand-written batch answers).</summary>
    public static FakeReply None { get; } = new(null, 0, null, null, true);

    public string ToJson(JsonElement id)
    {
        var idText = id.GetRawText();
        if (ResultJson is not null)
        {
            return $"{{\"jsonrpc\":\"2.0\",\"id\":{idText},\"result\":{ResultJson}}}";
        }

        var data = ErrorDataJson is null ? string.Empty : $",\"data\":{ErrorDataJson}";
        return $"{{\"jsonrpc\":\"2.0\",\"id\":{idText},\"error\":{{\"code\":{ErrorCode},\"message\":{JsonSerializer.Serialize(ErrorMessage)}{data}}}}}";
    }
}

/// <summary>An HTTP request the fake's file endpoint received.</summary>
internal sealed record FileRequest(string Path, string? Range, string? Authorization, string? QueryToken);

/// <summary>
/// A scriptable JSON-RPC 2.0 WebSocket server on 127.0.0.1 (Kestrel, port 0) standing in for camera-service:
/// canned answers per method, error answers, delays, notifications pushed on demand, dropped connections,
/// refused authentication, and a Range-capable file endpoint. Records every request.
/// </summary>
internal sealed class FakeRpcServer : IAsyncDisposable
{
    public const string GoodToken = "good-token";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<RecordedRequest, Task<FakeReply>>> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<FileRequest> _fileRequests = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _connectionCount;
    private int _refusedUpgrades;

    private FakeRpcServer(WebApplication app, DirectoryInfo files)
    {
        _app = app;
        FilesDirectory = files;
        On("ping", _ => FakeReply.Result("\"pong\""));
        On("authenticate", r => r.Str("auth_token") == AcceptedToken
            ? FakeReply.Result("""{"authenticated":true,"role":"admin","permissions":["view","control","admin"],"expires_at":"2026-11-28T10:00:00Z","session_id":"sess-""" + r.Connection + "\"}")
            : FakeReply.Error(-32001, "Authentication failed or token expired", """{"reason":"invalid_token"}"""));
        On("subscribe_events", r => FakeReply.Result(
            $"{{\"subscribed\":true,\"topics\":{r.Get("topics").GetRawText()},\"filters\":{(r.Has("filters") ? r.Get("filters").GetRawText() : "{\"device\":null}")}}}"));
    }

    /// <summary>The token <c>authenticate</c> accepts; any other is refused with -32001.</summary>
    public string AcceptedToken { get; set; } = GoodToken;

    /// <summary>While false, WebSocket upgrades are refused with 503 (the service "is restarting").</summary>
    public bool AcceptConnections { get; set; } = true;

    public Uri WsUrl { get; private set; } = null!;

    public string HttpBase { get; private set; } = string.Empty;

    public DirectoryInfo FilesDirectory { get; }

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public int OpenConnections => _connections.Count;

    /// <summary>Upgrades refused while <see cref="AcceptConnections"/> was false.</summary>
    public int RefusedUpgrades => Volatile.Read(ref _refusedUpgrades);

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<FileRequest> FileRequests
    {
        get
        {
            lock (_fileRequests)
            {
                return [.. _fileRequests];
            }
        }
    }

    public static async Task<FakeRpcServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeRpcServer(app, Directory.CreateTempSubdirectory("camctl-fake-"));
        app.UseWebSockets();
        app.Map("/ws", server.HandleWebSocketAsync);
        app.MapGet("/files/{kind}/{name}", server.HandleFile);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var port = new Uri(address).Port;
        server.HttpBase = $"http://127.0.0.1:{port}";
        server.WsUrl = new Uri($"ws://127.0.0.1:{port}/ws");
        return server;
    }

    public void On(string method, Func<RecordedRequest, FakeReply> handler) => _handlers[method] = r => Task.FromResult(handler(r));

    public void On(string method, Func<RecordedRequest, Task<FakeReply>> handler) => _handlers[method] = handler;

    public void On(string method, string resultJson) => On(method, _ => FakeReply.Result(resultJson));

    public void OnError(string method, int code, string message, string? dataJson = null) => On(method, _ => FakeReply.Error(code, message, dataJson));

    /// <summary>Writes a file under files/&lt;kind&gt;/ and returns its signed-looking download URL.</summary>
    public string AddFile(string kind, string name, byte[] content)
    {
        var dir = Directory.CreateDirectory(Path.Combine(FilesDirectory.FullName, kind));
        File.WriteAllBytes(Path.Combine(dir.FullName, name), content);
        return $"{HttpBase}/files/{kind}/{name}?token=signed-{name}";
    }

    /// <summary>Sends a notification to every open connection.</summary>
    public Task PushAsync(string method, string paramsJson) =>
        SendRawAsync($"{{\"jsonrpc\":\"2.0\",\"method\":\"{method}\",\"params\":{paramsJson}}}");

    /// <summary>Sends a raw text frame to every open connection.</summary>
    public async Task SendRawAsync(string frame)
    {
        foreach (var c in _connections.Values)
        {
            await c.SendAsync(frame);
        }
    }

    /// <summary>Kills every open connection without a close handshake (a crash or a network cut).</summary>
    public void DropConnections()
    {
        foreach (var c in _connections.Values)
        {
            c.Abort();
        }
    }

    /// <summary>Closes every open connection with a close handshake (a clean service restart); frames sent before arrive first.</summary>
    public async Task CloseConnectionsAsync()
    {
        foreach (var c in _connections.Values)
        {
            await c.CloseAsync();
        }
    }

    /// <summary>Waits until a request matching <paramref name="predicate"/> arrived.</summary>
    public async Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> predicate, TimeSpan? timeout = null)
    {
        RecordedRequest? found = null;
        await Poll.UntilAsync(() => (found = Requests.FirstOrDefault(predicate)) is not null, timeout);
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        DropConnections();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
        FilesDirectory.Delete(recursive: true);
    }

    private IResult HandleFile(string kind, string name, HttpContext context)
    {
        lock (_fileRequests)
        {
            _fileRequests.Add(new FileRequest($"{kind}/{name}", context.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null,
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, context.Request.Query["token"].ToString()));
        }

        var path = Path.Combine(FilesDirectory.FullName, kind, name);
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains("..", StringComparison.Ordinal) || !File.Exists(path))
        {
            return Results.NotFound(new { error = "not found" });
        }

        return Results.File(path, kind == "snapshots" ? "image/jpeg" : "video/mp4", name, enableRangeProcessing: true);
    }

    private async Task HandleWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest || !AcceptConnections)
        {
            if (!AcceptConnections)
            {
                Interlocked.Increment(ref _refusedUpgrades);
            }

            context.Response.StatusCode = AcceptConnections ? 400 : 503;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new Connection(Interlocked.Increment(ref _connectionCount), socket, context);
        _connections[connection.Number] = connection;
        try
        {
            await ReceiveLoopAsync(connection);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ConnectionAbortedException)
        {
            // The peer or the test dropped the connection.
        }
        finally
        {
            _connections.TryRemove(connection.Number, out _);
        }
    }

    private async Task ReceiveLoopAsync(Connection connection)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (!_stopping.IsCancellationRequested)
        {
            var read = await connection.Socket.ReceiveAsync(buffer, _stopping.Token);
            if (read.MessageType == WebSocketMessageType.Close)
            {
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            message.Write(buffer, 0, read.Count);
            if (!read.EndOfMessage)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(message.ToArray());
            message.SetLength(0);
            Process(connection, text);
        }
    }

    private void Process(Connection connection, string text)
    {
        using var doc = JsonDocument.Parse(text);
        if (doc.RootElement.ValueKind == JsonValueKind.Array)
        {
            var requests = doc.RootElement.EnumerateArray().Select(e => Record(connection, e, e.GetRawText())).ToList();
            _ = AnswerBatchAsync(connection, requests);
            return;
        }

        var request = Record(connection, doc.RootElement, text);
        // Answered off the receive loop so a delayed answer does not hold back the others.
        _ = Task.Run(async () =>
        {
            if (await AnswerAsync(request) is { } reply)
            {
                await connection.SendAsync(reply);
            }
        });
    }

    private async Task AnswerBatchAsync(Connection connection, IReadOnlyList<RecordedRequest> requests)
    {
        var replies = new List<string>();
        foreach (var r in requests)
        {
            if (await AnswerAsync(r) is { } reply)
            {
                replies.Add(reply);
            }
        }

        if (replies.Count > 0)
        {
            await connection.SendAsync("[" + string.Join(",", replies) + "]");
        }
    }

    private RecordedRequest Record(Connection connection, JsonElement e, string raw)
    {
        JsonElement? id = e.TryGetProperty("id", out var i) ? i.Clone() : null;
        var method = e.GetProperty("method").GetString()!;
        var parameters = e.TryGetProperty("params", out var p) ? p.Clone() : default;
        var request = new RecordedRequest(connection.Number, id, method, parameters, raw);
        lock (_requests)
        {
            _requests.Add(request);
        }

        return request;
    }

    private async Task<string?> AnswerAsync(RecordedRequest request)
    {
        var reply = _handlers.TryGetValue(request.Method, out var handler)
            ? await handler(request)
            : FakeReply.Error(-32601, "Method not found", $"{{\"method\":{JsonSerializer.Serialize(request.Method)}}}");
        return reply.Silent || request.Id is null ? null : reply.ToJson(request.Id.Value);
    }

    private sealed class Connection(int number, WebSocket socket, HttpContext context)
    {
        private readonly SemaphoreSlim _send = new(1, 1);

        public int Number { get; } = number;

        public WebSocket Socket { get; } = socket;

        public async Task SendAsync(string text)
        {
            await _send.WaitAsync();
            try
            {
                if (Socket.State == WebSocketState.Open)
                {
                    await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
            {
                // Dropped meanwhile: the client sees the loss.
            }
            finally
            {
                _send.Release();
            }
        }

        public async Task CloseAsync()
        {
            await _send.WaitAsync();
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "restarting", CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
            {
                // Already gone.
            }
            finally
            {
                _send.Release();
            }
        }

        public void Abort()
        {
            Socket.Abort();
            try
            {
                context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The request already ended.
            }
        }
    }
}

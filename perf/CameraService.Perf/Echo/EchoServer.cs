using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Perf.Echo;

/// <summary>Options of the `limit` echo server.</summary>
internal sealed record EchoServerOptions(int Port = 0, bool InlineScheduling = false, int Backlog = 4096);

/// <summary>
/// The `limit` reference server: Kestrel + WebSockets doing the least a JSON-RPC server can do. <c>ping</c> answers
/// <c>"pong"</c>, <c>authenticate</c> answers a contract-shaped success, <c>perf.broadcast</c> sends its params as a
/// <c>perf_event</c> notification to every session (the fan-out trigger), anything else answers <c>{}</c>.
/// Requests without an id are not answered. <c>GET /files/{kind}/{name}</c> answers 4 KiB so the files scenario's
/// download path runs against it too. Loopback only.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    /// <summary>The method that makes the echo server broadcast a notification.</summary>
    public const string BroadcastMethod = "perf.broadcast";

    /// <summary>The notification the broadcast sends.</summary>
    public const string BroadcastNotification = "perf_event";

    private static readonly byte[] FileBody = CreateFileBody();
    private static readonly byte[] PongResult = "\"pong\""u8.ToArray();
    private static readonly byte[] EmptyResult = "{}"u8.ToArray();
    private static readonly byte[] AuthenticateResult =
        "{\"authenticated\":true,\"role\":\"admin\",\"permissions\":[\"view\",\"control\",\"admin\"],\"expires_at\":null,\"session_id\":\"echo\"}"u8.ToArray();
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<EchoSession, byte> _sessions = new();
    private long _sessionCounter;

    private EchoServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The bound port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/ws");

    public static async Task<EchoServer> StartAsync(EchoServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        // No ConsoleLifetime: it would swallow SIGTERM/Ctrl+C of the whole process (the load tool, or the
        // echo-server verb, whose command line handles the signals and disposes this server).
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.UseSockets(o => o.Backlog = options.Backlog);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.MaxConcurrentUpgradedConnections = null;
        });
        if (options.InlineScheduling)
        {
            builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        }

        var app = builder.Build();
        var server = new EchoServer(app);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Map("/ws", server.HandleWebSocketAsync);
        app.MapGet("/health/live", () => Microsoft.AspNetCore.Http.Results.Text("{\"status\":\"live\"}", "application/json"));
        app.MapGet("/files/{kind}/{name}", (HttpContext context) =>
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = FileBody.Length;
            return context.Response.Body.WriteAsync(FileBody, context.RequestAborted).AsTask();
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        foreach (var session in _sessions.Keys)
        {
            session.Socket.Abort();
        }

        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static byte[] CreateFileBody()
    {
        var body = new byte[4096];
        body.AsSpan().Fill((byte)'x');
        return body;
    }

    private async Task HandleWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var session = new EchoSession(socket, Interlocked.Increment(ref _sessionCounter));
        _sessions[session] = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(8192);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var received = await socket.ReceiveAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    break;
                }

                length += received.Count;
                if (!received.EndOfMessage)
                {
                    continue;
                }

                await AnswerAsync(session, buffer.AsMemory(0, length), context.RequestAborted).ConfigureAwait(false);
                length = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away: the session simply ends.
        }
        finally
        {
            _sessions.TryRemove(session, out _);
            ArrayPool<byte>.Shared.Return(buffer);
            session.Dispose();
        }
    }

    private async Task AnswerAsync(EchoSession session, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (!TryScan(request.Span, out var id, out var method, out var paramsRange))
        {
            await session.SendAsync("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (method == BroadcastMethod)
        {
            var delivered = await BroadcastAsync(paramsRange is { } p ? request[p] : "{}"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            if (id is { } broadcastId)
            {
                await RespondAsync(session, request[broadcastId], System.Text.Encoding.UTF8.GetBytes($"{{\"delivered\":{delivered}}}"), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (id is not { } idRange)
        {
            return;
        }

        var result = method switch
        {
            "ping" => PongResult,
            "authenticate" => AuthenticateResult,
            _ => EmptyResult,
        };
        await RespondAsync(session, request[idRange], result, cancellationToken).ConfigureAwait(false);
    }

    private static Task RespondAsync(EchoSession session, ReadOnlyMemory<byte> id, byte[] result, CancellationToken cancellationToken)
    {
        // {"jsonrpc":"2.0","result":<result>,"id":<id as received>}
        var prefix = "{\"jsonrpc\":\"2.0\",\"result\":"u8;
        var message = new byte[prefix.Length + result.Length + 6 + id.Length + 1];
        var span = message.AsSpan();
        prefix.CopyTo(span);
        result.CopyTo(span[prefix.Length..]);
        var at = prefix.Length + result.Length;
        ",\"id\":"u8.CopyTo(span[at..]);
        at += 6;
        id.Span.CopyTo(span[at..]);
        span[^1] = (byte)'}';
        return session.SendAsync(message, cancellationToken);
    }

    private async Task<int> BroadcastAsync(ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        var prefix = System.Text.Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"method\":\"{BroadcastNotification}\",\"params\":");
        var message = new byte[prefix.Length + parameters.Length + 1];
        prefix.CopyTo(message, 0);
        parameters.Span.CopyTo(message.AsSpan(prefix.Length));
        message[^1] = (byte)'}';
        var sends = _sessions.Keys.Select(s => s.TrySendAsync(message, cancellationToken)).ToList();
        var results = await Task.WhenAll(sends).ConfigureAwait(false);
        return results.Count(ok => ok);
    }

    private static bool TryScan(ReadOnlySpan<byte> request, out Range? id, out string method, out Range? parameters)
    {
        id = null;
        parameters = null;
        method = string.Empty;
        try
        {
            var reader = new Utf8JsonReader(request);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    id = start..(int)reader.BytesConsumed;
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    method = reader.ValueTextEquals("ping"u8) ? "ping" : reader.GetString() ?? string.Empty;
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    parameters = start..(int)reader.BytesConsumed;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class EchoSession(WebSocket socket, long number) : IDisposable
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public WebSocket Socket { get; } = socket;

        public long Number { get; } = number;

        public void Dispose() => _sendLock.Dispose();

        public async Task SendAsync(byte[] message, CancellationToken cancellationToken)
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async Task<bool> TrySendAsync(byte[] message, CancellationToken cancellationToken)
        {
            try
            {
                await SendAsync(message, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // A session closing during a broadcast just does not count as delivered.
                return false;
            }
        }
    }
}

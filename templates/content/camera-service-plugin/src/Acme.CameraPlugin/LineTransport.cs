using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin;

/// <summary>
/// An API transport: the service's JSON-RPC 2.0 API over plain TCP, one UTF-8 JSON message per line in both
/// directions (requests, responses and notifications). Authentication, roles and methods are the core's
/// (<see cref="IRpcEndpoint"/>); the transport only moves messages. Try it: <c>nc 127.0.0.1 8010</c>, then
/// <c>{"jsonrpc":"2.0","id":1,"method":"ping"}</c>. Plain TCP has no TLS: bind it to 127.0.0.1 or a trusted network.
/// </summary>
internal sealed partial class LineTransport(IRpcEndpoint endpoint, IOptions<PluginOptions> options, ILogger<LineTransport> logger) : IApiTransport
{
    private const int MaxLineBytes = 1 << 20;
    private readonly ConcurrentDictionary<Connection, bool> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private volatile string? _fault;

    public string Name => Plugin.PluginId;

    public IReadOnlyList<string> Addresses => _listener?.LocalEndpoint is IPEndPoint ep ? [$"tcp://{ep}"] : [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        _listener = new TcpListener(IPAddress.Parse(settings.BindAddress), settings.Port);
        _listener.Start();
        _acceptLoop = AcceptAsync(_listener);
        LogListening(logger, string.Join(", ", Addresses));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _listener?.Stop();
        foreach (var connection in _connections.Keys)
        {
            connection.Close("the service is stopping");
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken);
        }
    }

    public ComponentStatus GetHealth() => _fault is { } fault
        ? new ComponentStatus { State = ComponentState.Error, Message = fault }
        : _listener is null ? new ComponentStatus { State = ComponentState.Stopped } : ComponentStatus.Running;

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _fault = $"The listener failed: {ex.Message}";
                LogListenerFailed(logger, ex);
                return;
            }

            var connection = new Connection(client);
            _connections[connection] = true;
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Connection connection)
    {
        try
        {
            using var session = endpoint.OpenSession(connection);
            var writer = connection.WriteLoopAsync(_stopping.Token);
            using var reader = new StreamReader(connection.Stream, new UTF8Encoding(false), false, 4096, leaveOpen: true);
            while (await reader.ReadLineAsync(connection.Closed) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                if (Encoding.UTF8.GetByteCount(line) > MaxLineBytes)
                {
                    connection.Close("message too large");
                    break;
                }

                var response = new ArrayBufferWriter<byte>();
                if (await session.HandleMessageAsync(Encoding.UTF8.GetBytes(line), response, connection.Closed))
                {
                    await connection.EnqueueAsync(response.WrittenMemory, connection.Closed);
                }
            }

            connection.Complete();
            await writer;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The client went away or the service is stopping: nothing to report.
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Line transport listening on {Addresses}")]
    private static partial void LogListening(ILogger logger, string addresses);

    [LoggerMessage(2, LogLevel.Error, "Line transport listener failed")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);

    /// <summary>One client; its outgoing messages go through a bounded queue so a slow reader never blocks the core.</summary>
    private sealed class Connection(TcpClient client) : IRpcConnection, IDisposable
    {
        private static long _next;
        private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256) { SingleReader = true });
        private readonly CancellationTokenSource _closed = new();

        public string ConnectionId { get; } = "tcp-" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);

        public string? RemoteAddress { get; } = (client.Client.RemoteEndPoint as IPEndPoint)?.Address.ToString();

        public string? InitialCredential => null;

        public NetworkStream Stream { get; } = client.GetStream();

        public CancellationToken Closed => _closed.Token;

        public bool TrySendNotification(ReadOnlySpan<byte> utf8Message) => _outgoing.Writer.TryWrite(Line(utf8Message));

        // A response waits for room in the queue (the client asked for it); a notification is dropped instead.
        public ValueTask EnqueueAsync(ReadOnlyMemory<byte> utf8Message, CancellationToken cancellationToken) =>
            _outgoing.Writer.WriteAsync(Line(utf8Message.Span), cancellationToken);

        public void Complete() => _outgoing.Writer.TryComplete();

        public void Close(string reason)
        {
            _outgoing.Writer.TryComplete();
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already closed and disposed.
            }

            client.Close();
        }

        public async Task WriteLoopAsync(CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
            await foreach (var message in _outgoing.Reader.ReadAllAsync(linked.Token))
            {
                await Stream.WriteAsync(message, linked.Token);
            }
        }

        public void Dispose()
        {
            client.Dispose();
            _closed.Dispose();
        }

        private static byte[] Line(ReadOnlySpan<byte> message)
        {
            var line = new byte[message.Length + 1];
            message.CopyTo(line);
            line[^1] = (byte)'\n';
            return line;
        }
    }
}

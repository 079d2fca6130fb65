using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace CameraService.Perf.Client;

/// <summary>How a call ended.</summary>
internal enum OutcomeKind
{
    /// <summary>A response with <c>result</c>.</summary>
    Ok,

    /// <summary>A response with <c>error</c>; the code is in <see cref="RpcOutcome.ErrorCode"/>.</summary>
    RpcError,

    /// <summary>No response within the request timeout.</summary>
    Timeout,

    /// <summary>The socket closed or failed before the response arrived (or the send failed).</summary>
    Disconnected,

    /// <summary>The open-loop client had too many requests in flight and did not send this one.</summary>
    ClientBacklog,
}

/// <summary>The end of one call. <see cref="ReceivedTimestamp"/> is a <see cref="Stopwatch"/> timestamp taken by the reader.</summary>
internal readonly record struct RpcOutcome(OutcomeKind Kind, int ErrorCode, long ReceivedTimestamp, byte[]? Message)
{
    public bool IsOk => Kind == OutcomeKind.Ok;

    /// <summary>A short label for error tables: <c>ok</c>, <c>rpc:-32001</c>, <c>timeout</c>, …</summary>
    public string Label => Kind switch
    {
        OutcomeKind.Ok => "ok",
        OutcomeKind.RpcError => "rpc:" + ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        OutcomeKind.Timeout => "timeout",
        OutcomeKind.Disconnected => "disconnected",
        OutcomeKind.ClientBacklog => "client-backlog",
        _ => Kind.ToString(),
    };

    /// <summary>Parses the captured message (only when the call asked for capture).</summary>
    public JsonDocument? ParseMessage() => Message is null ? null : JsonDocument.Parse(Message);
}

/// <summary>Receives server-push notifications. The spans are valid only during the call.</summary>
internal delegate void NotificationHandler(ReadOnlySpan<byte> method, ReadOnlySpan<byte> message, long receivedTimestamp);

/// <summary>
/// One WebSocket JSON-RPC client: raw <see cref="ClientWebSocket"/>, pooled buffers, exactly one reader task per
/// socket that correlates responses to requests by id, and a send lock (a WebSocket allows one send at a time).
/// Written by hand rather than with StreamJsonRpc or Websocket.Client because the harness must add as little CPU
/// per request as possible and must timestamp responses in the reader, before any continuation is scheduled.
/// </summary>
internal sealed class RpcConnection : IAsyncDisposable
{
    private const int ReceiveBufferSize = 16 * 1024;
    private static long s_strayResponses;

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<long, PendingCall> _pending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _timeout;
    private Task _reader = Task.CompletedTask;
    private long _nextId;
    private int _closed;

    private RpcConnection(ClientWebSocket socket, TimeSpan timeout, int index)
    {
        _socket = socket;
        _timeout = timeout;
        Index = index;
    }

    /// <summary>Responses whose id matched no pending call (all connections).</summary>
    public static long StrayResponses => Interlocked.Read(ref s_strayResponses);

    /// <summary>Position of this connection in its pool.</summary>
    public int Index { get; }

    /// <summary>Called for every message without an id that carries a method.</summary>
    public NotificationHandler? OnNotification { get; set; }

    /// <summary>True until the reader saw the socket close or fail.</summary>
    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    /// <summary>Requests sent and not yet answered.</summary>
    public int InFlight => _pending.Count;

    /// <summary>Opens the socket and starts its reader.</summary>
    public static async Task<RpcConnection> ConnectAsync(Uri uri, TimeSpan timeout, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var socket = new ClientWebSocket();
        // Small socket buffers: the connections scenario holds 10,000 of these in one process.
        socket.Options.SetBuffer(4096, 4096);
        // The server pings us; our own keep-alive pings would only add traffic to the measurement.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(timeout);
            await socket.ConnectAsync(uri, connectTimeout.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new RpcConnection(socket, timeout, index);
        connection._reader = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        return connection;
    }

    /// <summary>
    /// Sends <paramref name="method"/> and waits for its response (or the timeout). Never throws for wire failures:
    /// they come back as the outcome's kind. <paramref name="capture"/> keeps the response bytes for parsing.
    /// </summary>
    public async Task<RpcOutcome> CallAsync(RpcMethod method, bool capture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!IsOpen)
        {
            return new RpcOutcome(OutcomeKind.Disconnected, 0, Stopwatch.GetTimestamp(), null);
        }

        var id = Interlocked.Increment(ref _nextId);
        var pending = new PendingCall(capture);
        _pending[id] = pending;
        if (!await SendAsync(method, id, cancellationToken).ConfigureAwait(false))
        {
            _pending.TryRemove(id, out _);
            return new RpcOutcome(OutcomeKind.Disconnected, 0, Stopwatch.GetTimestamp(), null);
        }

        // The socket may have closed between the IsOpen check and the registration: FailAll then missed us.
        if (!IsOpen && _pending.TryRemove(id, out _))
        {
            return new RpcOutcome(OutcomeKind.Disconnected, 0, Stopwatch.GetTimestamp(), null);
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(id, out _);
            return new RpcOutcome(OutcomeKind.Timeout, 0, Stopwatch.GetTimestamp(), null);
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>Closes the socket politely (bounded) and waits for the reader.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "perf run finished", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Closing is best effort: the peer may already be gone; disposal below aborts the socket anyway.
            }
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        await _reader.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        _socket.Dispose();
        _sendLock.Dispose();
        _stop.Dispose();
    }

    private async Task<bool> SendAsync(RpcMethod method, long id, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(method.MaxEncodedLength);
        try
        {
            var length = method.Encode(id, buffer);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                return true;
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        ArrayBufferWriter<byte>? fragments = null;
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (received.EndOfMessage && (fragments is null || fragments.WrittenCount == 0))
                {
                    Dispatch(buffer.AsSpan(0, received.Count), Stopwatch.GetTimestamp());
                    continue;
                }

                fragments ??= new ArrayBufferWriter<byte>(ReceiveBufferSize * 2);
                fragments.Write(buffer.AsSpan(0, received.Count));
                if (received.EndOfMessage)
                {
                    Dispatch(fragments.WrittenSpan, Stopwatch.GetTimestamp());
                    fragments.ResetWrittenCount();
                }
            }
        }
        catch (Exception)
        {
            // Any receive failure (peer reset, abort on close, cancellation) ends this connection; pending calls are
            // failed below as Disconnected, which is what the measurement records.
        }
        finally
        {
            Volatile.Write(ref _closed, 1);
            ArrayPool<byte>.Shared.Return(buffer);
            FailAll();
        }
    }

    private void FailAll()
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Completion.TrySetResult(new RpcOutcome(OutcomeKind.Disconnected, 0, Stopwatch.GetTimestamp(), null));
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> message, long receivedTimestamp)
    {
        if (!RpcMessageScanner.TryScan(message, out var scan))
        {
            Interlocked.Increment(ref s_strayResponses);
            return;
        }

        if (!scan.HasId)
        {
            if (scan.MethodLength > 0)
            {
                OnNotification?.Invoke(message.Slice(scan.MethodStart, scan.MethodLength), message, receivedTimestamp);
            }

            return;
        }

        if (!_pending.TryRemove(scan.Id, out var pending))
        {
            Interlocked.Increment(ref s_strayResponses);
            return;
        }

        var kind = scan.IsError ? OutcomeKind.RpcError : OutcomeKind.Ok;
        byte[]? copy = pending.Capture || scan.IsError ? message.ToArray() : null;
        pending.Completion.TrySetResult(new RpcOutcome(kind, scan.ErrorCode, receivedTimestamp, copy));
    }

    private sealed class PendingCall(bool capture)
    {
        public bool Capture { get; } = capture;

        // Continuations run asynchronously so the reader never runs a workload's code inline.
        public TaskCompletionSource<RpcOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

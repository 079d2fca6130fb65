using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// One WebSocket session: a reader loop that hands each complete text message to the core in order, and a
/// single writer task that drains the session's <see cref="OutboundQueue"/> (responses and notifications). A
/// notification to a session with nothing queued is sent by the fan-out itself; the queue's send gate keeps one send at
/// a time, so frames never interleave, and the writer sends the close frame last. This class owns the session's
/// lifetime and its close handshake.
/// </summary>
/// <remarks>
/// Back-pressure: notifications are queued with <see cref="ChannelWriter{T}.TryWrite"/> and dropped when the
/// queue is full; responses wait for room (only this session's reader waits, so a client that does not read
/// its responses stops being read). A session that drops <see cref="WebSocketTransportOptions.MaxDroppedNotifications"/>
/// notifications without ever draining its queue, or whose single send stalls past
/// <see cref="WebSocketTransportOptions.SendTimeout"/>, is closed with 1008 (or aborted when even the close frame
/// cannot be sent). Nothing here blocks another session.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the session's lifetime and disposes every field when the socket ends.")]
internal sealed class WebSocketConnection : IRpcConnection
{
    // Close descriptions are limited to 123 UTF-8 bytes by RFC 6455.
    private const int MaxCloseDescriptionBytes = 123;

    // The array rented for a message when its first frame arrives (grown by doubling for larger ones).
    private const int SmallBufferSize = 1024;

    // Messages a client may pipeline behind one the core is still working on before its reader waits.
    private const int MaxQueuedInbound = 32;

    private static long s_nextId;

    private readonly System.Net.WebSockets.WebSocket _socket;
    private readonly WebSocketTransportOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly BufferCache _buffers = new();
    private readonly OutboundQueue _outbound;
    private readonly PooledBufferWriter _response;
    private readonly Lock _inboundLock = new();
    private readonly Queue<InboundMessage> _inbound = new();
    private bool _busy;
    private bool _waitingWithoutBuffer;
    private TaskCompletionSource? _inboundSpace;
    private Task _processor = Task.CompletedTask;

    // Cancels socket I/O, which aborts the socket: fired CloseTimeout after a close was requested.
    private readonly CancellationTokenSource _abort;

    // Cancelled as soon as a close is requested; handed to the core as "the connection closes".
    private readonly CancellationTokenSource _closing = new();

    private int _closeRequested;
    private WebSocketCloseStatus _closeStatus;
    private string _closeDescription = string.Empty;

    public WebSocketConnection(
        System.Net.WebSockets.WebSocket socket,
        string? remoteAddress,
        string? initialCredential,
        WebSocketTransportOptions options,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _socket = socket;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        RemoteAddress = remoteAddress;
        InitialCredential = initialCredential;
        ConnectionId = "ws-" + Interlocked.Increment(ref s_nextId).ToString(CultureInfo.InvariantCulture);
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _response = new PooledBufferWriter(_buffers);
        _outbound = new OutboundQueue(options, _buffers, timeProvider);
    }

    public string ConnectionId { get; }

    public string? RemoteAddress { get; }

    public string? InitialCredential { get; }

    /// <summary>The status the server closed (or decided to close) with, once a close was requested.</summary>
    public WebSocketCloseStatus? ServerCloseStatus => Volatile.Read(ref _closeRequested) != 0 ? _closeStatus : null;

    public bool TrySendNotification(ReadOnlySpan<byte> utf8Message)
    {
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            return false;
        }

        var queued = _outbound.TryQueueNotification(utf8Message);
        if (queued == NotificationQueued.DropLimitReached)
        {
            const string reason = "slow consumer: too many notifications dropped";
            Log.SlowConsumer(_logger, ConnectionId, reason);
            RequestClose(WebSocketCloseStatus.PolicyViolation, reason);
        }

        return queued == NotificationQueued.Queued;
    }

    public void Close(string reason) => RequestClose(WebSocketCloseStatus.PolicyViolation, reason ?? string.Empty);

    /// <summary>
    /// Asks the writer to stop sending, send a close frame with <paramref name="status"/> and end the session;
    /// the connection is aborted when the handshake does not finish within the close timeout. Idempotent, never blocks.
    /// </summary>
    public void RequestClose(WebSocketCloseStatus status, string description)
    {
        if (Interlocked.CompareExchange(ref _closeRequested, 1, 0) != 0)
        {
            return;
        }

        _closeStatus = status;
        _closeDescription = TruncateUtf8(description, MaxCloseDescriptionBytes);
        _outbound.Complete();
        try
        {
            // Callbacks registered by the core run on the thread pool, not on the caller (which may be a fan-out).
            _ = _closing.CancelAsync();
            _abort.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The session already ended; nothing left to cancel.
        }
    }

    /// <summary>Runs the session until the socket ends; the returned task never faults.</summary>
    public async Task RunAsync(IRpcEndpoint endpoint)
    {
        Log.SessionOpened(_logger, ConnectionId, RemoteAddress);
        IRpcSession? session = null;
        var writer = Task.CompletedTask;
        try
        {
            session = endpoint.OpenSession(this);
            writer = RunWriterAsync();
            await RunReaderAsync(session).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer went away or the close handshake timed out (the socket was aborted): a normal end.
            Log.ConnectionLost(_logger, ex, ConnectionId);
        }
        catch (Exception ex) // a failure of the core's session must end only this connection, never the listener
        {
            Log.SessionFailed(_logger, ex, ConnectionId);
            RequestClose(WebSocketCloseStatus.InternalServerError, "internal error");
        }
        finally
        {
            RequestClose(WebSocketCloseStatus.NormalClosure, string.Empty);
            await _processor.ConfigureAwait(false);
            ReleaseQueuedInbound();
            await writer.ConfigureAwait(false);
            session?.Dispose();
            _response.Dispose();
            _abort.Dispose();
            _buffers.Clear();
            _closing.Dispose();
            Log.SessionEnded(_logger, ConnectionId, _closeStatus, _closeDescription);
        }
    }

    /// <summary>Aborts the socket now (shutdown ran out of time).</summary>
    public void Abort() => _socket.Abort();

    /// <summary>
    /// Called periodically by the transport: a session whose current send has not finished within
    /// <see cref="WebSocketTransportOptions.SendTimeout"/> (the peer stopped reading) is closed as a slow consumer.
    /// The socket is aborted, since a close frame cannot pass a stalled send.
    /// </summary>
    /// <returns>True when the session was aborted.</returns>
    public bool CheckSendStalled(long now)
    {
        var started = _outbound.SendStarted;
        if (started == 0 || _timeProvider.GetElapsedTime(started, now) < _options.SendTimeout)
        {
            return false;
        }

        const string reason = "slow consumer: a send stalled past Api:SendTimeout";
        Log.SlowConsumer(_logger, ConnectionId, reason);
        RequestClose(WebSocketCloseStatus.PolicyViolation, reason);
        _socket.Abort();
        return true;
    }

    // The reader keeps a receive pending whenever it can, even while the core works on a message: .NET's
    // keep-alive only notices pongs reliably while a read is pending (measured on .NET 10: with no read
    // pending for longer than Api:PongTimeout an alive client was dropped).
    // An idle session holds no receive buffer (issue 26): the pending receive is a zero-byte read, which waits for the
    // next frame without a buffer in ManagedWebSocket or Kestrel either; only then is an array rented, and it goes back
    // to the pool as soon as the message was handled (on the same thread when the core answers synchronously, so the
    // shared pool's per-thread cache serves it without allocating).
    private async Task RunReaderAsync(IRpcSession session)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                Volatile.Write(ref _waitingWithoutBuffer, true);
                var result = await _socket.ReceiveAsync(Memory<byte>.Empty, _abort.Token).ConfigureAwait(false);
                Volatile.Write(ref _waitingWithoutBuffer, false);
                buffer = ArrayPool<byte>.Shared.Rent(SmallBufferSize);
                var count = 0;
                while (true)
                {
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        // Echo the client's status, as RFC 6455 section 5.5.1 suggests.
                        RequestClose(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, string.Empty);
                        return;
                    }

                    if (result.MessageType == WebSocketMessageType.Binary)
                    {
                        await CloseForProtocolAsync(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported; send JSON-RPC as text frames", buffer).ConfigureAwait(false);
                        return;
                    }

                    count += result.Count;
                    if (count > _options.MaxMessageBytes)
                    {
                        await CloseForProtocolAsync(WebSocketCloseStatus.MessageTooBig, "message larger than " + _options.MaxMessageBytes.ToString(CultureInfo.InvariantCulture) + " bytes", buffer).ConfigureAwait(false);
                        return;
                    }

                    if (result.EndOfMessage)
                    {
                        break;
                    }

                    if (count == buffer.Length)
                    {
                        buffer = Grow(buffer, count);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), _abort.Token).ConfigureAwait(false);
                }

                if (Volatile.Read(ref _closeRequested) != 0)
                {
                    // Closing (e.g. shutdown): no new work; wait for the peer's close frame.
                    await DrainUntilCloseAsync(buffer).ConfigureAwait(false);
                    return;
                }

                var message = new InboundMessage(buffer, count, Pooled: true);
                buffer = null;
                if (!await DispatchAsync(session, message).ConfigureAwait(false))
                {
                    // Handled: the array goes back now (the processor returns the ones it took over).
                    ArrayPool<byte>.Shared.Return(message.Buffer);
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Whether the reader waits for the next message holding no receive buffer (tests: an idle session does).</summary>
    internal bool WaitingWithoutBuffer => Volatile.Read(ref _waitingWithoutBuffer);

    /// <summary>
    /// Hands a message to the core, in order. Handled inline when the core answers synchronously (the common
    /// case: no extra task, no copy); otherwise the rest runs on a processor task while the reader reads on, and
    /// messages arriving meanwhile are copied into a short queue.
    /// </summary>
    /// <returns>True when the message's array now belongs to the processor.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> DispatchAsync(IRpcSession session, InboundMessage message)
    {
        while (true)
        {
            Task wait;
            lock (_inboundLock)
            {
                if (!_busy)
                {
                    _busy = true;
                    break;
                }

                if (_inbound.Count < MaxQueuedInbound)
                {
                    var copy = _buffers.Rent(message.Length);
                    message.Memory.Span.CopyTo(copy);
                    _inbound.Enqueue(new InboundMessage(copy, message.Length, Pooled: true));
                    return false;
                }

                // A client that pipelines many requests behind a slow one waits here (only this session).
                _inboundSpace ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _inboundSpace.Task;
            }

            await wait.WaitAsync(_abort.Token).ConfigureAwait(false);
        }

        var pending = session.HandleMessageAsync(message.Memory, _response, _closing.Token);
        if (!pending.IsCompleted)
        {
            _processor = ProcessAsync(session, pending, message);
            return true;
        }

        var responded = await pending.ConfigureAwait(false);
        await QueueResponseAsync(responded).ConfigureAwait(false);
        lock (_inboundLock)
        {
            // Nothing can have been queued: only this reader queues, and it was here.
            _busy = false;
        }

        return false;
    }

    // Finishes a message the core handles asynchronously, then the messages queued meanwhile, in order.
    private async Task ProcessAsync(IRpcSession session, ValueTask<bool> pending, InboundMessage message)
    {
        try
        {
            bool responded;
            try
            {
                responded = await pending.ConfigureAwait(false);
            }
            finally
            {
                message.Release(_buffers);
            }

            await QueueResponseAsync(responded).ConfigureAwait(false);
            while (true)
            {
                InboundMessage next;
                lock (_inboundLock)
                {
                    if (!_inbound.TryDequeue(out next))
                    {
                        _busy = false;
                        return;
                    }

                    _inboundSpace?.TrySetResult();
                    _inboundSpace = null;
                }

                try
                {
                    responded = await session.HandleMessageAsync(next.Memory, _response, _closing.Token).ConfigureAwait(false);
                }
                finally
                {
                    next.Release(_buffers);
                }

                await QueueResponseAsync(responded).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The connection is closing; the reader and writer end it.
            Log.ConnectionLost(_logger, ex, ConnectionId);
            RequestClose(WebSocketCloseStatus.EndpointUnavailable, string.Empty);
            ReleaseQueuedInbound();
        }
        catch (Exception ex) // a failure of the core's session must end only this connection, never the listener
        {
            Log.SessionFailed(_logger, ex, ConnectionId);
            RequestClose(WebSocketCloseStatus.InternalServerError, "internal error");
            ReleaseQueuedInbound();
        }
    }

    private void ReleaseQueuedInbound()
    {
        lock (_inboundLock)
        {
            while (_inbound.TryDequeue(out var left))
            {
                left.Release(_buffers);
            }

            _inboundSpace?.TrySetResult();
            _inboundSpace = null;
        }
    }

    private ValueTask QueueResponseAsync(bool responded)
    {
        if (!responded || _response.WrittenCount == 0)
        {
            _response.Reset();
            return ValueTask.CompletedTask;
        }

        return _outbound.QueueResponseAsync(_response.Detach(), _abort.Token);
    }

    private byte[] Grow(byte[] buffer, int count)
    {
        // One byte over the limit is enough to tell that a message is too big.
        var size = (int)Math.Min((long)buffer.Length * 2, (long)_options.MaxMessageBytes + 1);
        size = Math.Max(size, count + 1);
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, count).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    private async ValueTask CloseForProtocolAsync(WebSocketCloseStatus status, string reason, byte[] buffer)
    {
        Log.ProtocolClose(_logger, ConnectionId, status, reason);
        RequestClose(status, reason);
        await DrainUntilCloseAsync(buffer).ConfigureAwait(false);
    }

    // Reads and discards until the peer's close frame arrives; the close timeout aborts a peer that never sends it.
    private async ValueTask DrainUntilCloseAsync(byte[] buffer)
    {
        while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var result = await _socket.ReceiveAsync(buffer.AsMemory(), _abort.Token).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private async Task RunWriterAsync()
    {
        await _outbound.DrainAsync(
            _socket,
            () => Volatile.Read(ref _closeRequested) != 0,
            ex =>
            {
                Log.ConnectionLost(_logger, ex, ConnectionId);
                RequestClose(WebSocketCloseStatus.EndpointUnavailable, string.Empty);
            }).ConfigureAwait(false);
        await SendCloseAsync().ConfigureAwait(false);
    }

    private async ValueTask SendCloseAsync()
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            await _socket.CloseOutputAsync(_closeStatus, _closeDescription, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer is gone or never read the close frame in time; the socket is aborted either way.
            Log.ConnectionLost(_logger, ex, ConnectionId);
        }
    }

    private static string TruncateUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var length = text.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes)
        {
            length--;
        }

        return text[..length];
    }
}

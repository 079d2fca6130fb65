using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace CameraService.Plugins.WebSocket;

/// <summary>What became of a notification offered to a session's <see cref="OutboundQueue"/>.</summary>
internal enum NotificationQueued
{
    /// <summary>Queued for sending.</summary>
    Queued,

    /// <summary>Dropped: the queue is full in messages or bytes.</summary>
    Dropped,

    /// <summary>Dropped, and that drop reached <see cref="WebSocketTransportOptions.MaxDroppedNotifications"/> (reported once).</summary>
    DropLimitReached,
}

/// <summary>
/// The outbound side of one session: a queue bounded in messages (<see cref="WebSocketTransportOptions.OutboundQueueLength"/>)
/// and bytes (<see cref="WebSocketTransportOptions.MaxQueuedBytes"/>) drained by one writer. A notification offered while
/// the queue is empty and nothing is being sent is sent at once by the caller (see <see cref="TrySendDirect"/>); a send
/// gate keeps one send at a time and the order of everything queued. Notifications are dropped when the queue is full
/// (and counted until it runs empty again); responses wait for room. The time the send in progress began is kept for
/// the transport's stall watchdog.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The SemaphoreSlim's wait handle is never asked for, so it holds nothing to dispose.")]
internal sealed class OutboundQueue
{
    private readonly Channel<OutboundMessage> _channel;
    private readonly ByteBudget _bytes;
    private readonly BufferCache _buffers;
    private readonly TimeProvider _time;
    private readonly int _maxDropped;

    // Held by whoever sends on the socket: the writer loop while it drains the queue, or a fan-out sending a
    // notification directly (TrySendDirect). The writer reads the queue only while holding it, so a direct send (made
    // only with the queue empty) can never overtake a queued message. Taken for good when the writer ends.
    private readonly SemaphoreSlim _sendGate = new(1, 1);

    // Set while the writer runs (DrainAsync): what a direct send needs.
    private System.Net.WebSockets.WebSocket? _socket;
    private Func<bool> _closing = static () => true;
    private Action<Exception> _lost = static _ => { };

    // Timestamp (TimeProvider) at which the send in progress began; 0 when none.
    private long _sendStarted;
    private int _dropped;

    public OutboundQueue(WebSocketTransportOptions options, BufferCache buffers, TimeProvider time)
    {
        _buffers = buffers;
        _time = time;
        _maxDropped = options.MaxDroppedNotifications;
        _bytes = new ByteBudget(options.MaxQueuedBytes);
        _channel = Channel.CreateBounded<OutboundMessage>(new BoundedChannelOptions(options.OutboundQueueLength)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>The timestamp (of the connection's <see cref="TimeProvider"/>) the current send began, 0 when none.</summary>
    public long SendStarted => Volatile.Read(ref _sendStarted);

    /// <summary>Copies and queues a notification without waiting.</summary>
    public NotificationQueued TryQueueNotification(ReadOnlySpan<byte> utf8Message)
    {
        if (_bytes.TryTake(utf8Message.Length))
        {
            var buffer = _buffers.Rent(utf8Message.Length);
            utf8Message.CopyTo(buffer);
            var message = new OutboundMessage(buffer, utf8Message.Length);
            if (TrySendDirect(message) || _channel.Writer.TryWrite(message))
            {
                return NotificationQueued.Queued;
            }

            _bytes.Release(utf8Message.Length);
            _buffers.Return(buffer);
        }

        return Interlocked.Increment(ref _dropped) == _maxDropped ? NotificationQueued.DropLimitReached : NotificationQueued.Dropped;
    }

    /// <summary>
    /// Sends a notification on the caller's thread when nothing is queued and no send is in progress — the common case of
    /// an idle session in a fan-out — so an event costs no thread-pool work item per session (the writer task waking to
    /// send it). The socket write usually completes at once (Kestrel's output pipe takes it); when it does not, the
    /// gate is held until it has and the message is released then. False when the message must be queued instead.
    /// </summary>
    private bool TrySendDirect(OutboundMessage message)
    {
        var socket = Volatile.Read(ref _socket);
        if (socket is null || _channel.Reader.Count != 0 || !_sendGate.Wait(0))
        {
            return false;
        }

        if (_channel.Reader.Count != 0 || _closing())
        {
            _sendGate.Release();
            return false;
        }

        var send = SendAsync(socket, message);
        if (send.IsCompletedSuccessfully)
        {
            send.GetAwaiter().GetResult();
            EndDirectSend(message);
        }
        else
        {
            _ = FinishDirectSendAsync(send, message);
        }

        return true;
    }

    private async Task FinishDirectSendAsync(ValueTask send, OutboundMessage message)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
        {
            _lost(ex);
        }
        finally
        {
            EndDirectSend(message);
        }
    }

    private void EndDirectSend(OutboundMessage message)
    {
        _bytes.Release(message.Length);
        message.Release(_buffers);

        // The queue was empty: like the writer finding it empty, earlier drops are forgiven.
        Volatile.Write(ref _dropped, 0);
        _sendGate.Release();
    }

    /// <summary>
    /// Queues a response, waiting for room in bytes and in messages (only this session's reader waits, so a client that
    /// never reads its answers stops being read and pins at most <see cref="WebSocketTransportOptions.MaxQueuedBytes"/>).
    /// After <see cref="Complete"/> the response is discarded.
    /// </summary>
    // Pooled builder: runs once per answered message and may complete asynchronously.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask QueueResponseAsync(OutboundMessage outbound, CancellationToken abort)
    {
        try
        {
            await _bytes.TakeAsync(outbound.Length, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            outbound.Release(_buffers);
            throw;
        }

        if (_channel.Writer.TryWrite(outbound))
        {
            return;
        }

        try
        {
            await _channel.Writer.WriteAsync(outbound, abort).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            _bytes.Release(outbound.Length);
            outbound.Release(_buffers);
        }
        catch (OperationCanceledException)
        {
            _bytes.Release(outbound.Length);
            outbound.Release(_buffers);
            throw;
        }
    }

    /// <summary>No more messages: the writer sends what is queued (unless closing) and ends.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>
    /// The writer loop: sends every queued message in order until <see cref="Complete"/>, skipping them once
    /// <paramref name="closing"/> says so. A socket failure is handed to <paramref name="lost"/>; every message left is
    /// released after that.
    /// </summary>
    public async Task DrainAsync(System.Net.WebSockets.WebSocket socket, Func<bool> closing, Action<Exception> lost)
    {
        var reader = _channel.Reader;
        _closing = closing;
        _lost = lost;
        Volatile.Write(ref _socket, socket);
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await _sendGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    while (reader.TryRead(out var message))
                    {
                        try
                        {
                            if (!closing())
                            {
                                await SendAsync(socket, message).ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            _bytes.Release(message.Length);
                            message.Release(_buffers);
                        }
                    }
                }
                finally
                {
                    _sendGate.Release();
                }

                // The queue ran empty: the peer caught up, so earlier drops are forgiven.
                Volatile.Write(ref _dropped, 0);
            }
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
        {
            lost(ex);
        }
        finally
        {
            // No direct send after this, and one in progress ends before the caller sends its close frame.
            Volatile.Write(ref _socket, null);
            await _sendGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            while (reader.TryRead(out var left))
            {
                _bytes.Release(left.Length);
                left.Release(_buffers);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(System.Net.WebSockets.WebSocket socket, OutboundMessage message)
    {
        // No cancellation token: a cancellable send takes a slower, allocating path in ManagedWebSocket (measured
        // ~75 B per message). Stalls are caught by the transport's watchdog (CheckSendStalled) instead.
        Volatile.Write(ref _sendStarted, _time.GetTimestamp());
        try
        {
            await socket.SendAsync(message.Memory, System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _sendStarted, 0);
        }
    }
}

using System.Net.WebSockets;
using System.Text;

namespace CameraService.Plugins.WebSocket.Tests;

/// <summary>
/// The fan-out's direct send (issue 26, item 4): a notification to a session with nothing queued is written by the
/// caller, not by the session's writer task; anything offered while a send is in progress is queued behind it in order.
/// </summary>
public sealed class DirectSendTests
{
    [Fact]
    public async Task Notification_ToAnIdleSession_IsSentOnTheCallersThreadBeforeTheCallReturns()
    {
        var socket = new RecordingSocket();
        var queue = new OutboundQueue(new WebSocketTransportOptions(), new BufferCache(), TimeProvider.System);
        var writer = queue.DrainAsync(socket, () => false, _ => { });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(NotificationQueued.Queued, queue.TryQueueNotification(Encoding.UTF8.GetBytes("{\"n\":" + i + "}")));

            // Already on the socket when the call returns, written by this thread: no writer task woke for it.
            var sent = socket.Sent[i];
            Assert.Equal("{\"n\":" + i + "}", sent.Text);
            Assert.Equal(Environment.CurrentManagedThreadId, sent.Thread);
        }

        queue.Complete();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, socket.Sent.Count);
    }

    [Fact]
    public async Task Notifications_OfferedWhileADirectSendIsInProgress_FollowItInOrderWithResponses()
    {
        var socket = new RecordingSocket();
        var buffers = new BufferCache();
        var queue = new OutboundQueue(new WebSocketTransportOptions(), buffers, TimeProvider.System);
        var writer = queue.DrainAsync(socket, () => false, _ => { });

        // The first send does not complete at once (a full socket buffer): the caller returns, the send goes on.
        var release = socket.HoldNextSend();
        Assert.Equal(NotificationQueued.Queued, queue.TryQueueNotification("{\"n\":0}"u8));
        var expected = new List<string> { "{\"n\":0}" };
        for (var i = 1; i < 10; i++)
        {
            Assert.Equal(NotificationQueued.Queued, queue.TryQueueNotification(Encoding.UTF8.GetBytes("{\"n\":" + i + "}")));
            expected.Add("{\"n\":" + i + "}");
            if (i == 5)
            {
                var response = Encoding.UTF8.GetBytes("{\"id\":5}");
                var rented = buffers.Rent(response.Length);
                response.CopyTo(rented, 0);
                await queue.QueueResponseAsync(new OutboundMessage(rented, response.Length), CancellationToken.None);
                expected.Add("{\"id\":5}");
            }
        }

        // Nothing overtook the send in progress.
        Assert.Single(socket.Sent);
        release.SetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Poll.UntilAsync(() => socket.Sent.Count == expected.Count, timeout.Token);
        Assert.Equal(expected, socket.Sent.Select(s => s.Text));

        queue.Complete();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, socket.MaxConcurrentSends);
    }

    /// <summary>A socket that records what is sent, by which thread, and can hold one send open.</summary>
    private sealed class RecordingSocket : System.Net.WebSockets.WebSocket
    {
        private readonly Lock _gate = new();
        private readonly List<(string Text, int Thread)> _sent = [];
        private TaskCompletionSource? _hold;
        private int _sending;

        public IReadOnlyList<(string Text, int Thread)> Sent
        {
            get
            {
                lock (_gate)
                {
                    return [.. _sent];
                }
            }
        }

        public int MaxConcurrentSends { get; private set; }

        public override WebSocketCloseStatus? CloseStatus => null;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => WebSocketState.Open;

        public override string? SubProtocol => null;

        public TaskCompletionSource HoldNextSend()
        {
            var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _hold = hold;
            return hold;
        }

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            var concurrent = Interlocked.Increment(ref _sending);
            lock (_gate)
            {
                MaxConcurrentSends = Math.Max(MaxConcurrentSends, concurrent);
                _sent.Add((Encoding.UTF8.GetString(buffer.Span), Environment.CurrentManagedThreadId));
            }

            var hold = Interlocked.Exchange(ref _hold, null);
            if (hold is null)
            {
                Interlocked.Decrement(ref _sending);
                return ValueTask.CompletedTask;
            }

            return new ValueTask(hold.Task.ContinueWith(_ => Interlocked.Decrement(ref _sending), TaskScheduler.Default));
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Abort()
        {
        }

        public override void Dispose()
        {
        }
    }
}

using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CameraService.Plugins.WebSocket.Tests;

public sealed class SessionTests
{
    [Fact]
    public async Task StartAsync_PortZero_ReportsRealAddressAndRunning()
    {
        await using var harness = await TransportHarness.StartAsync();

        var address = Assert.Single(harness.Transport.Addresses);
        Assert.StartsWith("ws://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.EndsWith("/ws", address, StringComparison.Ordinal);
        Assert.NotEqual(0, harness.Port);
        Assert.Equal(Abstractions.ComponentState.Running, harness.Transport.GetHealth().State);
    }

    [Fact]
    public async Task HandleMessage_ManyMessages_HandedOverAndAnsweredInOrder()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        const int count = 200;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await Wire.SendTextAsync(client, "{\"id\":" + i + "}", timeout.Token);
            }
        });
        for (var i = 0; i < count; i++)
        {
            Assert.Equal("echo:{\"id\":" + i + "}", await Wire.ReceiveTextAsync(client, timeout.Token));
        }

        await sending;
        var session = Assert.Single(harness.Endpoint.Sessions);
        Assert.Equal(Enumerable.Range(0, count).Select(i => "{\"id\":" + i + "}"), session.Received);
    }

    [Fact]
    public async Task HandleMessage_RequestsPipelinedBehindSlowOne_HandledOneAtATimeInOrder()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        // More than the inbound queue holds (32), so the reader also has to wait for room.
        var messages = new[] { "slow:700" }.Concat(Enumerable.Range(0, 60).Select(i => (i % 20 == 0 ? "slow:50 " : "m") + i)).ToList();
        foreach (var message in messages)
        {
            await Wire.SendTextAsync(client, message, timeout.Token);
        }

        foreach (var message in messages)
        {
            Assert.Equal("echo:" + message, await Wire.ReceiveTextAsync(client, timeout.Token));
        }

        Assert.Equal(messages, Assert.Single(harness.Endpoint.Sessions).Received);
    }

    [Fact]
    public async Task HandleMessage_MessageLargerThanSmallBuffer_ArrivesWhole()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        // 300 KB in one message sent as several frames; 1 MiB is the default limit.
        var big = new string('x', 300_000);
        var bytes = Encoding.UTF8.GetBytes(big);
        for (var offset = 0; offset < bytes.Length; offset += 100_000)
        {
            await client.SendAsync(bytes.AsMemory(offset, 100_000), WebSocketMessageType.Text, offset + 100_000 >= bytes.Length, timeout.Token);
        }

        Assert.Equal("echo:" + big, await Wire.ReceiveTextAsync(client, timeout.Token));
    }

    [Fact]
    public async Task Idle_AfterAnswering_ReaderWaitsWithoutABuffer_AndFragmentedAndEmptyMessagesStillArriveWhole()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);
        await Wire.SendTextAsync(client, "first", timeout.Token);
        Assert.Equal("echo:first", await Wire.ReceiveTextAsync(client, timeout.Token));
        var connection = Assert.Single(((WebSocketTransport)harness.Transport).Sessions);

        // Issue 26: an idle session's pending receive is a zero-byte read; the message array is rented per message.
        await Poll.UntilAsync(() => connection.WaitingWithoutBuffer, timeout.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("frag"), WebSocketMessageType.Text, false, timeout.Token);
        await client.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Text, false, timeout.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("mented"), WebSocketMessageType.Text, true, timeout.Token);
        await client.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Text, true, timeout.Token);
        await Wire.SendTextAsync(client, "last", timeout.Token);

        Assert.Equal("echo:fragmented", await Wire.ReceiveTextAsync(client, timeout.Token));
        Assert.Equal("echo:", await Wire.ReceiveTextAsync(client, timeout.Token));
        Assert.Equal("echo:last", await Wire.ReceiveTextAsync(client, timeout.Token));
        await Poll.UntilAsync(() => connection.WaitingWithoutBuffer, timeout.Token);
        Assert.Equal(["first", "fragmented", string.Empty, "last"], Assert.Single(harness.Endpoint.Sessions).Received);
    }

    [Fact]
    public async Task HandleMessage_ClientNotification_NoResponseButHandedOver()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        await Wire.SendTextAsync(client, "notify:1", timeout.Token);
        await Wire.SendTextAsync(client, "request", timeout.Token);

        // The first thing on the wire is the answer to the second message: the notification got none.
        Assert.Equal("echo:request", await Wire.ReceiveTextAsync(client, timeout.Token));
        Assert.Equal(["notify:1", "request"], Assert.Single(harness.Endpoint.Sessions).Received);
    }

    [Fact]
    public async Task TrySendNotification_OpenSession_DeliveredToClient()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);
        var session = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));

        var payload = JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "camera_status_update", @params = new { device = "camera0" } });
        Assert.True(session.Connection.TrySendNotification(Encoding.UTF8.GetBytes(payload)));

        Assert.Equal(payload, await Wire.ReceiveTextAsync(client, timeout.Token));
    }

    [Fact]
    public async Task Connect_BearerHeader_ReachesInitialCredential()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var withToken = await harness.ConnectAsync(timeout.Token, o => o.SetRequestHeader("Authorization", "Bearer abc.def.ghi"));
        var first = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));
        using var without = await harness.ConnectAsync(timeout.Token);
        var sessions = await harness.WaitForSessionsAsync(2, timeout.Token);

        Assert.Equal("abc.def.ghi", first.Connection.InitialCredential);
        Assert.Null(sessions[1].Connection.InitialCredential);
        Assert.Equal("127.0.0.1", first.Connection.RemoteAddress);
        Assert.NotEqual(first.Connection.ConnectionId, sessions[1].Connection.ConnectionId);
    }

    [Fact]
    public async Task Close_ClientCloses_SessionDisposed()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);
        var session = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        await Poll.UntilAsync(() => session.Disposed, timeout.Token);
        Assert.False(session.Connection.TrySendNotification("late"u8));
    }

    [Fact]
    public async Task Close_CoreClosesConnection_ClientGets1008WithReason()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);
        var session = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));

        session.Connection.Close("token revoked");

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await Wire.ReceiveCloseAsync(client, timeout.Token));
        Assert.Equal("token revoked", client.CloseStatusDescription);
        await Poll.UntilAsync(() => session.Disposed, timeout.Token);
    }

    [Fact]
    public async Task Receive_BinaryFrame_ClosedWith1003()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, timeout.Token);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await Wire.ReceiveCloseAsync(client, timeout.Token));
        Assert.Empty(Assert.Single(harness.Endpoint.Sessions).Received);
    }

    [Fact]
    public async Task Receive_MessageOverLimit_ClosedWith1009AndNotHandedOver()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?> { ["Api:MaxMessageBytes"] = "4096" });
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        await Wire.SendTextAsync(client, new string('a', 4096), timeout.Token);
        Assert.Equal("echo:" + new string('a', 4096), await Wire.ReceiveTextAsync(client, timeout.Token));
        await Wire.SendTextAsync(client, new string('b', 4097), timeout.Token);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await Wire.ReceiveCloseAsync(client, timeout.Token));
        var session = Assert.Single(harness.Endpoint.Sessions);
        Assert.Single(session.Received);
        await Poll.UntilAsync(() => session.Disposed, timeout.Token);
    }

    [Fact]
    public async Task SlowConsumer_DoesNotRead_ClosedWith1008WhileFastClientGetsEverything()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:OutboundQueueLength"] = "4",
            ["Api:MaxDroppedNotifications"] = "8",
            ["Api:CloseTimeout"] = "00:01:00",
            ["Api:SendTimeout"] = "00:05:00",
            ["Api:PingInterval"] = "00:30:00", // the slow client does not read, so it would not answer a ping
        });
        using var timeout = Wire.Timeout(120);
        using var slow = await harness.ConnectAsync(timeout.Token);
        var slowSession = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));
        using var fast = await harness.ConnectAsync(timeout.Token);
        var fastSession = (await harness.WaitForSessionsAsync(2, timeout.Token))[1];
        var slowConnection = Assert.IsType<WebSocketConnection>(slowSession.Connection);

        // Large notifications fill the socket buffers of the client that does not read; then its queue, then it
        // drops. The fast client reads each one before the next is pushed.
        var padding = new string('p', 256 * 1024);
        var delivered = 0;
        var slowDropped = 0;
        for (var i = 0; i < 2000 && slowConnection.ServerCloseStatus is null; i++)
        {
            var message = Encoding.UTF8.GetBytes("{\"n\":" + i + ",\"pad\":\"" + padding + "\"}");
            Assert.True(fastSession.Connection.TrySendNotification(message));
            if (!slowSession.Connection.TrySendNotification(message))
            {
                slowDropped++;
            }

            var received = await Wire.ReceiveTextAsync(fast, timeout.Token);
            Assert.StartsWith("{\"n\":" + i + ",", received, StringComparison.Ordinal);
            delivered++;
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, slowConnection.ServerCloseStatus);
        Assert.True(slowDropped >= 8);

        // The slow client finally reads: what was already on the wire, then the 1008 close frame.
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await Wire.ReceiveCloseAsync(slow, timeout.Token));
        await Poll.UntilAsync(() => slowSession.Disposed, timeout.Token);

        // The fast client is unaffected and still served.
        Assert.True(delivered > 8);
        await Wire.SendTextAsync(fast, "still here", timeout.Token);
        Assert.Equal("echo:still here", await Wire.ReceiveTextAsync(fast, timeout.Token));
        Assert.Equal(WebSocketState.Open, fast.State);
    }

    [Fact]
    public async Task SlowConsumer_SendStalledPastSendTimeout_SessionAbortedWhileFastClientServed()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:OutboundQueueLength"] = "1000",
            ["Api:MaxDroppedNotifications"] = "1000000",
            ["Api:SendTimeout"] = "00:00:01",

            // The slow client never reads, so it never answers a ping either: keep the keep-alive out of this test.
            ["Api:PingInterval"] = "00:30:00",
        });
        using var timeout = Wire.Timeout(120);
        using var slow = await harness.ConnectAsync(timeout.Token);
        var slowSession = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));
        using var fast = await harness.ConnectAsync(timeout.Token);
        var fastSession = (await harness.WaitForSessionsAsync(2, timeout.Token))[1];

        // Keep the queue topped up until the socket buffers of the client that does not read are full and a send
        // blocks. How much that takes depends on the machine (net.ipv4.tcp_rmem lets loopback autotune to 32 MiB),
        // so push until the session ends rather than a fixed amount.
        var message = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('p', 256 * 1024) + "\"}");
        while (!slowSession.Disposed)
        {
            if (!slowSession.Connection.TrySendNotification(message))
            {
                await Task.Delay(5, timeout.Token);
            }
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, Assert.IsType<WebSocketConnection>(slowSession.Connection).ServerCloseStatus);
        Assert.False(slowSession.Connection.TrySendNotification("{}"u8));
        Assert.True(fastSession.Connection.TrySendNotification("{\"n\":1}"u8));
        Assert.Equal("{\"n\":1}", await Wire.ReceiveTextAsync(fast, timeout.Token));
        await Wire.SendTextAsync(fast, "ok", timeout.Token);
        Assert.Equal("echo:ok", await Wire.ReceiveTextAsync(fast, timeout.Token));
    }
}

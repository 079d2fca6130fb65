using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace CameraService.Plugins.WebSocket.Tests;

public sealed class LimitsTests
{
    [Fact]
    public async Task Upgrade_OverConnectionLimit_503JsonBeforeUpgrade()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?> { ["Api:MaxConnections"] = "2" });
        using var timeout = Wire.Timeout();
        using var first = await harness.ConnectAsync(timeout.Token);
        using var second = await harness.ConnectAsync(timeout.Token);

        using var refused = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token);

        Assert.Equal(503, refused.Status);
        Assert.Contains("application/json", refused.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("too_many_connections", JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetString());
        Assert.Equal(2, harness.Endpoint.Sessions.Count);

        // A freed slot is usable again.
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        await Poll.UntilAsync(() => harness.Endpoint.Sessions[0].Disposed, timeout.Token);
        using var third = await harness.ConnectAsync(timeout.Token);
        await Wire.SendTextAsync(third, "hi", timeout.Token);
        Assert.Equal("echo:hi", await Wire.ReceiveTextAsync(third, timeout.Token));
    }

    [Fact]
    public async Task Upgrade_OriginNotAllowed_403JsonBeforeUpgrade()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?> { ["Api:AllowedOrigins:0"] = "https://ui.example" });
        using var timeout = Wire.Timeout();

        using var refused = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token, "Origin: https://evil.example");

        Assert.Equal(403, refused.Status);
        Assert.Equal("origin_not_allowed", JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetString());
        Assert.Empty(harness.Endpoint.Sessions);
    }

    [Fact]
    public async Task Upgrade_OriginAllowed_Accepted()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?> { ["Api:AllowedOrigins:0"] = "https://ui.example" });
        using var timeout = Wire.Timeout();

        using var client = await harness.ConnectAsync(timeout.Token, o => o.SetRequestHeader("Origin", "https://UI.example"));

        await Wire.SendTextAsync(client, "x", timeout.Token);
        Assert.Equal("echo:x", await Wire.ReceiveTextAsync(client, timeout.Token));
    }

    [Fact]
    public async Task Upgrade_NoOriginWithAllowList_Accepted()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?> { ["Api:AllowedOrigins:0"] = "https://ui.example" });
        using var timeout = Wire.Timeout();

        using var client = await harness.ConnectAsync(timeout.Token);

        await Wire.SendTextAsync(client, "x", timeout.Token);
        Assert.Equal("echo:x", await Wire.ReceiveTextAsync(client, timeout.Token));
    }

    [Fact]
    public async Task Upgrade_AnyOriginWithoutAllowList_Accepted()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();

        using var client = await harness.ConnectAsync(timeout.Token, o => o.SetRequestHeader("Origin", "https://anything.example"));

        Assert.Equal(WebSocketState.Open, client.State);
        Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));
    }

    [Fact]
    public async Task Get_WebSocketPathWithoutUpgrade_400Json()
    {
        await using var harness = await TransportHarness.StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(harness.HttpBase, "/ws"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("websocket_required", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task KeepAlive_QuietClient_StaysConnectedBeyondPingInterval()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:PingInterval"] = "00:00:01",
            ["Api:PongTimeout"] = "00:00:01",
        });
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        // Like any real client, it has a read pending (which answers pings) but sends nothing for 3+ intervals.
        var pending = Wire.ReceiveTextAsync(client, timeout.Token);
        await Task.Delay(TimeSpan.FromSeconds(3.5), timeout.Token);

        Assert.False(pending.IsCompleted);
        Assert.Equal(WebSocketState.Open, client.State);
        var session = Assert.Single(harness.Endpoint.Sessions);
        Assert.False(session.Disposed);
        await Wire.SendTextAsync(client, "alive", timeout.Token);
        Assert.Equal("echo:alive", await pending);
    }

    [Fact]
    public async Task KeepAlive_HandlerBusyLongerThanPongTimeout_ConnectionSurvives()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:PingInterval"] = "00:00:01",
            ["Api:PongTimeout"] = "00:00:01",
        });
        using var timeout = Wire.Timeout();
        using var client = await harness.ConnectAsync(timeout.Token);

        // While the core works on this message the reader loop is not reading; pongs must still count.
        await Wire.SendTextAsync(client, "slow:3500", timeout.Token);

        Assert.Equal("echo:slow:3500", await Wire.ReceiveTextAsync(client, timeout.Token));
        Assert.Equal(WebSocketState.Open, client.State);
        Assert.False(Assert.Single(harness.Endpoint.Sessions).Disposed);
    }

    [Fact]
    public async Task KeepAlive_PeerNeverAnswersPings_Dropped()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:PingInterval"] = "00:00:01",
            ["Api:PongTimeout"] = "00:00:01",
        });
        using var timeout = Wire.Timeout();

        // A raw socket that completes the upgrade and then never answers anything.
        using var peer = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token);
        Assert.Equal(101, peer.Status);
        var session = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));

        await Poll.UntilAsync(() => session.Disposed, timeout.Token);

        // What reached the peer: at least one ping (opcode 0x9), then the connection ended.
        var sawPing = false;
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await peer.Stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                sawPing |= (buffer[0] & 0x0F) == 0x9;
            }
        }
        catch (IOException)
        {
            // Reset by the server: the connection ended.
        }

        Assert.True(sawPing);
    }
}

using System.Text;
using System.Text.Json;

namespace CameraService.Plugins.WebSocket.Tests;

/// <summary>Issue 17, hole 2: one client must not exhaust the service (per-address cap, outbound queue in bytes).</summary>
public sealed class SecurityLimitsTests
{
    [Fact]
    public async Task OneAddress_OverItsCap_503WhileTheGlobalLimitHasRoom()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?> { ["Api:MaxConnectionsPerAddress"] = "2" });
        using var timeout = Wire.Timeout();
        using var first = await harness.ConnectAsync(timeout.Token);
        using var second = await harness.ConnectAsync(timeout.Token);

        using var refused = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token);
        using var spoofed = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token, "X-Forwarded-For: 10.9.9.9");

        Assert.Equal(503, refused.Status);
        Assert.Equal("too_many_connections_from_address", JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetString());

        // X-Forwarded-For from a peer that is not a trusted proxy is ignored: no fresh budget by lying.
        Assert.Equal(503, spoofed.Status);
        Assert.Equal(2, harness.Endpoint.Sessions.Count);
    }

    [Fact]
    public async Task TrustedProxy_ClientsBehindItHaveTheirOwnBudgets()
    {
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:MaxConnectionsPerAddress"] = "1",
            ["Api:TrustedProxies:0"] = "127.0.0.1",
        });
        using var timeout = Wire.Timeout();

        using var alice = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token, "X-Forwarded-For: 192.0.2.10");
        using var bob = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token, "X-Forwarded-For: 192.0.2.10, 192.0.2.20");
        using var aliceAgain = await RawUpgrade.SendAsync(harness.Port, "/ws", timeout.Token, "X-Forwarded-For: 192.0.2.10");

        Assert.Equal(101, alice.Status);
        Assert.Equal(101, bob.Status);
        Assert.Equal(503, aliceAgain.Status);
    }

    [Fact]
    public async Task ClientThatNeverReads_PinsAtMostMaxQueuedBytes()
    {
        // 1 MiB notifications to a client that never reads: with only a message bound (256) all 64 would be
        // queued (64 MiB held for one session); the byte bound drops them once 2 MiB wait (plus what the kernel's
        // socket buffers took).
        await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Api:MaxQueuedBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Api:MaxDroppedNotifications"] = "1000",
            ["Api:SendTimeout"] = "00:05:00",
        });
        using var timeout = Wire.Timeout(60);
        using var client = await harness.ConnectAsync(timeout.Token);
        var session = Assert.Single(await harness.WaitForSessionsAsync(1, timeout.Token));
        var message = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('p', 1024 * 1024) + "\"}");

        var accepted = 0;
        for (var i = 0; i < 64; i++)
        {
            if (session.Connection.TrySendNotification(message))
            {
                accepted++;
            }

            await Task.Delay(20, timeout.Token); // let the writer push what the socket takes
        }

        Assert.InRange(accepted, 1, 40);
    }
}

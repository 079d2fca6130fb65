using System.Collections.Concurrent;
using System.Diagnostics;
using CameraService.Client;
using CameraService.EndToEnd.Tests;
using Xunit.Abstractions;

namespace CameraService.Fleet.Tests;

/// <summary>Losing a node and losing NATS itself; each test leaves the fleet whole again.</summary>
[Collection(FleetCollection.Name)]
public sealed class FleetFaultTests(FleetFixture fleet, ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NodeKilled_CamerasDisconnected_RestartedConnectedWithTheSameIds()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway1);
        var before = await FleetFixture.BindingsAsync(client);
        var lost = before.Where(kv => kv.Key.Node == "n2").Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal);
        var kept = before.Where(kv => kv.Key.Node == "n1").Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var updates = new ConcurrentQueue<(string Device, string Status, TimeSpan At)>();
        client.CameraStatusChanged += (_, e) => updates.Enqueue((e.Device, e.Status, clock.Elapsed));

        var killedAt = clock.Elapsed;
        fleet.Nodes["n2"].Kill();

        Assert.True(await Media.WaitUntil(() => lost.All(id => updates.Any(u => u.Device == id && u.Status == "DISCONNECTED")), Generous),
            "the killed node's cameras never went DISCONNECTED at the gateway:\n" + fleet.Gateway1.Log);
        Assert.DoesNotContain(updates, u => kept.Contains(u.Device) && u.Status == "DISCONNECTED");
        var detected = updates.Where(u => u.Status == "DISCONNECTED").Max(u => u.At) - killedAt;
        output.WriteLine($"DISCONNECTED {detected.TotalSeconds:F2} s after SIGKILL (Fleet:NodeTimeout {FleetFixture.NodeTimeout.TotalSeconds} s)");

        var list = await client.CallAsync("get_camera_list");
        var statuses = list.GetProperty("cameras").EnumerateArray().ToDictionary(c => c.GetProperty("device").GetString()!, c => c.GetProperty("status").GetString()!);
        Assert.All(lost, id => Assert.Equal("DISCONNECTED", statuses[id]));
        Assert.All(kept, id => Assert.Equal("CONNECTED", statuses[id]));
        var routed = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = lost.First() }));
        Assert.Equal(-32050, routed.Code);

        var restartedAt = clock.Elapsed;
        await fleet.RestartNodeAsync("n2");
        Assert.True(await Media.WaitUntil(() => lost.All(id => updates.Any(u => u.Device == id && u.Status == "CONNECTED" && u.At > restartedAt)), Generous),
            "the restarted node's cameras never came back CONNECTED:\n" + fleet.Gateway1.Log);
        Assert.Equal(before.OrderBy(kv => kv.Value, StringComparer.Ordinal), (await FleetFixture.BindingsAsync(client)).OrderBy(kv => kv.Value, StringComparer.Ordinal));
        Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected == 4, Generous));
    }

    [Fact]
    public async Task NatsRestarted_EverythingRecoversWithoutAServiceRestart()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway2);
        var before = await FleetFixture.BindingsAsync(client);
        var clock = Stopwatch.StartNew();
        var updates = new ConcurrentQueue<(string Device, string Status, TimeSpan At)>();
        client.CameraStatusChanged += (_, e) => updates.Enqueue((e.Device, e.Status, clock.Elapsed));

        await fleet.Nats.StopAsync();

        // The gateway hears no node any more...
        Assert.True(await Media.WaitUntil(() => before.Values.All(id => updates.Any(u => u.Device == id && u.Status == "DISCONNECTED")), Generous),
            "the gateway never reported the cameras lost while NATS was down:\n" + fleet.Gateway2.Log);

        // ...while a node's own API keeps working standalone.
        var node = fleet.Nodes["n1"];
        var nodeToken = await node.CreateTokenAsync("operator");
        await using (var direct = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = node.WebSocketUrl, Token = nodeToken }))
        {
            Assert.Equal(2, (await direct.GetCameraListAsync()).Connected);
            var shot = await direct.TakeSnapshotAsync("camera0");
            Assert.True(shot.FileSize > 0);
        }

        var restartedAt = clock.Elapsed;
        await fleet.Nats.StartAsync();

        Assert.True(await Media.WaitUntil(() => before.Values.All(id => updates.Any(u => u.Device == id && u.Status == "CONNECTED" && u.At > restartedAt)), Generous),
            "the cameras never came back CONNECTED after NATS returned:\n" + fleet.Gateway2.Log);
        Assert.Equal(before.OrderBy(kv => kv.Value, StringComparer.Ordinal), (await FleetFixture.BindingsAsync(client)).OrderBy(kv => kv.Value, StringComparer.Ordinal));
        var list = await client.CallAsync("get_camera_list");
        var device = FleetFixture.CameraOf(list, "n2", 0).GetProperty("device").GetString()!;
        var routed = await client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = device });
        Assert.StartsWith(fleet.Nodes["n2"].BaseUrl, routed.GetProperty("download_url").GetString()!, StringComparison.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using CameraService.Client;
using CameraService.Client.Tests;
using Spectre.Console.Testing;

namespace CameraService.EndToEnd.Tests;

/// <summary>The typed client and camctl against the real service (issue 10).</summary>
public sealed class ClientEndToEndTests(FfmpegServiceFixture fixture) : IClassFixture<FfmpegServiceFixture>
{
    [Fact]
    public async Task Discover_RealService_ClientKnowsEveryMethodAndResultField()
    {
        var document = await fixture.Client.DiscoverAsync();

        Assert.True(document.GetProperty("methods").GetArrayLength() > 30);
        Assert.Empty(OpenRpcDrift.Find(document));
    }

    [Fact]
    public async Task Camctl_CamerasJson_ListsTheTestPatternCameras()
    {
        var (code, console, raw) = await CamctlAsync("cameras", "--json");

        Assert.True(code == 0, console + raw);
        using var doc = JsonDocument.Parse(raw);
        Assert.Equal(2, doc.RootElement.GetProperty("total").GetInt32());
        var devices = doc.RootElement.GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("device").GetString()).ToList();
        Assert.Contains("camera0", devices);
        Assert.All(doc.RootElement.GetProperty("cameras").EnumerateArray(), c => Assert.Equal("CONNECTED", c.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Camctl_Snapshot_WritesTheJpegToTheGivenFile()
    {
        var target = Path.Combine(fixture.Root, $"camctl-{Guid.NewGuid():N}.jpg");

        var (code, console, raw) = await CamctlAsync("snapshot", "camera0", "-o", target);

        Assert.True(code == 0, console + raw);
        var bytes = await File.ReadAllBytesAsync(target);
        Assert.Equal([0xFF, 0xD8], bytes[..2]);
        var probe = await Media.ProbeAsync(target);
        Assert.Equal((320, 240), (probe.Width, probe.Height));
        var listed = await fixture.Client.ListSnapshotsAsync(device: "camera0");
        Assert.Contains(listed.Files, f => f.FileSize == bytes.Length);
    }

    [Fact]
    public async Task Reconnect_ServiceRestarted_ClientReauthenticatesAndSubscriptionRestored()
    {
        // v4l2 fake device tree next to the test pattern: plugging a fake camera after the restart makes the service
        // send camera_status_update to the restored subscription (the test pattern's cameras appear before the
        // listener is up, so they cannot prove it).
        var root = Directory.CreateTempSubdirectory("cs-e2e-reconnect-").FullName;
        var dev = Path.Combine(root, "dev");
        var sys = Path.Combine(root, "sys");
        Directory.CreateDirectory(dev);
        Directory.CreateDirectory(sys);
        try
        {
            var settings = FfmpegServiceFixture.FfmpegSettings(root);
            settings["Plugins:TestPattern:Enabled"] = "true";
            settings["Plugins:TestPattern:Count"] = "1";
            settings["CameraService:CameraSources:0"] = "testpattern";
            settings["CameraService:CameraSources:1"] = "v4l2";
            settings["Plugins:V4l2:DeviceRoot"] = dev;
            settings["Plugins:V4l2:SysfsRoot"] = sys;
            settings["Plugins:V4l2:FakeDevicesDirectory"] = "fixtures/v4l2";
            await using var service = new ServiceProcess(root, settings);
            await service.StartAsync(TimeSpan.FromSeconds(90));
            var token = await service.CreateTokenAsync("viewer");
            await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions
            {
                Url = service.WebSocketUrl, Token = token, ReconnectDelay = TimeSpan.FromMilliseconds(300),
            });
            var updates = new ConcurrentQueue<CameraStatusUpdate>();
            var reconnects = new ConcurrentQueue<Exception?>();
            client.CameraStatusChanged += (_, e) => updates.Enqueue(e);
            client.Reconnected += (_, e) => reconnects.Enqueue(e);
            await client.SubscribeAsync(["camera.connected"]);
            Assert.Equal(["camera.connected"], (await client.GetSubscriptionStatsAsync()).ClientTopics);

            await service.StopAsync();
            await service.StartAsync(TimeSpan.FromSeconds(90));

            Assert.True(await Media.WaitUntil(() => !reconnects.IsEmpty, TimeSpan.FromSeconds(30)), "the client never reconnected:\n" + service.Log);
            Assert.Null(reconnects.First());
            var stats = await client.GetSubscriptionStatsAsync();
            Assert.Equal(["camera.connected"], stats.ClientTopics);
            Assert.Equal(1, (await client.GetCameraListAsync()).Total);

            updates.Clear();
            await File.WriteAllTextAsync(Path.Combine(dev, ".video0"), "usb2-pc-camera.txt\n");
            File.Move(Path.Combine(dev, ".video0"), Path.Combine(dev, "video0"));

            Assert.True(await Media.WaitUntil(() => updates.Any(u => u.Status == "CONNECTED" && u.Device != "camera0"), TimeSpan.FromSeconds(30)),
                "no camera_status_update reached the reconnected client:\n" + service.Log);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<(int Code, string Console, string Raw)> CamctlAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        using var raw = new StringWriter();
        var code = await CameraService.Camctl.Program.Run([.. args, "--url", fixture.Service.WebSocketUrl.ToString(), "--token", fixture.Token], console, raw)
            .WaitAsync(TimeSpan.FromSeconds(60));
        return (code, console.Output, raw.ToString());
    }
}

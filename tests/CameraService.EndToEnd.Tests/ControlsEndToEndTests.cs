using System.Diagnostics;
using System.Text.Json;
using CameraService.Client;
using Spectre.Console.Testing;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// Camera controls through the real service: a fake UVC camera (C920 fixture) of the v4l2 plugin — list, set through
/// the .NET client and camctl, persisted across replug and service restart, reset — and the test pattern's synthetic
/// brightness, visible in a snapshot.
/// </summary>
public sealed class ControlsEndToEndTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task UvcCamera_ListSetPersistAcrossReplugAndRestart_Reset()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-controls-").FullName;
        var dev = Path.Combine(root, "dev");
        Directory.CreateDirectory(dev);
        Directory.CreateDirectory(Path.Combine(root, "sys"));
        try
        {
            var settings = FfmpegServiceFixture.FfmpegSettings(root);
            settings["CameraService:CameraSources:0"] = "v4l2";
            settings["Plugins:V4l2:DeviceRoot"] = dev;
            settings["Plugins:V4l2:SysfsRoot"] = Path.Combine(root, "sys");
            settings["Plugins:V4l2:FakeDevicesDirectory"] = "fixtures/v4l2";
            Plug(dev, "1");
            await using var service = new ServiceProcess(root, settings);
            await service.StartAsync(TimeSpan.FromSeconds(90));
            var token = await service.CreateTokenAsync("operator");
            await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions
            {
                Url = service.WebSocketUrl, Token = token, ReconnectDelay = TimeSpan.FromMilliseconds(300),
            });
            var changes = new System.Collections.Concurrent.ConcurrentQueue<CameraControlsChanged>();
            client.CameraControlsChanged += (_, e) => changes.Enqueue(e);
            await client.SubscribeAsync(["camera.controls"]);
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected == 1, Patience), service.Log);

            // List: every control of the UVC camera, typed, with menus and flags.
            var listed = await client.GetCameraControlsAsync("camera0");
            Assert.Equal(17, listed.Controls.Count);
            Assert.True(listed.Controls.Single(c => c.Name == "exposure_time_absolute").Inactive);
            Assert.Equal(["Disabled", "50 Hz", "60 Hz"], listed.Controls.Single(c => c.Name == "power_line_frequency").Menu!.Select(m => m.Label));
            var caps = await client.GetCameraCapabilitiesAsync("camera0");
            Assert.Equal(17, caps.Controls!.Count);
            Assert.Contains("1920x1080", caps.FrameRates!.Keys);

            // Set through the client (auto mode and the manual value it enables) and through camctl.
            var set = await client.SetCameraControlsAsync("camera0", new Dictionary<string, long> { ["exposure_time_absolute"] = 300, ["auto_exposure"] = 1 });
            Assert.Equal(300, set.Applied["exposure_time_absolute"]);
            var (code, output) = await CamctlAsync(service, token, "set", "camera0", "brightness=150", "power_line_frequency=60 Hz");
            Assert.True(code == 0, output);
            Assert.Equal(150, await ValueAsync(client, "brightness"));
            Assert.True(await Media.WaitUntil(() => changes.Any(c => c.Controls.GetValueOrDefault("brightness") == 150), Patience), "no camera_controls_changed for the set");

            // All or nothing: one bad value, nothing changes.
            var refused = await Assert.ThrowsAsync<InvalidParamsException>(() => client.SetCameraControlsAsync(
                "camera0", new Dictionary<string, long> { ["contrast"] = 10, ["zoom_absolute"] = 9999, ["saturation"] = 10 }));
            Assert.Equal("controls.zoom_absolute", refused.DataString("param"));
            Assert.Equal(128, await ValueAsync(client, "contrast"));

            // Replug: the camera comes back with its own defaults; the service writes the saved values again.
            File.Delete(Path.Combine(dev, "video0"));
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected == 0, Patience), service.Log);
            Plug(dev, "2");
            Assert.True(await Media.WaitUntilAsync(async () => await TryValueAsync(client, "brightness") == 150, Patience), "not re-applied after replug:\n" + service.Log);
            Assert.Equal(300, await ValueAsync(client, "exposure_time_absolute"));
            Assert.Equal(2, await ValueAsync(client, "power_line_frequency"));

            // Restart: a new process sees the camera at its defaults and re-applies the saved values.
            await service.StopAsync();
            await service.StartAsync(TimeSpan.FromSeconds(90));
            Assert.True(await Media.WaitUntilAsync(async () => await TryValueAsync(client, "brightness") == 150, Patience), "not re-applied after restart:\n" + service.Log);
            Assert.Equal(1, await ValueAsync(client, "auto_exposure"));

            // Reset: defaults, and nothing is saved any more.
            var reset = await client.ResetCameraControlsAsync("camera0");
            Assert.True(reset.Reset);
            Assert.Equal(128, await ValueAsync(client, "brightness"));
            Assert.Equal(3, await ValueAsync(client, "auto_exposure"));
            using var saved = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "state", "camera-controls.json")));
            Assert.Equal(0, saved.RootElement.GetProperty("cameras").GetArrayLength());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task TestPattern_Brightness_SnapshotIsBrighter()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-tp-controls-").FullName;
        try
        {
            var settings = FfmpegServiceFixture.OneTestPatternSettings(root);
            await using var service = new ServiceProcess(root, settings);
            await service.StartAsync(TimeSpan.FromSeconds(90));
            await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions
            {
                Url = service.WebSocketUrl, Token = await service.CreateTokenAsync("operator"),
            });
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected == 1, Patience), service.Log);
            var before = await SnapshotLumaAsync(client, root);

            await client.SetCameraControlsAsync("camera0", new Dictionary<string, long> { ["brightness"] = 60 });

            // The backend restarts the camera's ffmpeg with the new filter; a snapshot shows it once the new frames flow.
            var after = before;
            Assert.True(
                await Media.WaitUntilAsync(async () => (after = await SnapshotLumaAsync(client, root)) > before + 40, TimeSpan.FromSeconds(60)),
                $"mean luma stayed {after:0.0} (before {before:0.0}):\n{service.Log}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Plug(string dev, string plug)
    {
        var temp = Path.Combine(dev, ".video0");
        File.WriteAllText(temp, $"c920-h264.txt\nplug={plug}\n");
        File.Move(temp, Path.Combine(dev, "video0"));
    }

    private static async Task<long?> ValueAsync(CameraServiceClient client, string name) =>
        (await client.GetCameraControlsAsync("camera0")).Controls.Single(c => c.Name == name).Value;

    private static async Task<long?> TryValueAsync(CameraServiceClient client, string name)
    {
        try
        {
            return await ValueAsync(client, name);
        }
        catch (Exception ex) when (ex is CameraServiceApiException or CameraServiceConnectionException)
        {
            // Not connected yet (-32020) or the client is reconnecting after the restart.
            return null;
        }
    }

    private static async Task<(int Code, string Output)> CamctlAsync(ServiceProcess service, string token, params string[] args)
    {
        var console = new TestConsole().Width(250);
        using var raw = new StringWriter();
        var code = await CameraService.Camctl.Program.Run([.. args, "--url", service.WebSocketUrl.ToString(), "--token", token], console, raw)
            .WaitAsync(TimeSpan.FromSeconds(60));
        return (code, console.Output + raw);
    }

    /// <summary>Takes a snapshot, downloads it and averages its grey levels with ffmpeg; 0 while no snapshot can be taken.</summary>
    private static async Task<double> SnapshotLumaAsync(CameraServiceClient client, string root)
    {
        SnapshotResult shot;
        try
        {
            shot = await client.TakeSnapshotAsync("camera0");
        }
        catch (CameraServiceApiException)
        {
            return 0; // The stream is restarting.
        }

        using var http = new HttpClient();
        var path = Path.Combine(root, shot.Filename);
        await File.WriteAllBytesAsync(path, await http.GetByteArrayAsync(new Uri(shot.DownloadUrl)));
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var frame = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _ = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardOutput.BaseStream.CopyToAsync(frame, timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var bytes = frame.ToArray();
        return bytes.Length == 0 ? 0 : bytes.Average(b => (double)b);
    }
}

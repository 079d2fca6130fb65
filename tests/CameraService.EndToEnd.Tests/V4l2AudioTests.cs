using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// A USB camera's microphone through the real service (issue 21 item 5): the v4l2 plugin in fake-device mode, with a
/// sysfs and procfs laid out as the kernel does for a UVC webcam whose USB device also has a sound card (the layout
/// FakeDeviceTree writes, see docs/v4l2.md; written here by hand because this project does not load the fakes assembly).
/// </summary>
public sealed class V4l2AudioTests
{
    private const string WithMicrophone = "usb-046d_082d_5E6F7A8B";
    private const string WithoutMicrophone = "usb-046d_082d_A1B2C3D4";

    [Fact]
    public async Task CameraWithAMicrophoneOfItsUsbDevice_HasAudio_OneWithout_RefusesAudioTrue()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-v4l2-audio-").FullName;
        try
        {
            var (dev, sys, proc) = (Path.Combine(root, "dev"), Path.Combine(root, "sys"), Path.Combine(root, "proc"));
            PlugUsbCamera(dev, sys, "video0", "c920-mic.txt", "1-5", "5E6F7A8B");
            PlugSoundCard(sys, proc, "1-5", card: 1, id: "C920", "    Channels: 2\n    Rates: 16000, 24000, 32000\n");
            PlugUsbCamera(dev, sys, "video2", "c920-h264.txt", "1-2", "A1B2C3D4");
            var settings = FfmpegServiceFixture.FfmpegSettings(root);
            settings["CameraService:CameraSources:0"] = "v4l2";
            settings["Plugins:V4l2:DeviceRoot"] = dev;
            settings["Plugins:V4l2:SysfsRoot"] = sys;
            settings["Plugins:V4l2:ProcfsRoot"] = proc;
            settings["Plugins:V4l2:FakeDevicesDirectory"] = "fixtures/v4l2";
            await using var service = new ServiceProcess(root, settings);
            await service.StartAsync(TimeSpan.FromSeconds(90));
            await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = await service.CreateTokenAsync("operator") });
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected == 2, TimeSpan.FromSeconds(30)), service.Log);
            var cameras = (await client.GetCameraListAsync()).Cameras;
            var withMicrophone = cameras.Single(c => c.StableId == WithMicrophone).Device;
            var withoutMicrophone = cameras.Single(c => c.StableId == WithoutMicrophone).Device;

            Assert.True((await client.GetCameraCapabilitiesAsync(withMicrophone)).Audio);
            Assert.False((await client.GetCameraCapabilitiesAsync(withoutMicrophone)).Audio);
            var refused = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() =>
                client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = withoutMicrophone, ["audio"] = true }));
            Assert.Equal((-32030, "audio"), (refused.Code, refused.DataString("feature")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void PlugUsbCamera(string dev, string sys, string node, string fixture, string port, string serial)
    {
        var usb = UsbDevice(sys, port);
        File.WriteAllText(Path.Combine(usb, "idVendor"), "046d\n");
        File.WriteAllText(Path.Combine(usb, "idProduct"), "082d\n");
        File.WriteAllText(Path.Combine(usb, "serial"), serial + "\n");
        var video = Directory.CreateDirectory(Path.Combine(usb, port + ":1.0", "video4linux", node)).FullName;
        File.WriteAllText(Path.Combine(video, "name"), "HD Pro Webcam C920\n");
        File.WriteAllText(Path.Combine(video, "index"), "0\n");
        Link(Path.Combine(sys, "class", "video4linux", node), video);
        Directory.CreateDirectory(dev);
        File.WriteAllText(Path.Combine(dev, "." + node), fixture + "\n");
        File.Move(Path.Combine(dev, "." + node), Path.Combine(dev, node));
    }

    private static void PlugSoundCard(string sys, string proc, string port, int card, string id, string capture)
    {
        var cardDir = Directory.CreateDirectory(Path.Combine(UsbDevice(sys, port), port + ":1.2", "sound", $"card{card}")).FullName;
        Directory.CreateDirectory(Path.Combine(cardDir, $"pcmC{card}D0c"));
        File.WriteAllText(Path.Combine(cardDir, "id"), id + "\n");
        Link(Path.Combine(sys, "class", "sound", $"card{card}"), cardDir);
        var asound = Directory.CreateDirectory(Path.Combine(proc, "asound", $"card{card}")).FullName;
        File.WriteAllText(Path.Combine(asound, "stream0"), $"{id} at usb-0000:00:14.0-5, high speed : USB Audio\n\nCapture:\n  Interface 3\n    Altset 1\n    Format: S16_LE\n{capture}");
    }

    private static string UsbDevice(string sys, string port) =>
        Directory.CreateDirectory(Path.Combine(sys, "devices", "pci0000:00", "0000:00:14.0", "usb1", port)).FullName;

    private static void Link(string link, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, target));
    }
}

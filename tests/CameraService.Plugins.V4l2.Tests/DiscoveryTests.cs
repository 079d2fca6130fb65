using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Tests.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class DiscoveryTests
{
    private const string C270 = "usb-046d_0825_2F8E3C10";
    private const string C920 = "usb-046d_082d_A1B2C3D4";

    [Fact]
    public async Task StartAsync_UvcWebcamWithMetadataNode_ReportsOnlyTheCaptureNode()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "uvc-webcam.txt");
        h.Tree.Plug("video1", "uvc-webcam-meta.txt");

        await h.StartAsync();

        var camera = Assert.Single(h.Source.GetCameras());
        Assert.Equal(C270, camera.StableId);
        Assert.Equal(Path.Combine(h.Tree.DeviceRoot, "video0"), camera.DevicePath);
        Assert.Equal("C270 HD WEBCAM", camera.Name);
        Assert.Equal("uvcvideo", camera.Driver);
        Assert.Equal("usb-0000:00:14.0-1", camera.BusInfo);
        Assert.Equal(CameraState.Available, camera.State);
        Assert.Equal("v4l2", camera.Source);
        var added = Assert.Single(h.Events);
        Assert.Equal(CameraChangeKind.Added, added.Kind);
    }

    [Fact]
    public async Task StartAsync_UvcWebcam_ListsFormatsSizesAndRatesWithoutDuplicates()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "uvc-webcam.txt");

        await h.StartAsync();

        var camera = h.Camera(C270);
        Assert.Equal(["YUYV", "MJPG"], camera.Formats.Select(f => f.FourCc));
        var mjpg = camera.Formats.Single(f => f.FourCc == "MJPG");
        Assert.True(mjpg.Compressed);
        Assert.Equal("Motion-JPEG", mjpg.Description);
        Assert.False(camera.Formats.Single(f => f.FourCc == "YUYV").Compressed);
        var vga = mjpg.Sizes.Single(s => s.Width == 640 && s.Height == 480);
        Assert.Equal([30d, 25, 20, 15, 10, 5], vga.FrameRates); // the fixture lists 30 fps twice
        var hd = camera.Formats.Single(f => f.FourCc == "YUYV").Sizes.Single(s => s.Width == 1280 && s.Height == 720);
        Assert.Equal([10d, 7.5, 5], hd.FrameRates);
        foreach (var size in camera.Formats.SelectMany(f => f.Sizes))
        {
            Assert.Equal(size.FrameRates.OrderByDescending(r => r).Distinct(), size.FrameRates);
        }
    }

    [Fact]
    public async Task StartAsync_UvcWebcam_ListsControlsWithCurrentValues()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "uvc-webcam.txt");

        await h.StartAsync();

        var controls = h.Camera(C270).Controls;
        var brightness = controls.Single(c => c.Name == "Brightness");
        Assert.Equal(new CameraControl { Id = 0x00980900, Name = "Brightness", Type = "int", Minimum = 0, Maximum = 255, Step = 1, Default = 128, Current = 128 }, brightness);
        var powerLine = controls.Single(c => c.Id == 0x00980918);
        Assert.Equal("menu", powerLine.Type);
        Assert.Equal(2, powerLine.Default);
        Assert.Equal(1, powerLine.Current);
        Assert.Equal("bool", controls.Single(c => c.Id == 0x0098090c).Type);
        Assert.Contains(controls, c => c.Id == 0x009a0901 && c.Name == "Auto Exposure");
    }

    [Fact]
    public async Task StartAsync_UvcWebcam_CaptureInputPrefersMjpegAtLargestSizeAndEnoughFps()
    {
        await using var h = new SourceHarness();
        var path = h.Tree.Plug("video0", "uvc-webcam.txt");

        await h.StartAsync();

        var input = h.Camera(C270).CaptureInput!;
        Assert.Equal("MJPG", input.Video.PixelFormat);
        Assert.Equal((1280, 960, 30d), (input.Video.Width, input.Video.Height, input.Video.FrameRate));
        Assert.Equal(path, Assert.IsType<DeviceCaptureInput>(input).DevicePath);
        Assert.Null(input.Audio);
    }

    [Fact]
    public async Task StartAsync_H264Camera_CaptureInputIsH264()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video2", "c920-h264.txt");

        await h.StartAsync();

        var camera = h.Camera(C920);
        Assert.Equal(["YUYV", "H264", "MJPG"], camera.Formats.Select(f => f.FourCc));
        var input = camera.CaptureInput!;
        Assert.IsType<DeviceCaptureInput>(input);
        Assert.Equal(("H264", 1920, 1080, 30d), (input.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
        Assert.Contains(camera.Controls, c => c.Name == "Zoom Absolute" && c.Minimum == 100 && c.Maximum == 500);
    }

    [Fact]
    public async Task StartAsync_HdmiCaptureCard_HonoursMaxSizeAndMaxFps()
    {
        await using var h = new SourceHarness(o =>
        {
            o.MaxWidth = 1280;
            o.MaxHeight = 720;
        });
        h.Tree.Plug("video0", "hdmi-capture.txt");

        await h.StartAsync();

        var camera = Assert.Single(h.Source.GetCameras());
        Assert.Equal("usb-534d_2109-0000_00_14.0-2-1", camera.StableId);
        Assert.Equal("USB Video: USB Video", camera.Name);
        var mjpg720 = camera.Formats.Single(f => f.FourCc == "MJPG").Sizes.Single(s => s.Width == 1280 && s.Height == 720);
        Assert.Equal([60d, 50, 30, 20, 10, 5], mjpg720.FrameRates);
        var input = camera.CaptureInput!;
        Assert.Equal(("MJPG", 1280, 720, 30d), (input.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
    }

    [Fact]
    public async Task StartAsync_StepwiseCamera_ExpandsRangesIntoConcreteSizesAndRates()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "pi-camera.txt");

        await h.StartAsync();

        var camera = Assert.Single(h.Source.GetCameras());
        Assert.Equal("bus-platform_bcm2835-v4l2-0", camera.StableId);
        var h264 = camera.Formats.Single(f => f.FourCc == "H264");
        Assert.Equal((2592, 1944), (h264.Sizes[0].Width, h264.Sizes[0].Height));
        Assert.Contains(h264.Sizes, s => s.Width == 1920 && s.Height == 1080);
        Assert.Contains(h264.Sizes, s => s.Width == 32 && s.Height == 32);
        Assert.Equal([90d, 60, 50, 30, 25, 24, 20, 15, 10, 5, 1], h264.Sizes[0].FrameRates);
        Assert.Equal(("H264", 1920, 1080, 30d), (camera.CaptureInput!.Video.PixelFormat, camera.CaptureInput.Video.Width, camera.CaptureInput.Video.Height, camera.CaptureInput.Video.FrameRate));
    }

    [Fact]
    public async Task StartAsync_TwoIdenticalCamerasOnDifferentPorts_GetDistinctStableIds()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "usb2-pc-camera.txt", usbPort: "1-3");
        h.Tree.Plug("video2", "usb2-pc-camera.txt", usbPort: "1-4");

        await h.StartAsync();

        var ids = h.Source.GetCameras().Select(c => c.StableId).Order().ToList();
        Assert.Equal(["usb-1908_2311-0000_00_14.0-1-3", "usb-1908_2311-0000_00_14.0-1-4"], ids);
        Assert.Equal(["usb-0000:00:14.0-3", "usb-0000:00:14.0-4"], h.Source.GetCameras().Select(c => c.BusInfo!).Order());
    }

    [Fact]
    public async Task StartAsync_BusyDevice_ReportsErrorCameraWithReason()
    {
        await using var h = new SourceHarness();
        var path = h.Tree.Plug("video0", "busy-camera.txt");

        await h.StartAsync();

        var camera = Assert.Single(h.Source.GetCameras());
        Assert.Equal("usb-0c45_6366_SN0001", camera.StableId);
        Assert.Equal(CameraState.Error, camera.State);
        Assert.Contains("busy", camera.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Null(camera.CaptureInput);
        Assert.Equal(path, camera.DevicePath);
        Assert.Equal("USB Live camera: USB Live cam", camera.Name); // from sysfs, the device could not be asked
        Assert.DoesNotContain(h.Tree.Root, camera.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PermissionDenied_ReportsErrorWithVideoGroupHint()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "c920-h264.txt", openErrors: Enumerable.Repeat("EACCES", 100).ToList());

        await h.StartAsync();

        var camera = h.Camera(C920);
        Assert.Equal(CameraState.Error, camera.State);
        Assert.Contains("'video' group", camera.Error, StringComparison.Ordinal);
        Assert.Empty(camera.Formats);
    }

    [Fact]
    public async Task StartAsync_EveryFixtureAtOnce_FindsEachCaptureDeviceOnce()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "uvc-webcam.txt");
        h.Tree.Plug("video1", "uvc-webcam-meta.txt");
        h.Tree.Plug("video2", "c920-h264.txt");
        h.Tree.Plug("video4", "hdmi-capture.txt");
        h.Tree.Plug("video6", "usb2-pc-camera.txt", usbPort: "1-3");
        h.Tree.Plug("video8", "usb2-pc-camera.txt", usbPort: "1-4");
        h.Tree.Plug("video10", "pi-camera.txt");
        h.Tree.Plug("video12", "busy-camera.txt");

        await h.StartAsync();

        var cameras = h.Source.GetCameras();
        Assert.Equal(7, cameras.Count);
        Assert.Equal(7, cameras.Select(c => c.StableId).Distinct().Count());
        Assert.Equal(6, cameras.Count(c => c.State == CameraState.Available));
        Assert.Equal(7, h.Events.Count(e => e.Kind == CameraChangeKind.Added));
        Assert.All(cameras, c => Assert.Matches("^[A-Za-z0-9._-]+$", c.StableId));
    }

    [Fact]
    public async Task StartAsync_MissingDeviceRoot_StartsWithNoCameras()
    {
        await using var h = new SourceHarness(o => o.DeviceRoot = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid()));

        await h.StartAsync();

        Assert.Empty(h.Source.GetCameras());
    }

    [Fact]
    public async Task StartAsync_NodeThatIsNoV4l2Device_IsReportedInError()
    {
        await using var h = new SourceHarness();
        await File.WriteAllTextAsync(Path.Combine(h.Tree.DeviceRoot, "video5"), "no-such-fixture.txt\n");

        await h.StartAsync();

        var camera = Assert.Single(h.Source.GetCameras());
        Assert.Equal(CameraState.Error, camera.State);
        Assert.Contains("V4L2", camera.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PerCameraOverride_SelectsConfiguredMode()
    {
        await using var h = new SourceHarness(o => o.Cameras[C920] = new V4l2CameraOptions { PixelFormat = "YUYV", Width = 640, Height = 480, Fps = 15 });
        h.Tree.Plug("video0", "c920-h264.txt");

        await h.StartAsync();

        var input = h.Camera(C920).CaptureInput!;
        Assert.Equal(("YUYV", 640, 480, 15d), (input.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
    }
}

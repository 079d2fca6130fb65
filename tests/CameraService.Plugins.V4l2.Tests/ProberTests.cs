using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class ProberTests : IDisposable
{
    private readonly DirectoryInfo _fixtures = Directory.CreateTempSubdirectory("v4l2-fixtures-");

    public void Dispose() => _fixtures.Delete(recursive: true);

    private ProbeOutcome Probe(string fixtureText)
    {
        File.WriteAllText(Path.Combine(_fixtures.FullName, "device.txt"), fixtureText);
        using var tree = FakeDeviceTree.CreateTemporary(_fixtures.FullName);
        var path = tree.Plug("video0", "device.txt");
        return new DeviceProber(new FakeVideoSyscalls(_fixtures.FullName)).Probe(path);
    }

    [Fact]
    public void Probe_MultiplanarCaptureDevice_EnumeratesMultiplanarFormats()
    {
        var outcome = Probe("""
            Driver Info:
            	Driver name      : rkisp1
            	Card type        : rkisp1
            	Bus info         : platform:rkisp1
            	Capabilities     : 0xa4201000
            	Device Caps      : 0x24201000
            ioctl: VIDIOC_ENUM_FMT
            	Type: Video Capture Multiplanar

            	[0]: 'NV12' (Y/UV 4:2:0)
            		Size: Stepwise 64x64 - 4032x3024 with step 64/8
            """);

        Assert.Equal(ProbeStatus.Capture, outcome.Status);
        var format = Assert.Single(outcome.Device!.Formats);
        Assert.Equal("NV12", format.FourCc);
        Assert.Equal((4032, 3024), (format.Sizes[0].Width, format.Sizes[0].Height));
        Assert.Contains(format.Sizes, s => s.Width == 1920 && s.Height == 1080);
        Assert.Contains(format.Sizes, s => s.Width == 64 && s.Height == 64);
        Assert.DoesNotContain(format.Sizes, s => s.Width == 2592); // (2592 - 64) is no multiple of the 64-pixel step
    }

    [Theory]
    [InlineData("0x04208000")] // video M2M (codec)
    [InlineData("0x04204000")] // video M2M multiplanar
    [InlineData("0x04200002")] // video output
    [InlineData("0x04a00000")] // metadata capture
    public void Probe_NonCameraDeviceCaps_IsNotCapture(string deviceCaps)
    {
        var outcome = Probe($"""
            Driver Info:
            	Driver name      : x
            	Card type        : x
            	Bus info         : platform:x
            	Capabilities     : 0x84a0c003
            	Device Caps      : {deviceCaps}
            """);

        Assert.Equal(ProbeStatus.NotCapture, outcome.Status);
    }

    [Fact]
    public void Probe_DriverWithoutDeviceCaps_UsesCapabilities()
    {
        var outcome = Probe("""
            Driver Info:
            	Driver name      : old
            	Card type        : Old Camera
            	Bus info         : usb-0000:00:1d.0-1
            	Capabilities     : 0x05000001
            ioctl: VIDIOC_ENUM_FMT
            	Type: Video Capture

            	[0]: 'YUYV' (YUYV 4:2:2)
            		Size: Discrete 640x480
            			Interval: Discrete 0.067s (15.000 fps)
            """);

        Assert.Equal(ProbeStatus.Capture, outcome.Status);
        Assert.Equal([15d], outcome.Device!.Formats[0].Sizes[0].FrameRates);
    }

    [Fact]
    public void Probe_ContinuousSizesAndStepwiseIntervals_AreExpanded()
    {
        var outcome = Probe("""
            Driver Info:
            	Driver name      : vivid
            	Card type        : vivid
            	Bus info         : platform:vivid-000
            	Capabilities     : 0x85200001
            	Device Caps      : 0x05200001
            ioctl: VIDIOC_ENUM_FMT
            	Type: Video Capture

            	[0]: 'YUYV' (YUYV 4:2:2)
            		Size: Continuous 16x16 - 1280x720
            			Interval: Stepwise 0.017s - 1.000s with step 0.001s (1.000-60.000 fps)
            """);

        var sizes = outcome.Device!.Formats[0].Sizes;
        Assert.Equal((1280, 720), (sizes[0].Width, sizes[0].Height));
        Assert.Contains(sizes, s => s.Width == 640 && s.Height == 480);
        Assert.Equal((16, 16), (sizes[^1].Width, sizes[^1].Height));
        Assert.DoesNotContain(sizes, s => s.Width > 1280);
        Assert.Equal([60d, 50, 30, 25, 24, 20, 15, 10, 5, 1], sizes[0].FrameRates);
    }
}

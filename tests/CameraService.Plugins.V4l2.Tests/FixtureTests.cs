using CameraService.Plugins.V4l2.Fakes;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class FixtureTests
{
    public static TheoryData<string> BundledFixtures() =>
        [.. Directory.EnumerateFiles(FakeDeviceTree.BundledFixturesDirectory, "*.txt").Select(f => Path.GetFileName(f)).Order()];

    [Theory]
    [MemberData(nameof(BundledFixtures))]
    public void Load_EveryBundledFixture_Parses(string name)
    {
        var fixture = Fixture.Load(Path.Combine(FakeDeviceTree.BundledFixturesDirectory, name));

        Assert.NotEqual(0u, fixture.DeviceCaps);
        Assert.NotEmpty(fixture.Driver);
        Assert.NotEmpty(fixture.Formats);
    }

    [Fact]
    public void Parse_PlainV4l2CtlOutputWithoutDirectives_Works()
    {
        const string text = """
            Driver Info:
            	Driver name      : uvcvideo
            	Card type        : Integrated Camera
            	Bus info         : usb-0000:00:14.0-8
            	Capabilities     : 0x84a00001
            	Device Caps      : 0x04200001
            ioctl: VIDIOC_ENUM_FMT
            	Type: Video Capture

            	[0]: 'MJPG' (Motion-JPEG, compressed)
            		Size: Discrete 1280x720
            			Interval: Discrete 0.033s (30.000 fps)
            			Interval: Discrete 0.033s (29.970 fps)
            """;

        var fixture = Fixture.Parse("laptop.txt", text);

        Assert.Equal("Integrated Camera", fixture.Card);
        var format = Assert.Single(fixture.Formats);
        Assert.Equal(Vdev.FourCc("MJPG"), format.PixelFormat);
        Assert.Equal(Vdev.FmtFlagCompressed, format.Flags);
        Assert.Equal(2, format.Sizes[0].Intervals.Count);
        Assert.Equal(Vdev.FourCc("MJPG"), fixture.CurrentPixelFormat);
        Assert.Null(fixture.Identity.UsbVendor);
    }

    [Fact]
    public void Parse_NoDriverInfo_ThrowsWithHint()
    {
        var error = Assert.Throws<FormatException>(() => Fixture.Parse("x.txt", "hello\n"));

        Assert.Contains("v4l2-ctl --all --list-formats-ext", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownErrnoDirective_Throws() =>
        Assert.Throws<FormatException>(() => Fixture.Parse("x.txt", "#! open-error: EWHATEVER\n"));

    [Fact]
    public void NodeSpec_RoundTrips()
    {
        var spec = new FakeNodeSpec("c920-h264.txt", "usb-0000:00:14.0-4", [Errno.ENXIO, Errno.EBUSY], "7");

        Assert.Equal(spec with { OpenErrors = spec.OpenErrors }, FakeNodeSpec.Parse(spec.Format()) with { OpenErrors = spec.OpenErrors });
        Assert.Equal([Errno.ENXIO, Errno.EBUSY], FakeNodeSpec.Parse(spec.Format()).OpenErrors);
    }

    [Fact]
    public void NodeSpec_UnknownKey_Throws() =>
        Assert.Throws<FormatException>(() => FakeNodeSpec.Parse("a.txt\ncolour=blue\n"));

    [Fact]
    public void FourCcName_BigEndianFlag_GetsSuffix()
    {
        Assert.Equal("MJPG", Vdev.FourCcName(Vdev.FourCc("MJPG")));
        Assert.Equal("Y10", Vdev.FourCcName(Vdev.FourCc("Y10 ")));
        Assert.Equal("XR24-BE", Vdev.FourCcName(Vdev.FourCc("XR24") | 0x80000000));
    }
}

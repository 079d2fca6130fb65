using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Discovery;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class CaptureInputSelectorTests
{
    private static readonly IReadOnlyList<CameraFormat> Formats =
    [
        new("YUYV", "YUYV 4:2:2", false, [new FrameSize(1920, 1080, [5]), new FrameSize(640, 480, [30, 15])]),
        new("MJPG", "Motion-JPEG", true, [new FrameSize(3840, 2160, [15]), new FrameSize(1920, 1080, [60, 30, 15]), new FrameSize(1280, 720, [60, 30])]),
    ];

    [Fact]
    public void Select_Defaults_PicksMjpegLargestWithinLimitsAtMaxFps()
    {
        var (input, problem) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options(), null);

        Assert.Null(problem);
        Assert.Equal(("MJPG", 1920, 1080, 30d), (input!.PixelFormat, input.Width, input.Height, input.FrameRate));
        Assert.Equal(["-f", "v4l2", "-input_format", "mjpeg", "-video_size", "1920x1080", "-framerate", "30", "-i", "/dev/video0"], input.FfmpegInputArguments);
    }

    [Fact]
    public void Select_MinFpsAboveEveryMode_FallsBackToLargestWithinSize()
    {
        var (input, _) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options { MinFps = 100, MaxFps = 120 }, null);

        Assert.Equal(("MJPG", 1920, 1080, 60d), (input!.PixelFormat, input.Width, input.Height, input.FrameRate));
    }

    [Fact]
    public void Select_PreferredRawFormat_PicksIt()
    {
        var options = new V4l2Options { PreferredFormats = ["YUYV"] };

        var (input, _) = CaptureInputSelector.Select("/dev/video0", Formats, options, null);

        Assert.Equal(("YUYV", 640, 480, 30d), (input!.PixelFormat, input.Width, input.Height, input.FrameRate));
    }

    [Fact]
    public void Select_OverrideNotOffered_UsesDefaultAndSaysWhy()
    {
        var (input, problem) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options(), new V4l2CameraOptions { PixelFormat = "H264" });

        Assert.Equal("MJPG", input!.PixelFormat);
        Assert.Contains("no mode matching", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_OverrideSizeOnly_KeepsOtherPreferences()
    {
        var (input, problem) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options(), new V4l2CameraOptions { Width = 3840, Height = 2160 });

        Assert.Null(problem);
        Assert.Equal(("MJPG", 3840, 2160, 15d), (input!.PixelFormat, input.Width, input.Height, input.FrameRate));
    }

    [Fact]
    public void Select_OnlyUnknownFormats_ReturnsNull()
    {
        var (input, _) = CaptureInputSelector.Select("/dev/video0", [new CameraFormat("Z16", "Depth", false, [new FrameSize(640, 480, [30])])], new V4l2Options(), null);

        Assert.Null(input);
    }

    [Fact]
    public void Select_FractionalRate_FormatsInvariantly()
    {
        var (input, _) = CaptureInputSelector.Select("/dev/video0", [new CameraFormat("MJPG", "M", true, [new FrameSize(1280, 720, [29.97])])], new V4l2Options(), null);

        Assert.Contains("29.97", input!.FfmpegInputArguments);
    }
}

using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Discovery;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class CaptureInputSelectorTests
{
    private static readonly IReadOnlyList<CameraFormat> Formats =
    [
        new CameraFormat { FourCc = "YUYV", Description = "YUYV 4:2:2", Compressed = false, Sizes = [new FrameSize { Width = 1920, Height = 1080, FrameRates = [5] }, new FrameSize { Width = 640, Height = 480, FrameRates = [30, 15] }] },
        new CameraFormat { FourCc = "MJPG", Description = "Motion-JPEG", Compressed = true, Sizes = [new FrameSize { Width = 3840, Height = 2160, FrameRates = [15] }, new FrameSize { Width = 1920, Height = 1080, FrameRates = [60, 30, 15] }, new FrameSize { Width = 1280, Height = 720, FrameRates = [60, 30] }] },
    ];

    [Fact]
    public void Select_Defaults_PicksMjpegLargestWithinLimitsAtMaxFps()
    {
        var (input, problem) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options(), null);

        Assert.Null(problem);
        Assert.Equal(("MJPG", 1920, 1080, 30d), (input!.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
        Assert.Equal("/dev/video0", Assert.IsType<DeviceCaptureInput>(input).DevicePath);
    }

    [Fact]
    public void Select_MinFpsAboveEveryMode_FallsBackToLargestWithinSize()
    {
        var (input, _) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options { MinFps = 100, MaxFps = 120 }, null);

        Assert.Equal(("MJPG", 1920, 1080, 60d), (input!.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
    }

    [Fact]
    public void Select_PreferredRawFormat_PicksIt()
    {
        var options = new V4l2Options { PreferredFormats = ["YUYV"] };

        var (input, _) = CaptureInputSelector.Select("/dev/video0", Formats, options, null);

        Assert.Equal(("YUYV", 640, 480, 30d), (input!.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
    }

    [Fact]
    public void Select_OverrideNotOffered_UsesDefaultAndSaysWhy()
    {
        var (input, problem) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options(), new V4l2CameraOptions { PixelFormat = "H264" });

        Assert.Equal("MJPG", input!.Video.PixelFormat);
        Assert.Contains("no mode matching", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_OverrideSizeOnly_KeepsOtherPreferences()
    {
        var (input, problem) = CaptureInputSelector.Select("/dev/video0", Formats, new V4l2Options(), new V4l2CameraOptions { Width = 3840, Height = 2160 });

        Assert.Null(problem);
        Assert.Equal(("MJPG", 3840, 2160, 15d), (input!.Video.PixelFormat, input.Video.Width, input.Video.Height, input.Video.FrameRate));
    }

    [Fact]
    public void Select_OnlyUnknownFormats_ReturnsNull()
    {
        var (input, _) = CaptureInputSelector.Select("/dev/video0", [new CameraFormat { FourCc = "Z16", Description = "Depth", Compressed = false, Sizes = [new FrameSize { Width = 640, Height = 480, FrameRates = [30] }] }], new V4l2Options(), null);

        Assert.Null(input);
    }

    [Fact]
    public void Select_FractionalRate_FormatsInvariantly()
    {
        var (input, _) = CaptureInputSelector.Select("/dev/video0", [new CameraFormat { FourCc = "MJPG", Description = "M", Compressed = true, Sizes = [new FrameSize { Width = 1280, Height = 720, FrameRates = [29.97] }] }], new V4l2Options(), null);

        Assert.Equal(29.97, input!.Video.FrameRate, 3);
    }
}

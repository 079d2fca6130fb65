using CameraService.Abstractions.Cameras;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class CommandTests
{
    [Theory]
    [InlineData(100, 2)]
    [InlineData(1, 31)]
    [InlineData(50, 17)]
    public void QualityToQscale_MapsOneToHundredOntoThirtyOneToTwo(int quality, int expected) =>
        Assert.Equal(expected, FfmpegSnapshot.QualityToQscale(quality));

    [Fact]
    public void EscapeTee_EscapesTeeSyntaxCharacters() =>
        Assert.Equal(@"/a\ b/c\:d\|e\[f\]\%05d.mp4", FfmpegCommand.EscapeTee("/a b/c:d|e[f]%05d.mp4"));

    [Fact]
    public void BuildPipeline_H264InputWithCopy_CopiesWithoutEncoder()
    {
        var input = new DeviceCaptureInput { DevicePath = "/dev/video0", Video = new VideoMode { PixelFormat = PixelFormats.H264, Width = 1280, Height = 720, FrameRate = 30 } };
        var args = FfmpegCommand.BuildPipeline(input, new FfmpegOptions(), new PipelineOutputs("/tmp/hls/camera0", null, "/tmp/hls/camera0/live.jpg"));

        Assert.Contains("copy", args);
        Assert.DoesNotContain("libx264", args);
        Assert.Equal(["-f", "v4l2", "-input_format", "h264", "-video_size", "1280x720", "-framerate", "30", "-i", "/dev/video0"], args.SkipWhile(a => a != "-f").Take(10));
    }

    [Fact]
    public void BuildPipeline_RawInput_EncodesWithConfiguredOptionsAndGop()
    {
        var input = FfmpegTestContext.TestPattern(rate: 15);
        var options = new FfmpegOptions { Preset = "veryfast", GopSeconds = 2 };
        var args = FfmpegCommand.BuildPipeline(input, options, new PipelineOutputs(null, new RecordingTarget("/rec/camera0", "fmp4", ".ffmpeg-camera0-x-"), "/w/live.jpg")).ToList();

        Assert.Equal("veryfast", args[args.IndexOf("-preset") + 1]);
        Assert.Equal("30", args[args.IndexOf("-g") + 1]);
        Assert.Equal("zerolatency", args[args.IndexOf("-tune") + 1]);
        var tee = args[args.IndexOf("tee") + 1];
        Assert.Contains("segment_time=300", tee, StringComparison.Ordinal);
        Assert.Contains("frag_keyframe+empty_moov+default_base_moof", tee, StringComparison.Ordinal);
        Assert.DoesNotContain("f=hls", tee, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildPipeline_MkvRecording_WritesMatroskaSegmentsWithMkvNames()
    {
        var args = FfmpegCommand.BuildPipeline(
            FfmpegTestContext.TestPattern(), new FfmpegOptions(),
            new PipelineOutputs(null, new RecordingTarget("/rec/camera0", "mkv", ".ffmpeg-camera0-x-"), "/w/live.jpg")).ToList();

        var tee = args[args.IndexOf("tee") + 1];
        Assert.Contains("segment_format=matroska:", tee, StringComparison.Ordinal);
        Assert.Contains("flush_packets=1", tee, StringComparison.Ordinal);
        Assert.DoesNotContain("movflags", tee, StringComparison.Ordinal);
        Assert.EndsWith("/rec/camera0/.ffmpeg-camera0-x-\\%05d.mkv", tee, StringComparison.Ordinal);
    }

    [Fact]
    public void SegmentNamer_FinalName_KeepsTheGivenExtension() =>
        Assert.Equal("camera3_2026-01-02_03-04-05-123456.mkv",
            SegmentNamer.FinalName("camera3", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234560), ".mkv"));

    [Fact]
    public void SegmentNamer_FinalName_HasMicrosecondTimestamp() =>
        Assert.Equal("camera3_2026-01-02_03-04-05-123456.mp4",
            SegmentNamer.FinalName("camera3", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234560)));

    [Fact]
    public void ImageInfo_Parse_UnknownData_ReturnsZero() =>
        Assert.Equal((0, 0), ImageInfo.Parse([1, 2, 3, 4, 5]));
}

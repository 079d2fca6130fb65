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
        var args = FfmpegCommand.BuildPipeline(input, new FfmpegOptions(), new PipelineOutputs("hls/camera0", "hls/camera0/live.jpg"));

        Assert.Contains("copy", args);
        Assert.DoesNotContain("libx264", args);
        Assert.Equal(["-f", "v4l2", "-input_format", "h264", "-video_size", "1280x720", "-framerate", "30", "-i", "/dev/video0"], args.SkipWhile(a => a != "-f").Take(10));
    }

    [Fact]
    public void BuildPipeline_RawInput_EncodesWithConfiguredOptionsAndGopIntoTheFeed()
    {
        var input = FfmpegTestContext.TestPattern(rate: 15);
        var options = new FfmpegOptions { Preset = "veryfast", GopSeconds = 2 };
        var args = FfmpegCommand.BuildPipeline(input, options, new PipelineOutputs(null, "/w/live.jpg")).ToList();

        Assert.Equal("veryfast", args[args.IndexOf("-preset") + 1]);
        Assert.Equal("30", args[args.IndexOf("-g") + 1]);
        Assert.Equal("zerolatency", args[args.IndexOf("-tune") + 1]);
        Assert.Contains("-an", args);
        Assert.DoesNotContain("-progress", args);
        var tee = args[args.IndexOf("tee") + 1];
        // The feed: MPEG-TS on standard output with the parameter sets at every keyframe; no HLS unless asked for.
        Assert.Equal("[f=mpegts:flush_packets=1:bsfs/v=dump_extra=freq=keyframe]pipe\\:1", tee);
    }

    [Fact]
    public void BuildPipeline_CameraWithAudioAndHls_EncodesAacIntoTheFeedAndKeepsHlsVideoOnly()
    {
        var input = new SyntheticCaptureInput
        {
            Video = new VideoMode { PixelFormat = PixelFormats.Yu12, Width = 320, Height = 240, FrameRate = 10 },
            Audio = new AudioInput { SampleRate = 48000, Channels = 1 },
        };
        var args = FfmpegCommand.BuildPipeline(input, new FfmpegOptions(), new PipelineOutputs("/w", "/w/live.jpg")).ToList();

        Assert.Contains("sine=frequency=1000:sample_rate=48000", args);
        Assert.Equal("1:a:0", args[args.LastIndexOf("-map", args.IndexOf("-c:a")) + 1]);
        Assert.Equal("aac", args[args.IndexOf("-c:a") + 1]);
        var tee = args[args.IndexOf("tee") + 1];
        Assert.StartsWith("[f=mpegts:", tee, StringComparison.Ordinal);
        Assert.Contains("|[select=v:f=hls:onfail=ignore:", tee, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fmp4", false, "-movflags|frag_keyframe+empty_moov+default_base_moof|-frag_duration|500000|-flush_packets|1|-f|mp4")]
    [InlineData("mp4", true, "-f|mp4")]
    [InlineData("mkv", true, "-flush_packets|1|-cluster_time_limit|500|-f|matroska")]
    public void BuildRecorder_CopiesTheFeedFromStdinIntoTheContainer(string format, bool audio, string containerArgs)
    {
        var path = "/rec/camera0/.ffmpeg-camera0-x-00000" + (format == "mkv" ? ".mkv" : ".mp4");
        var args = FfmpegCommand.BuildRecorder(format, audio, path);
        var line = string.Join('|', args);

        Assert.Contains("|-progress|pipe:1|-f|mpegts|-analyzeduration|500000|-i|pipe:0|-map|0:v:0|", line, StringComparison.Ordinal);
        Assert.Equal(audio, args.Contains("0:a:0?"));
        Assert.Contains("|-c|copy|", line, StringComparison.Ordinal);
        Assert.Contains(containerArgs + "|-y|" + path, line, StringComparison.Ordinal);
        Assert.Equal(path, args[^1]);
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

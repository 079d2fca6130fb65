using System.Diagnostics;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>The SDK's capture description turned into ffmpeg input arguments (plugins/Shared/FfmpegInput.cs).</summary>
public sealed class FfmpegInputTests
{
    private static VideoMode Mode(string format, int width, int height, double rate) =>
        new() { PixelFormat = format, Width = width, Height = height, FrameRate = rate };

    [Fact]
    public void Arguments_Device_OpensTheNodeInTheChosenMode()
    {
        var input = new DeviceCaptureInput { DevicePath = "/dev/video0", Video = Mode(PixelFormats.Mjpeg, 1920, 1080, 30) };

        Assert.Equal(["-f", "v4l2", "-input_format", "mjpeg", "-video_size", "1920x1080", "-framerate", "30", "-i", "/dev/video0"], FfmpegInput.Arguments(input));
        Assert.False(FfmpegInput.IsH264(input));
    }

    [Theory]
    [InlineData(PixelFormats.Yuyv, "yuyv422")]
    [InlineData(PixelFormats.H264, "h264")]
    [InlineData(PixelFormats.Nv12, "nv12")]
    [InlineData(PixelFormats.BayerRggb8, "bayer_rggb8")]
    public void Arguments_Device_MapsFourccToFfmpegPixelFormat(string fourcc, string ffmpeg)
    {
        var args = FfmpegInput.Arguments(new DeviceCaptureInput { DevicePath = "/dev/video2", Video = Mode(fourcc, 640, 480, 15) });

        Assert.Equal(ffmpeg, args[3]);
    }

    [Fact]
    public void Arguments_EveryFormatTheSdkLists_IsMapped() =>
        Assert.All(PixelFormats.All, f => FfmpegInput.Arguments(new DeviceCaptureInput { DevicePath = "/dev/video0", Video = Mode(f, 640, 480, 30) }));

    [Fact]
    public void Arguments_FractionalRate_IsWrittenInvariantly()
    {
        var args = FfmpegInput.Arguments(new DeviceCaptureInput { DevicePath = "/dev/video0", Video = Mode(PixelFormats.Yuyv, 640, 480, 29.97) });

        Assert.Equal("29.97", args[args.ToList().IndexOf("-framerate") + 1]);
    }

    [Fact]
    public void Arguments_UnknownPixelFormat_IsRefusedNamingIt()
    {
        var error = Assert.Throws<UnsupportedFeatureException>(() =>
            FfmpegInput.Arguments(new DeviceCaptureInput { DevicePath = "/dev/video0", Video = Mode("Y10P", 640, 480, 30) }));

        Assert.Contains("Y10P", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_Synthetic_IsPacedToRealTime()
    {
        var input = new SyntheticCaptureInput { Video = Mode(PixelFormats.Yu12, 640, 480, 15) };

        Assert.Equal(["-re", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15"], FfmpegInput.Arguments(input));
        Assert.Equal("smptebars=size=640x480:rate=15", FfmpegInput.Arguments(input with { Pattern = SyntheticPattern.ColorBars })[^1]);
    }

    [Fact]
    public void Arguments_Network_CarriesTransportAndEscapedCredentials()
    {
        var input = new NetworkCaptureInput
        {
            Url = new Uri("rtsp://192.0.2.10:554/stream1"),
            UserName = "admin",
            Password = "p@ss:word",
            Transport = RtspTransport.Tcp,
            Video = Mode(PixelFormats.H264, 0, 0, 0),
        };

        Assert.Equal(["-rtsp_transport", "tcp", "-i", "rtsp://admin:p%40ss%3Aword@192.0.2.10:554/stream1"], FfmpegInput.Arguments(input));
        Assert.True(FfmpegInput.IsH264(input));
        Assert.DoesNotContain("p@ss:word", input.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_SyntheticRunByFfmpeg_ProducesAJpegFrame()
    {
        var dir = Directory.CreateTempSubdirectory("ffmpeg-input-");
        try
        {
            var output = Path.Combine(dir.FullName, "frame.jpg");
            var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
            var input = new SyntheticCaptureInput { Video = Mode(PixelFormats.Yu12, 160, 120, 15) };
            foreach (var arg in new[] { "-hide_banner", "-nostdin", "-loglevel", "error" }.Concat(FfmpegInput.Arguments(input)).Concat(["-frames:v", "1", "-y", output]))
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);

            Assert.True(process.ExitCode == 0, await stderr);
            var bytes = await File.ReadAllBytesAsync(output);
            Assert.Equal([0xFF, 0xD8], bytes[..2]); // JPEG start-of-image
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

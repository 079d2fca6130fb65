using System.Diagnostics;
using System.Text.Json;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;
using MediaMtxEmulator;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>The audio of the publisher command (issue 21 item 5): what it maps and how it encodes, checked by running it.</summary>
public sealed class PublisherAudioTests
{
    private static readonly MediaMtxOptions Options = new();

    private static StreamCamera Camera(CaptureInput input) =>
        new() { CameraId = "camera1", Name = "Test camera", Input = input, RecordingDirectory = Path.GetTempPath() };

    private static VideoMode Video(string format = PixelFormats.Yu12) => new() { PixelFormat = format, Width = 320, Height = 240, FrameRate = 15 };

    private static List<string> Argv(CaptureInput input) => [.. GoFormat.ShellSplit(PathConfigBuilder.PublisherCommand(Camera(input), Options))];

    [Fact]
    public void SyntheticCameraWithATone_PublishesItAsOpus()
    {
        var argv = Argv(new SyntheticCaptureInput { Video = Video(), Audio = new AudioInput { SampleRate = 48000, Channels = 1 } });

        var tone = argv.IndexOf("sine=frequency=1000:sample_rate=48000");
        Assert.True(tone > argv.IndexOf("testsrc2=size=320x240:rate=15"), string.Join(' ', argv));
        Assert.Equal(["-map", "0:v:0"], argv.Skip(argv.IndexOf("-map")).Take(2));
        Assert.Equal(["-map", "1:a:0", "-c:a", "libopus", "-b:a", "64k"], argv.Skip(argv.LastIndexOf("-map")).Take(6));
        Assert.DoesNotContain("-an", argv);
    }

    [Fact]
    public void DeviceWithAPairedMicrophone_OpensItAsASecondAlsaInput()
    {
        var argv = Argv(new DeviceCaptureInput
        {
            DevicePath = "/dev/video0",
            Video = Video(PixelFormats.Mjpeg),
            Audio = new AudioInput { Device = "hw:CARD=C920,DEV=0", SampleRate = 32000, Channels = 2 },
        });

        Assert.Equal(
            ["-f", "alsa", "-thread_queue_size", "1024", "-sample_rate", "32000", "-channels", "2", "-i", "hw:CARD=C920,DEV=0"],
            argv.Skip(argv.IndexOf("alsa") - 1).Take(10));
        Assert.Equal(["-map", "1:a:0", "-c:a", "libopus"], argv.Skip(argv.LastIndexOf("-map")).Take(4));
    }

    [Theory]
    [InlineData(AudioCodecs.Aac, "copy")]
    [InlineData(AudioCodecs.Opus, "copy")]
    [InlineData(AudioCodecs.Pcma, "libopus")]
    public void NetworkStreamWithAnAudioTrack_CopiesAacAndOpus_EncodesOthers(string codec, string expected)
    {
        var argv = Argv(new NetworkCaptureInput
        {
            Url = new Uri("rtsp://127.0.0.1:8554/cam"),
            Video = Video(PixelFormats.Hevc),
            Audio = new AudioInput { Codec = codec, SampleRate = 8000, Channels = 1 },
        });

        Assert.Single(argv, "-i");
        Assert.Equal(["-map", "0:a:0?", "-c:a", expected], argv.Skip(argv.LastIndexOf("-map")).Take(4));
    }

    [Fact]
    public void CameraWithoutAudio_PublishesNone()
    {
        var argv = Argv(new SyntheticCaptureInput { Video = Video() });

        Assert.Contains("-an", argv);
        Assert.Single(argv, "-map");
        Assert.DoesNotContain("-c:a", argv);
    }

    [Fact]
    public async Task PublisherArguments_RunByFfmpeg_GiveH264VideoAndOpusAudio()
    {
        // The command as MediaMTX would run it, with the RTSP output swapped for two seconds into an fMP4 file (what
        // MediaMTX's recorder writes from the published tracks): proves this ffmpeg accepts every argument.
        var argv = Argv(new SyntheticCaptureInput { Video = Video(), Audio = new AudioInput { SampleRate = 48000, Channels = 1 } });
        var output = Path.Combine(Path.GetTempPath(), "publisher-audio-" + Guid.NewGuid().ToString("N") + ".mp4");
        var args = argv.Skip(1).Take(argv.IndexOf("-f", argv.IndexOf("-metadata")) - 1)
            .Concat(["-t", "2", "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-y", output]);
        try
        {
            Assert.Equal(0, await RunAsync("ffmpeg", args));
            var probe = JsonDocument.Parse(await OutputAsync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", output]));
            var streams = probe.RootElement.GetProperty("streams").EnumerateArray()
                .Select(s => s.GetProperty("codec_type").GetString() + ":" + s.GetProperty("codec_name").GetString()).Order().ToList();
            Assert.Equal(["audio:opus", "video:h264"], streams);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static async Task<int> RunAsync(string file, IEnumerable<string> args)
    {
        using var p = Start(file, args);
        _ = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, await err);
        return p.ExitCode;
    }

    private static async Task<string> OutputAsync(string file, IEnumerable<string> args)
    {
        using var p = Start(file, args);
        var output = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return await output;
    }

    private static Process Start(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }
}

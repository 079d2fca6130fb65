using System.Diagnostics;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>
/// Audio in the MediaMTX backend's recordings (issue 21 item 5), against the emulator in media mode, whose recorder
/// records every track the path's publisher publishes (as MediaMTX does): <c>audio: true</c> keeps the camera's audio,
/// <c>audio: false</c> takes it out of the segments at stop while the path (the viewers) keeps it.
/// </summary>
public sealed class RecordingAudioTests : BackendTestBase
{
    protected override void Configure() => EmulatorOptions.Media = true;

    private StreamCamera CameraWithATone() =>
        Camera() with { Input = new SyntheticCaptureInput { Video = new VideoMode { PixelFormat = PixelFormats.Yu12, Width = 320, Height = 240, FrameRate = 15 }, Audio = new AudioInput { SampleRate = 48000, Channels = 1 } } };

    [Theory]
    [InlineData(true, "audio,video")]
    [InlineData(false, "video")]
    public async Task Recording_OfACameraWithAudio_HasTheAudioOnlyWhenAskedFor(bool audio, string expected)
    {
        await Backend.PublishAsync(CameraWithATone(), CancellationToken.None);
        await Backend.StartRecordingAsync(
            new RecordingRequest { CameraId = "camera0", SessionId = "a1", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow, Audio = audio },
            CancellationToken.None);
        var dir = Path.Combine(Recordings, "camera0");
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Any(f => new FileInfo(f).Length > 4000), TimeSpan.FromSeconds(20));

        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);

        var file = Assert.Single(stopped.Files);
        Assert.Equal(new FileInfo(file.Path).Length, file.Size);
        Assert.Equal(expected, await StreamTypesAsync(file.Path));
        Assert.Equal([Path.GetFileName(file.Path)], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Contains("-c:a libopus", Emu.PathConf("camera0")!["runOnDemand"]!.GetValue<string>() + Emu.PathConf("camera0")!["runOnInit"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recording_AudioFalse_OfACameraWithoutAudio_KeepsItsVideoSegment()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(
            new RecordingRequest { CameraId = "camera0", SessionId = "a2", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow },
            CancellationToken.None);
        var dir = Path.Combine(Recordings, "camera0");
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Any(f => new FileInfo(f).Length > 4000), TimeSpan.FromSeconds(20));
        var before = Directory.GetFiles(dir).Single();

        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);

        var file = Assert.Single(stopped.Files);
        Assert.Equal(before, file.Path);
        Assert.Equal("video", await StreamTypesAsync(file.Path));
    }

    private static async Task<string> StreamTypesAsync(string file)
    {
        var psi = new ProcessStartInfo("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", file]) { RedirectStandardOutput = true };
        using var probe = Process.Start(psi)!;
        var output = await probe.StandardOutput.ReadToEndAsync();
        await probe.WaitForExitAsync();
        Assert.Equal(0, probe.ExitCode);
        return string.Join(',', output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order());
    }
}

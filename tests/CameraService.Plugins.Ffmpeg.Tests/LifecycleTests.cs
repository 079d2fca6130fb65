using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task StopAsync_WhileStreamingAndRecording_LeavesNoFfmpegAndFinalizesMp4()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.Backend.StartAsync(CancellationToken.None);
        await ctx.PublishAsync("camera0");
        await ctx.PublishAsync("camera1");
        await ctx.Backend.StartRecordingAsync(ctx.Recording("camera0", "mp4"), CancellationToken.None);
        await ctx.Backend.StartStreamingAsync("camera1", CancellationToken.None);
        // Two camera processes and camera0's recorder (started with the first whole keyframe interval of its camera's feed).
        await Media.WaitUntilAsync(() => ctx.OwnFfmpegChildren().Count == 3, TimeSpan.FromSeconds(10), "two camera processes and a recorder");
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await ctx.Backend.StopAsync(CancellationToken.None);

        Assert.Empty(ctx.OwnFfmpegChildren());
        var file = Assert.Single(Directory.GetFiles(ctx.RecordingDirectory("camera0")));
        Assert.StartsWith("camera0_", Path.GetFileName(file), StringComparison.Ordinal);
        // A plain MP4 only decodes when ffmpeg wrote its trailer (moov), i.e. it was stopped with SIGINT.
        var (codec, frames, duration) = await Media.ProbeAsync(file);
        Assert.Equal("h264", codec);
        Assert.True(frames > 0);
        Assert.True(duration > 0);
        Assert.Equal(ComponentState.Stopped, ctx.Backend.GetHealth().State);
    }

    [Fact]
    public async Task UnpublishAsync_WhileRecording_StopsProcessAndKeepsFiles()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);

        await ctx.Backend.UnpublishAsync("camera0", CancellationToken.None);

        Assert.Empty(ctx.OwnFfmpegChildren());
        Assert.NotEmpty(Directory.GetFiles(ctx.RecordingDirectory("camera0"), "camera0_*.mp4"));
        Assert.Empty(Directory.GetFiles(ctx.RecordingDirectory("camera0"), ".*"));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => ctx.Backend.GetStreamAsync("camera0", CancellationToken.None));
    }

    [Fact]
    public async Task FfmpegMissing_CallsThrowDependencyFailedWithInstallHintAndHealthIsError()
    {
        await using var ctx = new FfmpegTestContext(new() { ["Plugins:Ffmpeg:FfmpegPath"] = "/nonexistent/bin/ffmpeg" });
        await ctx.Backend.StartAsync(CancellationToken.None);
        await ctx.PublishAsync();

        var snapshot = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.TakeSnapshotAsync(
            new SnapshotRequest { CameraId = "camera0", OutputPath = Path.Combine(ctx.Root.FullName, "s.jpg"), Format = "jpg", Quality = 80, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None));
        var recording = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None));
        var streaming = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None));

        Assert.All(new[] { snapshot, recording, streaming }, ex =>
        {
            Assert.Equal("ffmpeg", ex.Dependency);
            Assert.Equal("ffmpeg is not installed; install it with: apt-get install -y ffmpeg", ex.Detail);
        });
        var health = ctx.Backend.GetHealth();
        Assert.Equal(ComponentState.Error, health.State);
        Assert.Equal("ffmpeg is not installed; install it with: apt-get install -y ffmpeg", health.Message);
        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Equal(StreamState.Inactive, (await ctx.Backend.GetStreamAsync("camera0", CancellationToken.None)).State);
    }

    [Fact]
    public async Task StartRecordingAsync_InputCannotBeOpened_ThrowsDependencyFailedAndRecordsNothing()
    {
        await using var ctx = new FfmpegTestContext(new() { ["Plugins:Ffmpeg:StartTimeout"] = "00:00:10" });
        var camera = new StreamCamera
        {
            CameraId = "camera0",
            Name = "Broken",
            Input = new Abstractions.Cameras.DeviceCaptureInput
            {
                DevicePath = "/dev/no-such-video-device",
                Video = new Abstractions.Cameras.VideoMode { PixelFormat = Abstractions.Cameras.PixelFormats.Yuyv, Width = 320, Height = 240, FrameRate = 10 },
            },
            RecordingDirectory = ctx.RecordingDirectory("camera0"),
        };
        await ctx.Backend.PublishAsync(camera, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None));

        Assert.Equal("ffmpeg", ex.Dependency);
        Assert.DoesNotContain(ctx.Root.FullName, ex.Message, StringComparison.Ordinal);
        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task PublishAsync_LeftoverTempSegments_AreRenamedToFinalNames()
    {
        await using var ctx = new FfmpegTestContext();
        var dir = Directory.CreateDirectory(ctx.RecordingDirectory("camera0"));
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, ".ffmpeg-camera0-deadbeef-00000.mp4"), [1, 2, 3]);

        await ctx.PublishAsync();

        var file = Assert.Single(Directory.GetFiles(dir.FullName));
        Assert.Matches(@"^camera0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mp4$", Path.GetFileName(file));
    }

    [Fact]
    public async Task PublishAsync_LeftoverTempMkvAndMp4Segments_KeepTheirExtensionUnderFinalNames()
    {
        await using var ctx = new FfmpegTestContext();
        var dir = Directory.CreateDirectory(ctx.RecordingDirectory("camera0"));
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, ".ffmpeg-camera0-deadbeef-00000.mkv"), [1, 2, 3]);
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, ".ffmpeg-camera0-deadbeef-00001.mp4"), [4, 5, 6]);
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, ".ffmpeg-camera0-deadbeef-00002.txt"), [7]);

        await ctx.PublishAsync();

        var names = Directory.GetFiles(dir.FullName).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, names.Count);
        Assert.Single(names, n => System.Text.RegularExpressions.Regex.IsMatch(n!, @"^camera0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mkv$"));
        Assert.Single(names, n => System.Text.RegularExpressions.Regex.IsMatch(n!, @"^camera0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mp4$"));
        Assert.Contains(".ffmpeg-camera0-deadbeef-00002.txt", names);
    }

    [Theory]
    [InlineData("Plugins:Ffmpeg:SegmentDuration", "00:00:00")]
    [InlineData("Plugins:Ffmpeg:Preset", "warpspeed")]
    [InlineData("Plugins:Ffmpeg:HlsDirectory", "relative/dir")]
    [InlineData("Plugins:Ffmpeg:Tune", "zero latency;rm")]
    [InlineData("Plugins:Ffmpeg:MaxRestartAttempts", "0")]
    public void Options_InvalidValue_FailsValidationNamingTheKey(string key, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new FfmpegTestContext(new() { [key] = value }));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }
}

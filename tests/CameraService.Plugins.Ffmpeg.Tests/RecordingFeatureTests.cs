using System.Diagnostics;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>Recording from the camera's feed: size rotation, pre-event buffer, audio, a recorder killed, no restart of the camera.</summary>
public sealed class RecordingFeatureTests
{
    [Fact]
    public async Task SizeLimit_SegmentsStayWithinItAndTogetherCoverTheRecording()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        const long limit = 150_000; // the test pattern makes about 50 KB/s of MPEG-TS: a segment every few seconds

        var started = await ctx.Backend.StartRecordingAsync(ctx.Recording() with { SegmentMaxBytes = limit }, CancellationToken.None);
        var pipeline = ctx.Backend.Find("camera0")!;
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Count >= 4, TimeSpan.FromSeconds(40), "four segments");
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.Equal(Directory.GetFiles(ctx.RecordingDirectory("camera0")).Order(), stopped.Files.Select(f => f.Path).Order());
        var total = 0.0;
        foreach (var file in stopped.Files)
        {
            Assert.InRange(new FileInfo(file.Path).Length, 1, limit);
            var (codec, frames, duration) = await Media.ProbeAsync(file.Path);
            Assert.Equal("h264", codec);
            Assert.True(frames > 0, "every segment decodes");
            total += duration;
        }

        var span = (stopped.EndTime!.Value - started.StartTime).TotalSeconds;
        Assert.InRange(total, span - 1.5, span + 1.5);
    }

    [Fact]
    public async Task StartAndStopRecording_WhileStreaming_KeepTheCameraProcessRunning()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
        var pipeline = ctx.Backend.Find("camera0")!;
        var cameraPid = pipeline.ProcessId;

        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Any(f => f.Size > 20_000), TimeSpan.FromSeconds(20), "recorded bytes");
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.Equal(cameraPid, pipeline.ProcessId);
        Assert.Equal(StreamState.Active, (await ctx.Backend.GetStreamAsync("camera0", CancellationToken.None)).State);
        Assert.NotNull(pipeline.ServingHlsDirectory);
        var file = Assert.Single(stopped.Files);
        Assert.Equal("h264", (await Media.ProbeAsync(file.Path)).Codec);
        // Only the camera's process is left: the recorder ends with the recording (the stop answers once its file is complete,
        // and it exits right after, without a signal).
        await Media.WaitUntilAsync(() => ctx.OwnFfmpegChildren().Count == 1, TimeSpan.FromSeconds(10), "the recorder's exit");
        Assert.Equal([cameraPid!.Value], ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task PreEvent_WithBuffer_TheRecordingStartsThatMuchBeforeTheCall()
    {
        // Segments of 2 s: the buffered seconds are cut into segments too.
        await using var ctx = new FfmpegTestContext(new() { ["Plugins:Ffmpeg:PreEventBuffer"] = "00:00:10", ["Plugins:Ffmpeg:SegmentDuration"] = "00:00:02" });
        await ctx.PublishAsync();
        var pipeline = ctx.Backend.Find("camera0")!;
        // The buffer runs from publishing on: wait until it holds more than 5 s.
        await Media.WaitUntilAsync(() => pipeline.ProcessId is not null, TimeSpan.FromSeconds(20), "the camera's process");
        await Task.Delay(TimeSpan.FromSeconds(7));

        var request = ctx.Recording() with { PreEvent = TimeSpan.FromSeconds(5), StartTime = DateTimeOffset.UtcNow };
        var started = await ctx.Backend.StartRecordingAsync(request, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        // The first keyframe at or before 5 s before the call (keyframes every second).
        Assert.InRange((request.StartTime - started.StartTime).TotalSeconds, 4.5, 6.5);
        var total = 0.0;
        foreach (var file in stopped.Files)
        {
            total += (await Media.ProbeAsync(file.Path)).Duration;
        }

        var span = (stopped.EndTime!.Value - started.StartTime).TotalSeconds;
        Assert.True(total >= 6, $"the files hold {total:0.0} s");
        Assert.True(Math.Abs(total - span) <= 1.5, $"the files hold {total:0.00} s of a {span:0.00} s recording: " + string.Join(", ", stopped.Files.Select(f => Path.GetFileName(f.Path))));
        // The process keeps running for the buffer after the recording.
        Assert.NotNull(pipeline.ProcessId);
    }

    [Fact]
    public async Task PreEvent_WithoutBuffer_IsRefusedNamingTheSettingAndStartsNothing()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();

        var ex = await Assert.ThrowsAsync<UnsupportedFeatureException>(() =>
            ctx.Backend.StartRecordingAsync(ctx.Recording() with { PreEvent = TimeSpan.FromSeconds(5) }, CancellationToken.None));

        Assert.Equal("pre_event_buffer", ex.Feature);
        Assert.Contains("Plugins:Ffmpeg:PreEventBuffer", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task Audio_OnACameraWithoutAudio_IsRefused()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();

        var ex = await Assert.ThrowsAsync<UnsupportedFeatureException>(() =>
            ctx.Backend.StartRecordingAsync(ctx.Recording() with { Audio = true }, CancellationToken.None));

        Assert.Equal("audio", ex.Feature);
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Theory]
    [InlineData("fmp4", true)]
    [InlineData("mkv", true)]
    [InlineData("mp4", false)]
    public async Task Audio_ToneCamera_RecordsAacBesideTheVideoOnlyWhenAsked(string format, bool audio)
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.Backend.PublishAsync(ToneCamera(ctx), CancellationToken.None);

        await ctx.Backend.StartRecordingAsync(ctx.Recording(format: format) with { Audio = audio }, CancellationToken.None);
        var pipeline = ctx.Backend.Find("camera0")!;
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Any(f => f.Size > 20_000), TimeSpan.FromSeconds(20), "recorded bytes");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        foreach (var file in stopped.Files)
        {
            var streams = await StreamsAsync(file.Path);
            Assert.Equal(audio ? ["video:h264", "audio:aac"] : ["video:h264"], streams);
        }
    }

    [Fact]
    public async Task RecorderKilled_RecordingContinuesInANewSegmentAndEverySegmentPlays()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.Backend.StartAsync(CancellationToken.None);
        await ctx.PublishAsync();
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        var pipeline = ctx.Backend.Find("camera0")!;
        var cameraPid = pipeline.ProcessId;
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Any(f => f.Size > 40_000), TimeSpan.FromSeconds(20), "the first fragments");
        var recorder = ctx.OwnFfmpegChildren().Single(pid => CommandLine(pid).Contains("pipe:0", StringComparison.Ordinal));

        Process.GetProcessById(recorder).Kill();
        await Media.WaitUntilAsync(() => ctx.Events.Any(e => e.Kind == StreamBackendEventKind.RecordingRecovered), TimeSpan.FromSeconds(20), "RecordingRecovered");
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Count >= 2 && pipeline.ActiveRecording.Files[^1].Size > 40_000, TimeSpan.FromSeconds(20), "the new segment");
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.Equal(cameraPid, pipeline.ProcessId ?? cameraPid);
        Assert.True(stopped.Files.Count >= 2);
        foreach (var file in stopped.Files)
        {
            var (codec, frames, _) = await Media.ProbeAsync(file.Path);
            Assert.Equal("h264", codec);
            Assert.True(frames > 0, "every segment decodes, also the one of the killed recorder");
        }

        Assert.Equal("session-camera0", ctx.Events.First(e => e.Kind == StreamBackendEventKind.RecordingRecovered).Recording!.SessionId);
    }

    private static StreamCamera ToneCamera(FfmpegTestContext ctx) => new()
    {
        CameraId = "camera0",
        Name = "Test pattern with a tone",
        Input = new SyntheticCaptureInput
        {
            Video = new VideoMode { PixelFormat = PixelFormats.Yu12, Width = 320, Height = 240, FrameRate = 10 },
            Audio = new AudioInput { SampleRate = 48000, Channels = 1 },
        },
        RecordingDirectory = ctx.RecordingDirectory("camera0"),
    };

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>"type:codec" of every stream ffprobe sees in the file, in order.</summary>
    private static async Task<List<string>> StreamsAsync(string path)
    {
        var psi = new ProcessStartInfo(Media.Ffprobe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = await p.StandardOutput.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(','))
            .Select(f => f[1] + ":" + f[0])
            .ToList();
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class RecordingTests
{
    private static readonly Regex FinalName = new(@"^camera0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mp4$");

    [Fact]
    public async Task StopRecordingAsync_UnlimitedRecording_ReturnsFinalizedH264FilesCoveringTheSession()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();

        var started = await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        Assert.Single(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.Equal("session-camera0", started.SessionId);
        Assert.NotNull(stopped.EndTime);
        Assert.NotEmpty(stopped.Files);
        Assert.Equal(stopped.Files.Sum(f => f.Size), stopped.BytesWritten);
        var onDisk = Directory.GetFiles(ctx.RecordingDirectory("camera0"));
        Assert.Equal(onDisk.Order(), stopped.Files.Select(f => f.Path).Order());
        var total = 0.0;
        foreach (var file in stopped.Files)
        {
            Assert.Matches(FinalName, Path.GetFileName(file.Path));
            Assert.Equal(new FileInfo(file.Path).Length, file.Size);
            var (codec, frames, duration) = await Media.ProbeAsync(file.Path);
            Assert.Equal("h264", codec);
            Assert.True(frames > 0, "the segment decodes");
            total += duration;
        }

        // At least the 3 s the test let it record (StartRecordingAsync returns once frames flow), at most the session as
        // the backend reports it (its start and end on its own clock) — no stopwatch of the test.
        var span = (stopped.EndTime!.Value - started.StartTime).TotalSeconds;
        Assert.InRange(total, 3 - 1, span + 1);
        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task StartRecordingAsync_AlreadyRecording_ThrowsInvalidStateAndKeepsRecording()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<InvalidStateException>(() => ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None));

        Assert.Equal("already_recording", ex.Reason);
        var active = Assert.Single(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Equal("session-camera0", active.SessionId);
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);
        Assert.NotEmpty(stopped.Files);
    }

    [Fact]
    public async Task StopRecordingAsync_NotRecording_ThrowsInvalidState()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();

        var ex = await Assert.ThrowsAsync<InvalidStateException>(() => ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None));

        Assert.Equal("not_recording", ex.Reason);
    }

    [Fact]
    public async Task StartRecordingAsync_BadFormat_ThrowsInvalidParameterAndStartsNothing()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();

        await Assert.ThrowsAsync<InvalidParameterException>(() => ctx.Backend.StartRecordingAsync(ctx.Recording(format: "avi"), CancellationToken.None));

        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Empty(ctx.OwnFfmpegChildren());
        Assert.Equal(StreamState.Inactive, (await ctx.Backend.GetStreamAsync("camera0", CancellationToken.None)).State);
    }

    [Fact]
    public async Task Recording_FfmpegKilled_RestartsAndContinuesInNewSegment()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.Backend.StartAsync(CancellationToken.None);
        await ctx.PublishAsync();
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        var pipeline = ctx.Backend.Find("camera0")!;
        var firstPid = await KillMidSegmentAndWaitForTheNextAsync(ctx, pipeline);
        var health = ctx.Backend.GetHealth();
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.NotEqual(firstPid, pipeline.ProcessId ?? 0);
        Assert.Contains("exited unexpectedly", health.LastError, StringComparison.Ordinal);
        Assert.True(stopped.Files.Count >= 2);
        foreach (var file in stopped.Files)
        {
            var (codec, frames, _) = await Media.ProbeAsync(file.Path);
            Assert.Equal("h264", codec);
            Assert.True(frames > 0, "every segment decodes, also the one of the killed process");
        }

        var recovered = ctx.Events.First(e => e.Kind == StreamBackendEventKind.RecordingRecovered);
        Assert.Equal("camera0", recovered.CameraId);
        Assert.Equal("session-camera0", recovered.Recording!.SessionId);
    }

    [Fact]
    public async Task Recording_Mkv_FfmpegKilledMidSegment_EveryMkvSegmentStaysPlayableMatroska()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.Backend.StartAsync(CancellationToken.None);
        await ctx.PublishAsync();
        var started = await ctx.Backend.StartRecordingAsync(ctx.Recording(format: "mkv"), CancellationToken.None);
        await KillMidSegmentAndWaitForTheNextAsync(ctx, ctx.Backend.Find("camera0")!);
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.Equal("mkv", started.Format);
        Assert.Equal("mkv", stopped.Format);
        Assert.True(stopped.Files.Count >= 2);
        Assert.Equal(Directory.GetFiles(ctx.RecordingDirectory("camera0")).Order(), stopped.Files.Select(f => f.Path).Order());
        foreach (var file in stopped.Files)
        {
            Assert.Matches(@"^camera0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mkv$", Path.GetFileName(file.Path));
            Assert.StartsWith("matroska", await Media.ContainerAsync(file.Path), StringComparison.Ordinal);
            var (codec, frames, _) = await Media.ProbeAsync(file.Path);
            Assert.Equal("h264", codec);
            Assert.True(frames > 0, "every segment decodes, also the one cut off by the kill");
        }
    }

    [Fact]
    public async Task Recording_RestartsKeepFailing_RaisesRecordingFailedWithFilesSoFar()
    {
        // The wrapper runs the camera's ffmpeg once; every later start fails at once, like a camera that went away
        // (recorders, which read the feed from standard input, run normally).
        var flag = Path.Combine(Path.GetTempPath(), "ffmpeg-once-" + Guid.NewGuid().ToString("N"));
        var wrapper = flag + ".sh";
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\ncase \"$*\" in *pipe:0*) exec '{Media.Ffmpeg}' \"$@\";; esac\nif [ -e '{flag}' ]; then echo 'camera gone' >&2; exit 1; fi\ntouch '{flag}'\nexec '{Media.Ffmpeg}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await using var ctx = new FfmpegTestContext(new()
            {
                ["Plugins:Ffmpeg:FfmpegPath"] = wrapper,
                ["Plugins:Ffmpeg:MaxRestartAttempts"] = "2",
                ["Plugins:Ffmpeg:RestartBackoff"] = "00:00:00.100",
            });
            await ctx.Backend.StartAsync(CancellationToken.None);
            await ctx.PublishAsync();
            await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
            var pipeline = ctx.Backend.Find("camera0")!;
            await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Any(f => f.Size > 0), TimeSpan.FromSeconds(15), "the first segment");

            Process.GetProcessById(pipeline.ProcessId!.Value).Kill();
            await Media.WaitUntilAsync(() => ctx.Events.Any(e => e.Kind == StreamBackendEventKind.RecordingFailed), TimeSpan.FromSeconds(20), "RecordingFailed");

            var failed = ctx.Events.First(e => e.Kind == StreamBackendEventKind.RecordingFailed);
            Assert.Equal("camera0", failed.CameraId);
            var file = Assert.Single(failed.Recording!.Files);
            Assert.True(File.Exists(file.Path));
            Assert.NotNull(failed.Recording.EndTime);
            Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
            var health = ctx.Backend.GetHealth();
            Assert.Equal(ComponentState.Degraded, health.State);
            Assert.NotNull(health.LastError);
            await Assert.ThrowsAsync<InvalidStateException>(() => ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None));
        }
        finally
        {
            File.Delete(wrapper);
            File.Delete(flag);
        }
    }

    /// <summary>
    /// Waits for some data in the first segment (an fMP4 fragment or a Matroska cluster per keyframe, about 50 KB/s
    /// here), kills ffmpeg (SIGKILL) and waits until the restarted process has written a new segment; returns the killed pid.
    /// </summary>
    private static async Task<int> KillMidSegmentAndWaitForTheNextAsync(FfmpegTestContext ctx, CameraPipeline pipeline)
    {
        var firstPid = pipeline.ProcessId!.Value;
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Any(f => f.Size > 40_000), TimeSpan.FromSeconds(15), "the first fragments");

        Process.GetProcessById(firstPid).Kill();
        await Media.WaitUntilAsync(() => ctx.Events.Any(e => e.Kind == StreamBackendEventKind.RecordingRecovered), TimeSpan.FromSeconds(20), "RecordingRecovered");
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Count >= 2 && pipeline.ActiveRecording.Files[^1].Size > 40_000, TimeSpan.FromSeconds(15), "the new segment");
        return firstPid;
    }
}

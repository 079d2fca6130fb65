using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class SnapshotTests
{
    [Fact]
    public async Task TakeSnapshotAsync_NoProcessRunning_WritesJpegOfInputSize()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        var output = Path.Combine(ctx.Root.FullName, "snapshots", "camera0", "shot.jpg");

        var result = await ctx.Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = "jpg", Quality = 90, Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);

        var bytes = await File.ReadAllBytesAsync(output);
        Assert.Equal(output, result.Path);
        Assert.Equal(bytes.Length, result.Size);
        Assert.Equal([0xFF, 0xD8], bytes[..2]);
        Assert.Equal((320, 240), ImageInfo.Parse(bytes));
        Assert.Equal((320, 240), (result.Width, result.Height));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, ".*"));
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task TakeSnapshotAsync_Png_WritesPng()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        var output = Path.Combine(ctx.Root.FullName, "snapshots", "camera0", "shot.png");

        var result = await ctx.Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = "png", Quality = 50, Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);

        var bytes = await File.ReadAllBytesAsync(output);
        Assert.Equal(0x89, bytes[0]);
        Assert.Equal((320, 240), (result.Width, result.Height));
    }

    [Fact]
    public async Task TakeSnapshotAsync_WhileStreaming_TakesFrameFromRunningProcessWithoutOpeningInputAgain()
    {
        // A wrapper logs every ffmpeg invocation: the snapshot must not open the camera input a second time.
        var log = Path.Combine(Path.GetTempPath(), "ffmpeg-invocations-" + Guid.NewGuid().ToString("N") + ".log");
        var wrapper = Path.Combine(Path.GetTempPath(), "ffmpeg-wrapper-" + Guid.NewGuid().ToString("N") + ".sh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\necho \"$*\" >> '{log}'\nexec '{Media.Ffmpeg}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await using var ctx = new FfmpegTestContext(new() { ["Plugins:Ffmpeg:FfmpegPath"] = wrapper });
            await ctx.Backend.StartAsync(CancellationToken.None);
            await ctx.PublishAsync();
            await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
            var output = Path.Combine(ctx.Root.FullName, "snapshots", "camera0", "live.jpg");

            var result = await ctx.Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = "jpg", Quality = 70, Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);

            var invocations = await File.ReadAllLinesAsync(log);
            Assert.Equal(2, invocations.Length);
            Assert.Single(invocations, l => l.Contains("lavfi", StringComparison.Ordinal));
            Assert.Contains(Path.Combine(ctx.Root.FullName, "hls", "camera0", "live.jpg"), invocations[1], StringComparison.Ordinal);
            Assert.DoesNotContain("lavfi", invocations[1], StringComparison.Ordinal);
            Assert.Equal((320, 240), ImageInfo.ReadSize(output));
            Assert.Equal((320, 240), (result.Width, result.Height));
            Assert.Single(ctx.OwnFfmpegChildren());
        }
        finally
        {
            File.Delete(wrapper);
            File.Delete(log);
        }
    }

    [Theory]
    [InlineData("gif", 80)]
    [InlineData("jpg", 0)]
    [InlineData("jpg", 101)]
    public async Task TakeSnapshotAsync_InvalidParameters_ThrowsAndWritesNothing(string format, int quality)
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        var output = Path.Combine(ctx.Root.FullName, "snapshots", "camera0", "bad.jpg");

        await Assert.ThrowsAsync<InvalidParameterException>(() =>
            ctx.Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = format, Quality = quality, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None));

        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task TakeSnapshotAsync_UnknownCamera_ThrowsResourceNotFound()
    {
        await using var ctx = new FfmpegTestContext();
        var output = Path.Combine(ctx.Root.FullName, "x.jpg");

        var ex = await Assert.ThrowsAsync<ResourceNotFoundException>(() =>
            ctx.Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera9", OutputPath = output, Format = "jpg", Quality = 80, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None));

        Assert.Equal("camera", ex.Resource);
    }
}

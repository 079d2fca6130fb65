using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>
/// File-system failures reach the caller as the contract's dependency failure (-32050), never as an exception the API
/// answers with -32603 (issue 22: "the API answers within the contract's error codes throughout").
/// </summary>
public sealed class StorageErrorTests
{
    [Fact]
    public async Task StartRecordingAsync_OutputDirectoryCannotBeCreated_ThrowsDependencyFailedAndRecordsNothing()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        // A regular file where a directory of the path must be: Directory.CreateDirectory throws IOException (also as root).
        var blocker = Path.Combine(ctx.Root.FullName, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() =>
            ctx.Backend.StartRecordingAsync(ctx.Recording() with { OutputDirectory = Path.Combine(blocker, "camera0") }, CancellationToken.None));

        Assert.Equal("storage", ex.Dependency);
        Assert.DoesNotContain(ctx.Root.FullName, ex.Message, StringComparison.Ordinal);
        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        // The camera still records once the storage is usable.
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        Assert.Single(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);
    }

    [Fact]
    public async Task TakeSnapshotAsync_OutputDirectoryCannotBeCreated_ThrowsDependencyFailed()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        var blocker = Path.Combine(ctx.Root.FullName, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.TakeSnapshotAsync(
            new SnapshotRequest { CameraId = "camera0", OutputPath = Path.Combine(blocker, "snap", "a.jpg"), Format = "jpg", Quality = 80, Timeout = TimeSpan.FromSeconds(10) },
            CancellationToken.None));

        Assert.Equal("storage", ex.Dependency);
    }

    [Fact]
    public async Task StartRecordingAsync_WorkDirectoryCannotBeCreated_LeavesNoRecordingBehind()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        // The camera's working directory (HLS, live frame) is a regular file: the camera's process cannot start.
        var work = Path.Combine(ctx.Root.FullName, "hls", "camera0");
        Directory.CreateDirectory(Path.GetDirectoryName(work)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(work, "x");

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None));

        Assert.Equal("storage", ex.Dependency);
        Assert.Empty(await ctx.Backend.GetActiveRecordingsAsync(CancellationToken.None));
        File.Delete(work);
        // Not "already recording": the failed start left nothing.
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);
        Assert.NotEmpty(stopped.Files);
    }
}

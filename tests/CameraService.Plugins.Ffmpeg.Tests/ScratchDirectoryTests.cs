using CameraService.Abstractions;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>Issue 17, hole 8: the HLS scratch directory must not be one another local user prepared.</summary>
public sealed class ScratchDirectoryTests
{
    [Fact]
    public async Task PreCreatedWorldWritableHlsDirectory_BackendRefusesToStart()
    {
        var root = Directory.CreateTempSubdirectory("ffmpeg-scratch-");
        var trap = Path.Combine(root.FullName, "shared-hls");
        Directory.CreateDirectory(trap);
        File.SetUnixFileMode(trap, (UnixFileMode)0x1FF); // 0777, as an attacker would leave it
        await using var ctx = new FfmpegTestContext(new Dictionary<string, string?> { ["Plugins:Ffmpeg:HlsDirectory"] = trap });

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.StartAsync(CancellationToken.None));

        Assert.Contains("Plugins:Ffmpeg:HlsDirectory", ex.Detail, StringComparison.Ordinal);
        root.Delete(recursive: true);
    }

    [Fact]
    public async Task SymlinkInPlaceOfHlsDirectory_BackendRefusesToStart()
    {
        var root = Directory.CreateTempSubdirectory("ffmpeg-scratch-");
        var elsewhere = Directory.CreateDirectory(Path.Combine(root.FullName, "elsewhere")).FullName;
        var link = Path.Combine(root.FullName, "hls");
        Directory.CreateSymbolicLink(link, elsewhere);
        await using var ctx = new FfmpegTestContext(new Dictionary<string, string?> { ["Plugins:Ffmpeg:HlsDirectory"] = link });

        await Assert.ThrowsAsync<DependencyFailedException>(() => ctx.Backend.StartAsync(CancellationToken.None));
        root.Delete(recursive: true);
    }

    [Fact]
    public async Task FreshHlsDirectory_CreatedPrivate()
    {
        var root = Directory.CreateTempSubdirectory("ffmpeg-scratch-");
        var hls = Path.Combine(root.FullName, "hls");
        await using var ctx = new FfmpegTestContext(new Dictionary<string, string?> { ["Plugins:Ffmpeg:HlsDirectory"] = hls });

        await ctx.Backend.StartAsync(CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(hls));
        await ctx.Backend.StopAsync(CancellationToken.None);
        root.Delete(recursive: true);
    }
}

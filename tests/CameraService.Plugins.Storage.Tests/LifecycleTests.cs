using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage.Tests;

/// <summary>The store's background loops (space monitor, rescan, retention sweep) and the watcher across stop and start.</summary>
public sealed class LifecycleTests : IAsyncLifetime
{
    private readonly StoreHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task StopAsync_EndsEveryLoop_StartAgainWatchesAndRunsThemAgain()
    {
        await _h.Store.StartAsync(CancellationToken.None);
        Assert.Equal(3, _h.Store.RunningLoops);

        await _h.Store.StopAsync(CancellationToken.None);
        Assert.Equal(0, _h.Store.RunningLoops);

        await _h.Store.StartAsync(CancellationToken.None);
        Assert.Equal(3, _h.Store.RunningLoops);
        _h.WriteFile(_h.Snapshots, "camera2", "after-restart.jpg", TimeSpan.Zero, size: 10);
        await Poll.UntilAsync(
            async () => (await _h.Store.ListAsync(MediaKind.Snapshot, new MediaQuery { CameraId = "camera2", Limit = 10 }, CancellationToken.None)).Total == 1,
            "the snapshot written after the restart to be listed by the watcher");
    }

    [Fact]
    public async Task StartAsync_Twice_StartsTheLoopsOnce()
    {
        await _h.Store.StartAsync(CancellationToken.None);
        await _h.Store.StartAsync(CancellationToken.None);

        Assert.Equal(3, _h.Store.RunningLoops);
    }
}

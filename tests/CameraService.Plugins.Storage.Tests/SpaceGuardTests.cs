using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage.Tests;

public sealed class SpaceGuardTests : IAsyncLifetime
{
    private readonly StoreHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData(10, StorageLevel.Ok)]
    [InlineData(80, StorageLevel.Warning)]
    [InlineData(89.9, StorageLevel.Warning)]
    [InlineData(90, StorageLevel.Critical)]
    [InlineData(99, StorageLevel.Critical)]
    public void GetStatus_Usage_LevelAgainstDefaultThresholds(double usedPercent, StorageLevel expected)
    {
        _h.Status.SetUsage(usedPercent);

        var status = _h.Store.GetStatus();

        Assert.Equal(expected, status.Level);
        Assert.Equal(usedPercent, status.UsagePercent, 3);
        Assert.Equal(80, status.WarnPercent);
        Assert.Equal(90, status.BlockPercent);
        Assert.Equal(1_000_000, status.TotalBytes);
    }

    [Fact]
    public void GetStatus_ReservedBlocks_UsageLikeDf()
    {
        // 1000 total, 400 free of which 100 reserved for root: used 600, usable 600 + 300 → 66.67 %.
        _h.Status.Compute = () => new FileSystemSpace(1000, 400, 300);

        var status = _h.Store.GetStatus();

        Assert.Equal(600, status.UsedBytes);
        Assert.Equal(300, status.AvailableBytes);
        Assert.Equal(66.67, status.UsagePercent, 2);
    }

    [Fact]
    public async Task GetStatus_MediaBytes_FromCatalog()
    {
        _h.WriteFile(_h.Recordings, "camera0", "r.mp4", TimeSpan.FromHours(1), 100);
        _h.WriteFile(_h.Snapshots, "camera0", "s.jpg", TimeSpan.FromHours(1), 7);
        await _h.Store.StartAsync(CancellationToken.None);

        var status = _h.Store.GetStatus();

        Assert.Equal(100, status.RecordingsBytes);
        Assert.Equal(7, status.SnapshotsBytes);
    }

    [Fact]
    public void GetStatus_WithinCacheWindow_ReusesMeasurement()
    {
        _h.Status.SetUsage(10);
        _h.Store.GetStatus();
        _h.Status.SetUsage(95);

        Assert.Equal(StorageLevel.Ok, _h.Store.GetStatus().Level);

        _h.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(StorageLevel.Critical, _h.Store.GetStatus().Level);
    }

    [Fact]
    public void EnsureSpaceForWrite_AboveBlock_ThrowsInsufficientStorage()
    {
        _h.Status.SetUsage(95);

        var ex = Assert.Throws<InsufficientStorageException>(_h.Store.EnsureSpaceForWrite);

        Assert.Equal(50_000, ex.AvailableBytes);
        Assert.Equal(90, ex.ThresholdPercent);
    }

    [Fact]
    public void EnsureSpaceForWrite_BelowBlock_DoesNotThrow()
    {
        _h.Status.SetUsage(85);

        _h.Store.EnsureSpaceForWrite();
    }

    [Fact]
    public void EnsureSpaceForWrite_CannotMeasure_DependencyFailedWithoutPath()
    {
        _h.Status.Failure = new DriveNotFoundException($"no such path {_h.Root}");

        var ex = Assert.Throws<DependencyFailedException>(_h.Store.EnsureSpaceForWrite);

        Assert.Equal("storage", ex.Dependency);
        Assert.DoesNotContain(_h.Root, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_CrossingThresholds_RaisesStatusChangedOnEachTransitionOnly()
    {
        var events = new ConcurrentQueue<StorageStatus>();
        _h.Store.StatusChanged += (_, e) => events.Enqueue(e.Status);
        _h.Status.SetUsage(50);
        await _h.Store.StartAsync(CancellationToken.None);
        Assert.Empty(events);

        await AdvanceUntil(() => events.Count == 1, 85);
        await AdvanceUntil(() => events.Count == 2, 95);
        _h.Time.Advance(TimeSpan.FromSeconds(5)); // still critical: no event
        await AdvanceUntil(() => events.Count == 3, 20);

        Assert.Equal([StorageLevel.Warning, StorageLevel.Critical, StorageLevel.Ok], events.Select(e => e.Level));
        Assert.Equal(50_000, events.ElementAt(1).AvailableBytes);
    }

    [Fact]
    public async Task StartAsync_DiskAlreadyCritical_RaisesStatusChanged()
    {
        var events = new ConcurrentQueue<StorageStatus>();
        _h.Store.StatusChanged += (_, e) => events.Enqueue(e.Status);
        _h.Status.SetUsage(97);

        await _h.Store.StartAsync(CancellationToken.None);

        Assert.Equal(StorageLevel.Critical, Assert.Single(events).Level);
    }

    [Fact]
    public async Task Monitor_SubscriberThrows_MeasuringStillWorks()
    {
        _h.Store.StatusChanged += (_, _) => throw new InvalidOperationException("subscriber bug");
        await _h.Store.StartAsync(CancellationToken.None);
        _h.Status.SetUsage(95);
        _h.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Throws<InsufficientStorageException>(_h.Store.EnsureSpaceForWrite);
    }

    [Fact]
    public async Task Thresholds_FromOptions_Applied()
    {
        await using var h = new StoreHarness(o =>
        {
            o.WarnPercent = 50;
            o.BlockPercent = 60;
        });
        h.Status.SetUsage(55);

        Assert.Equal(StorageLevel.Warning, h.Store.GetStatus().Level);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        h.Status.SetUsage(61);
        Assert.Throws<InsufficientStorageException>(h.Store.EnsureSpaceForWrite);
    }

    private async Task AdvanceUntil(Func<bool> condition, double usedPercent)
    {
        _h.Status.SetUsage(usedPercent);
        await Poll.UntilAsync(
            () =>
            {
                // The monitor waits on the fake clock; keep moving it until it has measured.
                _h.Time.Advance(TimeSpan.FromSeconds(5));
                return Task.FromResult(condition());
            },
            $"status event at {usedPercent}%");
    }
}

using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage.Tests;

public sealed class RetentionTests : IAsyncLifetime
{
    private const int KiB = 1024;
    private readonly StoreHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    public static TheoryData<RetentionPolicy, string> InvalidPolicies => new()
    {
        { new RetentionPolicy { PolicyType = "forever", Enabled = true }, "policy_type" },
        { new RetentionPolicy { PolicyType = "AGE", Enabled = true, MaxAgeDays = 3 }, "policy_type" },
        { new RetentionPolicy { PolicyType = "age", Enabled = true }, "max_age_days" },
        { new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = 0 }, "max_age_days" },
        { new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = -1 }, "max_age_days" },
        { new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = double.NaN }, "max_age_days" },
        { new RetentionPolicy { PolicyType = "size", Enabled = true }, "max_size_gb" },
        { new RetentionPolicy { PolicyType = "size", Enabled = true, MaxSizeGb = 0 }, "max_size_gb" },
        { new RetentionPolicy { PolicyType = "manual", Enabled = true, MinFreePercent = 101 }, "min_free_percent" },
        { new RetentionPolicy { PolicyType = "manual", Enabled = true, MinFreePercent = -0.5 }, "min_free_percent" },
    };

    [Theory]
    [MemberData(nameof(InvalidPolicies))]
    public async Task SetRetentionPolicyAsync_Invalid_ThrowsAndKeepsStoredPolicy(RetentionPolicy policy, string param)
    {
        var good = new RetentionPolicy { PolicyType = "age", Enabled = false, MaxAgeDays = 30, MinFreePercent = 10 };
        await _h.Store.SetRetentionPolicyAsync(good, CancellationToken.None);
        var fileBefore = await File.ReadAllTextAsync(PolicyFile);

        var ex = await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.SetRetentionPolicyAsync(policy, CancellationToken.None));

        Assert.Equal(param, ex.Param);
        Assert.Equal(good, _h.Store.GetRetentionPolicy());
        Assert.Equal(fileBefore, await File.ReadAllTextAsync(PolicyFile));
    }

    [Fact]
    public async Task SetRetentionPolicyAsync_Valid_PersistedAcrossNewStoreInstance()
    {
        var policy = new RetentionPolicy { PolicyType = "size", Enabled = true, MaxSizeGb = 2.5, MinFreePercent = 15 };

        var stored = await _h.Store.SetRetentionPolicyAsync(policy, CancellationToken.None);

        Assert.Equal(policy, stored);
        var restarted = _h.NewStore();
        Assert.Equal(policy, restarted.GetRetentionPolicy());
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(PolicyFile));
        Assert.Equal("size", json.RootElement.GetProperty("policy_type").GetString());
        Assert.Equal(2.5, json.RootElement.GetProperty("max_size_gb").GetDouble());
        Assert.Equal([RetentionPolicyStore.FileName], Directory.GetFiles(_h.StateDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public void GetRetentionPolicy_NothingStored_ManualDisabled()
    {
        Assert.Equal(new RetentionPolicy { PolicyType = "manual", Enabled = false }, _h.Store.GetRetentionPolicy());
    }

    [Fact]
    public async Task GetRetentionPolicy_CorruptFile_DefaultInsteadOfCrash()
    {
        Directory.CreateDirectory(_h.StateDirectory);
        await File.WriteAllTextAsync(PolicyFile, "{ not json");

        var store = _h.NewStore();

        Assert.Equal("manual", store.GetRetentionPolicy().PolicyType);
    }

    [Fact]
    public async Task SetRetentionPolicyAsync_StateDirectoryUnwritable_DependencyFailedAndPolicyUnchanged()
    {
        // A file where the state directory should be: it cannot be created.
        await File.WriteAllTextAsync(_h.StateDirectory, "in the way");

        await Assert.ThrowsAsync<DependencyFailedException>(() => _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = 1 }, CancellationToken.None));

        Assert.Equal("manual", _h.Store.GetRetentionPolicy().PolicyType);
    }

    [Fact]
    public async Task CleanupAsync_AgePolicy_DeletesOlderFilesOfBothKindsOnly()
    {
        var old1 = _h.WriteFile(_h.Recordings, "camera0", "old1.mp4", TimeSpan.FromDays(10), KiB);
        var old2 = _h.WriteFile(_h.Snapshots, "camera1", "old2.jpg", TimeSpan.FromDays(8), KiB);
        var fresh = _h.WriteFile(_h.Recordings, "camera0", "fresh.mp4", TimeSpan.FromDays(6), KiB);
        var freshSnap = _h.WriteFile(_h.Snapshots, "camera1", "fresh.jpg", TimeSpan.FromHours(1), KiB);
        await _h.Store.StartAsync(CancellationToken.None);
        await _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "age", Enabled = false, MaxAgeDays = 7 }, CancellationToken.None);

        var result = await _h.Store.CleanupAsync(CancellationToken.None);

        Assert.Equal(2, result.FilesDeleted);
        Assert.Equal(2 * KiB, result.BytesFreed);
        Assert.False(File.Exists(old1));
        Assert.False(File.Exists(old2));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(freshSnap));
        Assert.Contains("older than 7 days", result.Message, StringComparison.Ordinal);
        var page = await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 10 }, CancellationToken.None);
        Assert.Equal(["fresh.mp4"], page.Files.Select(f => f.FileName));
    }

    [Fact]
    public async Task CleanupAsync_AgePolicy_NeverDeletesRecordingInProgress()
    {
        var active = _h.WriteFile(_h.Recordings, "camera0", "active.mp4", TimeSpan.FromDays(30), KiB);
        var idle = _h.WriteFile(_h.Recordings, "camera1", "idle.mp4", TimeSpan.FromDays(30), KiB);
        await _h.Store.StartAsync(CancellationToken.None);
        _h.Store.SetRecordingActive("camera0", true);
        await _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "age", Enabled = false, MaxAgeDays = 1 }, CancellationToken.None);

        var result = await _h.Store.CleanupAsync(CancellationToken.None);

        Assert.Equal(1, result.FilesDeleted);
        Assert.True(File.Exists(active));
        Assert.False(File.Exists(idle));
    }

    [Fact]
    public async Task CleanupAsync_SizePolicy_DeletesOldestUntilBelowCap()
    {
        // Ten files of 100 KiB, oldest first f0..f9; cap 450 KiB → keep the newest four.
        var paths = Enumerable.Range(0, 10)
            .Select(i => _h.WriteFile(_h.Recordings, $"camera{i % 2}", $"f{i}.mp4", TimeSpan.FromHours(100 - i), 100 * KiB))
            .ToList();
        await _h.Store.StartAsync(CancellationToken.None);
        await _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "size", Enabled = false, MaxSizeGb = 450.0 * KiB / (1024 * 1024 * 1024) }, CancellationToken.None);

        var result = await _h.Store.CleanupAsync(CancellationToken.None);

        Assert.Equal(6, result.FilesDeleted);
        Assert.Equal(600 * KiB, result.BytesFreed);
        Assert.All(paths.Take(6), p => Assert.False(File.Exists(p)));
        Assert.All(paths.Skip(6), p => Assert.True(File.Exists(p)));
        Assert.Equal(400 * KiB, _h.Store.GetStatus().RecordingsBytes);
    }

    [Fact]
    public async Task CleanupAsync_MinFreeFloor_DeletesOldestUntilFreeSpaceRestored()
    {
        // A 10 MiB disk whose only content is the media: 8 files of 1 MiB → 20 % free. Floor 50 % → delete 3 oldest.
        const long total = 10 * 1024 * KiB;
        _h.Status.Compute = () =>
        {
            var used = Directory.EnumerateFiles(_h.Root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            return new FileSystemSpace(total, total - used, total - used);
        };
        var paths = Enumerable.Range(0, 8)
            .Select(i => _h.WriteFile(_h.Snapshots, "camera0", $"s{i}.jpg", TimeSpan.FromHours(10 - i), 1024 * KiB))
            .ToList();
        await _h.Store.StartAsync(CancellationToken.None);
        await _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "manual", Enabled = false, MinFreePercent = 50 }, CancellationToken.None);

        var result = await _h.Store.CleanupAsync(CancellationToken.None);

        Assert.Equal(3, result.FilesDeleted);
        Assert.All(paths.Take(3), p => Assert.False(File.Exists(p)));
        Assert.All(paths.Skip(3), p => Assert.True(File.Exists(p)));
        Assert.Equal(50, _h.Store.GetStatus().UsagePercent, 1);
    }

    [Fact]
    public async Task CleanupAsync_ManualWithoutFloor_DeletesNothing()
    {
        var path = _h.WriteFile(_h.Recordings, "camera0", "x.mp4", TimeSpan.FromDays(1000), KiB);
        await _h.Store.StartAsync(CancellationToken.None);

        var result = await _h.Store.CleanupAsync(CancellationToken.None);

        Assert.Equal(0, result.FilesDeleted);
        Assert.True(File.Exists(path));
        Assert.Contains("manual", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackgroundSweep_EnabledPolicySet_AppliesWithoutCleanupCall()
    {
        var old = _h.WriteFile(_h.Recordings, "camera0", "old.mp4", TimeSpan.FromDays(3), KiB);
        var fresh = _h.WriteFile(_h.Recordings, "camera0", "fresh.mp4", TimeSpan.FromHours(3), KiB);
        await _h.Store.StartAsync(CancellationToken.None);

        await _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = 1 }, CancellationToken.None);

        await Poll.UntilAsync(() => Task.FromResult(!File.Exists(old)), "sweep deleted the old recording");
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public async Task BackgroundSweep_Interval_AppliesEnabledPolicyOnFakeClock()
    {
        await _h.Store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = 1 }, CancellationToken.None);
        await _h.Store.StartAsync(CancellationToken.None);
        var path = _h.WriteFile(_h.Recordings, "camera0", "later.mp4", TimeSpan.FromHours(20), KiB);
        await Poll.UntilAsync(async () => (await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 10 }, CancellationToken.None)).Total == 1, "file listed");

        await Poll.UntilAsync(
            () =>
            {
                _h.Time.Advance(TimeSpan.FromMinutes(5));
                return Task.FromResult(!File.Exists(path));
            },
            "interval sweep deleted the file once it aged past a day");
    }

    private string PolicyFile => Path.Combine(_h.StateDirectory, RetentionPolicyStore.FileName);
}

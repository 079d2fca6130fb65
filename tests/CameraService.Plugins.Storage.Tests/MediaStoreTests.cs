using CameraService.Abstractions;
using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage.Tests;

public sealed class MediaStoreTests : IAsyncLifetime
{
    private const string Recording = "camera0_2026-11-27_10-15-00-123456.mp4";
    private readonly StoreHarness _h = new();

    public static TheoryData<string> HostileNames => new()
    {
        "../../state/storage-retention.json",
        "..",
        "/etc/passwd",
        "camera0/" + Recording,
        "..%2F..%2Fetc%2Fpasswd".Replace("%2F", "/", StringComparison.Ordinal), // %2F already decoded by routing
        "x\0.mp4",
        new string('a', 300) + ".mp4",
        "a\nb.mp4",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task GetAsync_HostileName_InvalidParameter(string name)
    {
        await StartWithRecordingAsync();

        var ex = await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.GetAsync(MediaKind.Recording, name, CancellationToken.None));
        Assert.Equal("filename", ex.Param);
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task DeleteAsync_HostileName_InvalidParameterAndNothingDeleted(string name)
    {
        var path = await StartWithRecordingAsync();
        var stateFile = Path.Combine(_h.StateDirectory, "keep.txt");
        Directory.CreateDirectory(_h.StateDirectory);
        await File.WriteAllTextAsync(stateFile, "x");

        await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.DeleteAsync(MediaKind.Recording, name, CancellationToken.None));

        Assert.True(File.Exists(path));
        Assert.True(File.Exists(stateFile));
    }

    [Theory]
    [InlineData("%2e%2e%2f%2e%2e%2fetc%2fpasswd")]
    [InlineData("camera1_2026-01-01_00-00-00-000000.mp4")]
    public async Task GetAsync_ValidButAbsentName_NotFound(string name)
    {
        await StartWithRecordingAsync();

        var ex = await Assert.ThrowsAsync<ResourceNotFoundException>(() => _h.Store.GetAsync(MediaKind.Recording, name, CancellationToken.None));
        Assert.Equal("recording", ex.Resource);
        Assert.Equal(name, ex.Id);
    }

    [Fact]
    public async Task GetAsync_SnapshotNameAsRecording_NotFound()
    {
        _h.WriteFile(_h.Snapshots, "camera0", "camera0_2026-11-27_10-15-02.jpg", TimeSpan.FromHours(1), 3);
        await _h.Store.StartAsync(CancellationToken.None);

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _h.Store.GetAsync(MediaKind.Recording, "camera0_2026-11-27_10-15-02.jpg", CancellationToken.None));
        var snapshot = await _h.Store.GetAsync(MediaKind.Snapshot, "camera0_2026-11-27_10-15-02.jpg", CancellationToken.None);
        Assert.Equal("image/jpeg", snapshot.ContentType);
        Assert.Equal(3, snapshot.Size);
    }

    [Fact]
    public async Task GetAsync_SymlinkEscapingRoot_RefusedAndNotListed()
    {
        var secret = Path.Combine(_h.Directory.FullName, "secret.txt");
        await File.WriteAllTextAsync(secret, "secret");
        Directory.CreateDirectory(Path.Combine(_h.Recordings, "camera0"));
        File.CreateSymbolicLink(Path.Combine(_h.Recordings, "camera0", "evil.mp4"), secret);
        await _h.Store.StartAsync(CancellationToken.None);

        await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.GetAsync(MediaKind.Recording, "evil.mp4", CancellationToken.None));
        await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.DeleteAsync(MediaKind.Recording, "evil.mp4", CancellationToken.None));
        var page = await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 50 }, CancellationToken.None);
        Assert.Empty(page.Files);
        Assert.Equal("secret", await File.ReadAllTextAsync(secret));
    }

    [Fact]
    public async Task GetAsync_CameraDirectorySymlinkedOutside_Refused()
    {
        var outside = Path.Combine(_h.Directory.FullName, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "loot.mp4"), "x");
        Directory.CreateDirectory(_h.Recordings);
        Directory.CreateSymbolicLink(Path.Combine(_h.Recordings, "camera7"), outside);
        await _h.Store.StartAsync(CancellationToken.None);

        await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.GetAsync(MediaKind.Recording, "loot.mp4", CancellationToken.None));
        var page = await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 50 }, CancellationToken.None);
        Assert.Empty(page.Files);
    }

    [Fact]
    public async Task GetAsync_SymlinkInsideRoot_Served()
    {
        var target = _h.WriteFile(_h.Recordings, "camera0", Recording, TimeSpan.FromHours(1), 5);
        File.CreateSymbolicLink(Path.Combine(_h.Recordings, "camera0", "alias.mp4"), target);
        await _h.Store.StartAsync(CancellationToken.None);

        var file = await _h.Store.GetAsync(MediaKind.Recording, "alias.mp4", CancellationToken.None);

        Assert.Equal(5, file.Size);
    }

    [Fact]
    public async Task GetAsync_FileWrittenBeforeWatcherReports_FoundOnDisk()
    {
        await _h.Store.StartAsync(CancellationToken.None);
        await _h.Store.StopAsync(CancellationToken.None); // no watcher: only the on-disk lookup can find it
        _h.WriteFile(_h.Recordings, "camera3", Recording, TimeSpan.FromHours(1), 7);

        var file = await _h.Store.GetAsync(MediaKind.Recording, Recording, CancellationToken.None);

        Assert.Equal("camera3", file.CameraId);
        Assert.Equal(7, file.Size);
        Assert.Equal(Path.Combine(_h.Recordings, "camera3", Recording), file.Path);
    }

    [Fact]
    public async Task DeleteAsync_FinishedRecording_RemovesFileAndEntry()
    {
        var path = await StartWithRecordingAsync();

        var deleted = await _h.Store.DeleteAsync(MediaKind.Recording, Recording, CancellationToken.None);

        Assert.Equal(Recording, deleted.FileName);
        Assert.Equal(4, deleted.Size);
        Assert.False(File.Exists(path));
        var page = await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 50 }, CancellationToken.None);
        Assert.Empty(page.Files);
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _h.Store.DeleteAsync(MediaKind.Recording, Recording, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteAsync_NewestRecordingOfActiveCamera_RefusedWithInvalidState()
    {
        var older = _h.WriteFile(_h.Recordings, "camera0", "camera0_2026-11-27_09-00-00-000000.mp4", TimeSpan.FromHours(2), 4);
        var newest = await StartWithRecordingAsync();
        _h.Store.SetRecordingActive("camera0", true);

        var ex = await Assert.ThrowsAsync<InvalidStateException>(() => _h.Store.DeleteAsync(MediaKind.Recording, Recording, CancellationToken.None));

        Assert.Equal("recording_in_progress", ex.Reason);
        Assert.Equal("RECORDING", ex.State);
        Assert.True(File.Exists(newest));
        Assert.True((await _h.Store.GetAsync(MediaKind.Recording, Recording, CancellationToken.None)).InProgress);

        // The older segment of the same camera is finished and may go.
        await _h.Store.DeleteAsync(MediaKind.Recording, Path.GetFileName(older), CancellationToken.None);
        Assert.False(File.Exists(older));

        _h.Store.SetRecordingActive("camera0", false);
        await _h.Store.DeleteAsync(MediaKind.Recording, Recording, CancellationToken.None);
        Assert.False(File.Exists(newest));
    }

    [Fact]
    public async Task DeleteAsync_RecordingModifiedJustNow_RefusedAsInProgress()
    {
        var path = _h.WriteFile(_h.Recordings, "camera0", Recording, TimeSpan.FromSeconds(1), 4);
        await _h.Store.StartAsync(CancellationToken.None);

        await Assert.ThrowsAsync<InvalidStateException>(() => _h.Store.DeleteAsync(MediaKind.Recording, Recording, CancellationToken.None));
        Assert.True(File.Exists(path));

        _h.Time.Advance(TimeSpan.FromSeconds(10));
        await _h.Store.DeleteAsync(MediaKind.Recording, Recording, CancellationToken.None);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task DeleteAsync_SnapshotJustWritten_Deletes()
    {
        var path = _h.WriteFile(_h.Snapshots, "camera0", "camera0_2026-11-27_10-15-02.jpg", TimeSpan.Zero, 4);
        await _h.Store.StartAsync(CancellationToken.None);

        await _h.Store.DeleteAsync(MediaKind.Snapshot, "camera0_2026-11-27_10-15-02.jpg", CancellationToken.None);

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AllocateSnapshotPath_NoName_GeneratesTimestampedUniqueNames()
    {
        _h.Time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 10, 15, 2, TimeSpan.Zero));

        var first = _h.Store.AllocateSnapshotPath("camera0", null, "jpg");
        var second = _h.Store.AllocateSnapshotPath("camera0", null, "jpg");

        Assert.Equal(Path.Combine(_h.Snapshots, "camera0", "camera0_2026-11-27_10-15-02.jpg"), first);
        Assert.Equal(Path.Combine(_h.Snapshots, "camera0", "camera0_2026-11-27_10-15-02_1.jpg"), second);
        Assert.True(Directory.Exists(Path.Combine(_h.Snapshots, "camera0")));
    }

    [Fact]
    public async Task AllocateSnapshotPath_GeneratedNameExistsOnDisk_SkipsIt()
    {
        _h.Time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 10, 15, 2, TimeSpan.Zero));
        _h.WriteFile(_h.Snapshots, "camera0", "camera0_2026-11-27_10-15-02.jpg", TimeSpan.Zero, 1);
        await _h.Store.StartAsync(CancellationToken.None);

        var path = _h.Store.AllocateSnapshotPath("camera0", null, "jpg");

        Assert.Equal("camera0_2026-11-27_10-15-02_1.jpg", Path.GetFileName(path));
    }

    [Fact]
    public void AllocateSnapshotPath_RequestedName_AddsExtensionAndRefusesDuplicate()
    {
        var path = _h.Store.AllocateSnapshotPath("camera1", "front-door", "jpg");
        Assert.Equal(Path.Combine(_h.Snapshots, "camera1", "front-door.jpg"), path);
        File.WriteAllBytes(path, [1]);

        var ex = Assert.Throws<InvalidParameterException>(() => _h.Store.AllocateSnapshotPath("camera2", "front-door.jpg", "jpg"));
        Assert.Equal("filename", ex.Param);
    }

    [Theory]
    [InlineData("camera0", "../x", "jpg", "filename")]
    [InlineData("camera0", ".hidden", "jpg", "filename")]
    [InlineData("../camera0", null, "jpg", "device")]
    [InlineData("camera0", null, "j/pg", "format")]
    public void AllocateSnapshotPath_BadInput_InvalidParameterAndNoDirectory(string camera, string? name, string extension, string param)
    {
        var ex = Assert.Throws<InvalidParameterException>(() => _h.Store.AllocateSnapshotPath(camera, name, extension));

        Assert.Equal(param, ex.Param);
        Assert.False(Directory.Exists(Path.Combine(_h.Snapshots, "camera0")));
    }

    [Fact]
    public async Task AddAsync_FileJustWritten_CataloguedWithDuration()
    {
        var path = _h.Store.AllocateSnapshotPath("camera0", null, "jpg");
        await File.WriteAllBytesAsync(path, [0xFF, 0xD8, 0xFF]);

        var file = await _h.Store.AddAsync(MediaKind.Snapshot, path, CancellationToken.None);

        Assert.Equal(3, file.Size);
        Assert.Equal("camera0", file.CameraId);
        var page = await _h.Store.ListAsync(MediaKind.Snapshot, new MediaQuery { Offset = 0, Limit = 10, CameraId = "camera0" }, CancellationToken.None);
        Assert.Equal(Path.GetFileName(path), Assert.Single(page.Files).FileName);
    }

    [Fact]
    public async Task AddAsync_PathOutsideStore_InvalidParameter()
    {
        var outside = Path.Combine(_h.Directory.FullName, "x.jpg");
        await File.WriteAllBytesAsync(outside, [1]);

        await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.AddAsync(MediaKind.Snapshot, outside, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidParameterException>(() => _h.Store.AddAsync(MediaKind.Recording, Path.Combine(_h.Snapshots, "camera0", "x.jpg"), CancellationToken.None));
    }

    [Fact]
    public async Task AddAsync_MissingFile_NotFound()
    {
        var path = _h.Store.AllocateSnapshotPath("camera0", null, "jpg");

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _h.Store.AddAsync(MediaKind.Snapshot, path, CancellationToken.None));
    }

    [Fact]
    public void GetRecordingDirectory_ValidCamera_CreatesDirectoryMatchingRecordPathLayout()
    {
        var directory = _h.Store.GetRecordingDirectory("camera4");

        Assert.Equal(Path.Combine(_h.Root, "recordings", "camera4"), directory);
        Assert.True(Directory.Exists(directory));
        Assert.Throws<InvalidParameterException>(() => _h.Store.GetRecordingDirectory("../camera4"));
    }

    [Fact]
    public async Task Watcher_NewFileInNewCameraDirectory_AppearsThenDisappearsOnDelete()
    {
        await _h.Store.StartAsync(CancellationToken.None);

        var path = _h.WriteFile(_h.Recordings, "camera9", Recording, TimeSpan.FromMinutes(5), 12);
        await Poll.UntilAsync(async () => (await ListNames("camera9")).Contains(Recording), "new recording listed");
        var listed = await _h.Store.GetAsync(MediaKind.Recording, Recording, CancellationToken.None);
        Assert.Equal(12, listed.Size);

        File.Delete(path);
        await Poll.UntilAsync(async () => (await ListNames(null)).Count == 0, "deleted recording unlisted");
    }

    [Fact]
    public async Task Watcher_FileGrows_SizeUpdated()
    {
        var path = _h.WriteFile(_h.Recordings, "camera0", Recording, TimeSpan.FromMinutes(5), 1);
        await _h.Store.StartAsync(CancellationToken.None);

        await using (var stream = new FileStream(path, FileMode.Append))
        {
            await stream.WriteAsync(new byte[99]);
        }

        await Poll.UntilAsync(
            async () => (await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 1 }, CancellationToken.None)).Files.Single().Size == 100,
            "size updated");
    }

    [Fact]
    public async Task Watcher_Rename_OldNameGoneNewNameListed()
    {
        var path = _h.WriteFile(_h.Snapshots, "camera0", "a.jpg", TimeSpan.FromMinutes(5), 1);
        await _h.Store.StartAsync(CancellationToken.None);

        File.Move(path, Path.Combine(_h.Snapshots, "camera0", "b.jpg"));

        await Poll.UntilAsync(
            async () => (await _h.Store.ListAsync(MediaKind.Snapshot, new MediaQuery { Offset = 0, Limit = 10 }, CancellationToken.None)).Files.Select(f => f.FileName).SequenceEqual(["b.jpg"]),
            "rename reflected");
    }

    [Fact]
    public async Task RescanAll_FilesChangedWithoutWatcher_CatalogMatchesDisk()
    {
        var path = await StartWithRecordingAsync();
        await _h.Store.StopAsync(CancellationToken.None);
        File.Delete(path);
        _h.WriteFile(_h.Recordings, "camera1", "camera1_2026-11-27_11-00-00-000000.mp4", TimeSpan.FromHours(1));

        _h.Store.RescanAll();

        Assert.Equal(["camera1_2026-11-27_11-00-00-000000.mp4"], await ListNames(null));
    }

    [Fact]
    public async Task ListAsync_HiddenAndDuplicateNames_NotListedTwice()
    {
        _h.WriteFile(_h.Recordings, "camera0", ".partial.mp4", TimeSpan.FromHours(1));
        _h.WriteFile(_h.Recordings, "camera0", "same.mp4", TimeSpan.FromHours(1));
        _h.WriteFile(_h.Recordings, "camera1", "same.mp4", TimeSpan.FromHours(1));
        await _h.Store.StartAsync(CancellationToken.None);

        Assert.Equal(["same.mp4"], await ListNames(null));
    }

    private async Task<string> StartWithRecordingAsync()
    {
        var path = _h.WriteFile(_h.Recordings, "camera0", Recording, TimeSpan.FromHours(1), 4);
        await _h.Store.StartAsync(CancellationToken.None);
        return path;
    }

    private async Task<List<string>> ListNames(string? camera) =>
        (await _h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 1000, CameraId = camera }, CancellationToken.None)).Files.Select(f => f.FileName).ToList();
}

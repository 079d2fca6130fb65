using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage.Tests;

/// <summary>Paging over a generated tree of 100,000 recordings (empty files, distinct mtimes one second apart).</summary>
public sealed class LargeTree : IAsyncLifetime
{
    public const int FileCount = 100_000;
    public const int Cameras = 4;

    internal StoreHarness Harness { get; } = new();

    /// <summary>File names by age rank: index 0 is the newest.</summary>
    public List<string> NewestFirst { get; } = [];

    public async Task InitializeAsync()
    {
        var start = Harness.Time.GetUtcNow() - TimeSpan.FromDays(30);
        for (var c = 0; c < Cameras; c++)
        {
            Directory.CreateDirectory(Path.Combine(Harness.Recordings, $"camera{c}"));
        }

        var names = new string[FileCount];
        for (var i = 0; i < FileCount; i++)
        {
            var camera = $"camera{i % Cameras}";
            var time = start + TimeSpan.FromSeconds(i);
            var name = string.Create(CultureInfo.InvariantCulture, $"{camera}_{time:yyyy-MM-dd_HH-mm-ss}-000000.mp4");
            var path = Path.Combine(Harness.Recordings, camera, name);
            File.Create(path).Dispose();
            File.SetLastWriteTimeUtc(path, time.UtcDateTime);
            names[i] = name;
        }

        NewestFirst.AddRange(names.Reverse());
        await Harness.Store.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

public sealed class CatalogPagingTests(LargeTree tree) : IClassFixture<LargeTree>
{
    private StorageMediaStore Store => tree.Harness.Store;

    [Fact]
    public async Task ListAsync_FirstPage_NewestFiftyOfAll()
    {
        var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 50 }, CancellationToken.None);

        Assert.Equal(LargeTree.FileCount, page.Total);
        Assert.Equal(tree.NewestFirst.Take(50), page.Files.Select(f => f.FileName));
        Assert.All(page.Files, f => Assert.Equal(f.FileName[..f.FileName.IndexOf('_', StringComparison.Ordinal)], f.CameraId));
    }

    [Fact]
    public async Task ListAsync_AllPagesOfThousand_CoverEveryFileOnceNewestFirst()
    {
        var seen = new List<MediaFile>();
        for (var offset = 0; offset < LargeTree.FileCount; offset += 1000)
        {
            var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = offset, Limit = 1000 }, CancellationToken.None);
            Assert.Equal(1000, page.Files.Count);
            seen.AddRange(page.Files);
        }

        Assert.Equal(tree.NewestFirst, seen.Select(f => f.FileName));
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Modified > p.Second.Modified));
    }

    [Fact]
    public async Task ListAsync_DeepOffset_ReturnsTheOldest()
    {
        var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = LargeTree.FileCount - 10, Limit = 50 }, CancellationToken.None);

        Assert.Equal(tree.NewestFirst.TakeLast(10), page.Files.Select(f => f.FileName));
        Assert.Equal(LargeTree.FileCount, page.Total);
    }

    [Fact]
    public async Task ListAsync_OffsetPastEnd_EmptyPageWithTotal()
    {
        var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = LargeTree.FileCount, Limit = 50 }, CancellationToken.None);

        Assert.Empty(page.Files);
        Assert.Equal(LargeTree.FileCount, page.Total);
    }

    [Fact]
    public async Task ListAsync_CameraFilter_OnlyThatCameraNewestFirst()
    {
        var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 100, Limit = 20, CameraId = "camera2" }, CancellationToken.None);

        Assert.Equal(LargeTree.FileCount / LargeTree.Cameras, page.Total);
        var expected = tree.NewestFirst.Where(n => n.StartsWith("camera2_", StringComparison.Ordinal)).Skip(100).Take(20);
        Assert.Equal(expected, page.Files.Select(f => f.FileName));
        Assert.All(page.Files, f => Assert.Equal("camera2", f.CameraId));
    }

    [Fact]
    public async Task ListAsync_UnknownCamera_EmptyNotError()
    {
        var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 50, CameraId = "camera99" }, CancellationToken.None);

        Assert.Empty(page.Files);
        Assert.Equal(0, page.Total);
    }

    [Fact]
    public async Task ListAsync_Snapshots_SeparateFromRecordings()
    {
        var page = await Store.ListAsync(MediaKind.Snapshot, new MediaQuery { Offset = 0, Limit = 50 }, CancellationToken.None);

        Assert.Empty(page.Files);
    }

    [Theory]
    [InlineData(0, 0, "limit")]
    [InlineData(0, 1001, "limit")]
    [InlineData(-1, 50, "offset")]
    public async Task ListAsync_OutOfRangeQuery_ThrowsInvalidParameter(int offset, int limit, string param)
    {
        var ex = await Assert.ThrowsAsync<InvalidParameterException>(() => Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = offset, Limit = limit }, CancellationToken.None));

        Assert.Equal(param, ex.Param);
    }

    [Fact]
    public async Task ListAsync_FilesFromNames_CarryCreatedTimeFromName()
    {
        var page = await Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 1 }, CancellationToken.None);
        var file = Assert.Single(page.Files);

        // The name carries the same second as the mtime (local zone of the fake clock is UTC here or not; compare via the name parser).
        Assert.Equal(FileNameRules.TryParseNameTime(file.FileName, tree.Harness.Time.LocalTimeZone), file.Created);
        Assert.Equal(0, file.Size);
        Assert.Null(file.Duration);
        Assert.False(file.InProgress);
        Assert.Equal("video/mp4", file.ContentType);
    }
}

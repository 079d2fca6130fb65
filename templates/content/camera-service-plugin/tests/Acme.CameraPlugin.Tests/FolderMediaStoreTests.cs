using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin.Tests;

public sealed class FolderMediaStoreTests : IDisposable
{
    private readonly TestEnvironment _environment = new();

    [Fact]
    public async Task Snapshot_WrittenAndAdded_IsListedAndDeleted()
    {
        var store = await StartedStoreAsync();
        var path = store.AllocateSnapshotPath("camera0", "front.jpg", "jpg");
        await File.WriteAllBytesAsync(path, [0xFF, 0xD8, 0xFF, 0xD9]);

        var added = await store.AddAsync(MediaKind.Snapshot, path, CancellationToken.None);

        Assert.Equal(("front.jpg", "camera0", 4L, "image/jpeg"), (added.FileName, added.CameraId, added.Size, added.ContentType));
        var page = await store.ListAsync(MediaKind.Snapshot, new MediaQuery { CameraId = "camera0" }, CancellationToken.None);
        Assert.Equal("front.jpg", Assert.Single(page.Files).FileName);
        await store.DeleteAsync(MediaKind.Snapshot, "front.jpg", CancellationToken.None);
        Assert.False(File.Exists(path));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => store.GetAsync(MediaKind.Snapshot, "front.jpg", CancellationToken.None));
    }

    [Theory]
    [InlineData("../escape.jpg")]
    [InlineData("..")]
    [InlineData("a/b.jpg")]
    public async Task FileName_WithPath_IsRefused(string name)
    {
        var store = await StartedStoreAsync();

        Assert.Throws<InvalidParameterException>(() => store.AllocateSnapshotPath("camera0", name, "jpg"));
        await Assert.ThrowsAsync<InvalidParameterException>(() => store.GetAsync(MediaKind.Snapshot, name, CancellationToken.None));
    }

    [Fact]
    public async Task RetentionPolicy_Automatic_IsNotSupported()
    {
        var store = await StartedStoreAsync();

        await Assert.ThrowsAsync<UnsupportedFeatureException>(() =>
            store.SetRetentionPolicyAsync(new RetentionPolicy { PolicyType = RetentionPolicyTypes.Age, Enabled = true, MaxAgeDays = 7 }, CancellationToken.None));
        Assert.Equal(RetentionPolicyTypes.Manual, store.GetRetentionPolicy().PolicyType);
    }

    [Fact]
    public async Task Status_MeasuresTheMediaFileSystem()
    {
        var store = await StartedStoreAsync();

        var status = store.GetStatus();

        Assert.True(status.TotalBytes > 0);
        Assert.Equal(status.TotalBytes, status.UsedBytes + status.AvailableBytes);
    }

    public void Dispose() => _environment.Dispose();

    private async Task<FolderMediaStore> StartedStoreAsync()
    {
        var store = new FolderMediaStore(_environment, Options.Create(new PluginOptions()));
        await store.StartAsync(CancellationToken.None);
        return store;
    }
}

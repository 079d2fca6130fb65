using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;

namespace Acme.CameraPlugin.Tests;

public sealed class StreamBackendTests
{
    private static readonly StreamCamera Camera = new()
    {
        CameraId = "camera0",
        Name = "Gate",
        Input = new NetworkCaptureInput { Url = new Uri("rtsp://10.0.0.5/stream1"), Video = new VideoMode { PixelFormat = PixelFormats.H264 } },
        RecordingDirectory = "/tmp/recordings/camera0",
    };

    [Fact]
    public async Task Publish_CameraIsListedAsInactiveStream()
    {
        var backend = new StreamBackend();

        await backend.PublishAsync(Camera, CancellationToken.None);

        var stream = Assert.Single(await backend.GetStreamsAsync(CancellationToken.None));
        Assert.Equal(("camera0", "camera0", StreamState.Inactive), (stream.CameraId, stream.Name, stream.State));
        Assert.Equal(stream, await backend.GetStreamAsync("camera0", CancellationToken.None));
    }

    [Fact]
    public async Task Unpublish_CameraIsGone()
    {
        var backend = new StreamBackend();
        await backend.PublishAsync(Camera, CancellationToken.None);

        await backend.UnpublishAsync("camera0", CancellationToken.None);

        Assert.Empty(await backend.GetStreamsAsync(CancellationToken.None));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => backend.GetStreamAsync("camera0", CancellationToken.None));
    }

    [Fact]
    public async Task Snapshot_NotImplementedYet_AnswersNotSupportedNamingTheBackend()
    {
        var backend = new StreamBackend();
        await backend.PublishAsync(Camera, CancellationToken.None);

        var error = await Assert.ThrowsAsync<UnsupportedFeatureException>(() =>
            backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = "/tmp/x.jpg" }, CancellationToken.None));

        Assert.Equal("snapshot", error.Feature);
        Assert.Contains(backend.Name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_UnknownCamera_IsNotFound()
    {
        var backend = new StreamBackend();

        await Assert.ThrowsAsync<ResourceNotFoundException>(() =>
            backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera9", OutputPath = "/tmp/x.jpg" }, CancellationToken.None));
    }
}

using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;

namespace Samples.NullBackend;

/// <summary>
/// A stream backend without streams or recordings that stores snapshots: for a synthetic camera it renders the
/// camera's pattern itself and writes it as PNG. Every other request answers with the contract's error and a
/// message saying what to do — a backend never pretends.
/// </summary>
internal sealed class NullStreamBackend : IStreamBackend
{
    private readonly ConcurrentDictionary<string, StreamCamera> _cameras = new(StringComparer.Ordinal);

    public string Name => "null";

#pragma warning disable CS0067 // nothing runs in the background, so there is nothing to report
    public event EventHandler<StreamBackendEventArgs>? BackendEvent;
#pragma warning restore CS0067

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PublishAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);
        _cameras[camera.CameraId] = camera;
        return Task.CompletedTask;
    }

    public Task UnpublishAsync(string cameraId, CancellationToken cancellationToken)
    {
        _cameras.TryRemove(cameraId, out _);
        return Task.CompletedTask;
    }

    public Task<StreamInfo> StartStreamingAsync(string cameraId, CancellationToken cancellationToken) =>
        throw new UnsupportedFeatureException("streaming", $"The null backend has no live streams (camera {Find(cameraId).CameraId}); select a streaming backend with CameraService:StreamBackend.");

    public Task<StreamInfo> StopStreamingAsync(string cameraId, CancellationToken cancellationToken) => Task.FromResult(Inactive(Find(cameraId)));

    public Task<StreamInfo> GetStreamAsync(string cameraId, CancellationToken cancellationToken) => Task.FromResult(Inactive(Find(cameraId)));

    public Task<IReadOnlyList<StreamInfo>> GetStreamsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StreamInfo>>(_cameras.Values.OrderBy(c => c.CameraId, StringComparer.Ordinal).Select(Inactive).ToList());

    public StreamUrls GetStreamUrls(string cameraId) => new();

    public Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        throw new UnsupportedFeatureException("recording", $"The null backend does not record (camera {Find(request.CameraId).CameraId}); select a recording backend with CameraService:StreamBackend.");
    }

    public Task<BackendRecording> StopRecordingAsync(string cameraId, CancellationToken cancellationToken) =>
        throw new InvalidStateException("not_recording", "idle", $"Camera {Find(cameraId).CameraId} is not recording: the null backend does not record.");

    public Task<IReadOnlyList<BackendRecording>> GetActiveRecordingsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BackendRecording>>([]);

    public async Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var camera = Find(request.CameraId);
        if (camera.Input is not SyntheticCaptureInput synthetic)
        {
            throw new UnsupportedFeatureException("snapshot", $"The null backend renders snapshots of synthetic cameras only; camera {camera.CameraId} is a {camera.Input.GetType().Name}.");
        }

        // An unknown format (a later SDK may add some) is refused, never written as something else.
        if (request.Format != SnapshotFormats.Png)
        {
            throw new InvalidParameterException("format", $"the null backend writes PNG snapshots only; ask for format '{SnapshotFormats.Png}' (got '{request.Format}').");
        }

        var width = Math.Clamp(synthetic.Video.Width > 0 ? synthetic.Video.Width : 640, 16, 1920);
        var height = Math.Clamp(synthetic.Video.Height > 0 ? synthetic.Video.Height : 480, 16, 1080);
        var png = PngWriter.Encode(width, height, PatternRenderer.Render(synthetic.Pattern, width, height));

        // Written next to the target and renamed, so a reader never sees half a file.
        var temporary = request.OutputPath + ".tmp";
        await File.WriteAllBytesAsync(temporary, png, cancellationToken);
        File.Move(temporary, request.OutputPath, overwrite: true);
        return new SnapshotResult { Path = request.OutputPath, Size = png.Length, Width = width, Height = height };
    }

    public ComponentStatus GetHealth() => ComponentStatus.Running;

    private StreamCamera Find(string cameraId) =>
        _cameras.TryGetValue(cameraId, out var camera) ? camera : throw new ResourceNotFoundException("camera", cameraId);

    private static StreamInfo Inactive(StreamCamera camera) => new() { CameraId = camera.CameraId, Name = camera.Name, State = StreamState.Inactive };
}

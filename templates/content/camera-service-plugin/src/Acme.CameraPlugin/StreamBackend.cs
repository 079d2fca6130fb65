using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;

namespace Acme.CameraPlugin;

/// <summary>
/// A stream backend that keeps the cameras the core publishes and answers for them. Streaming, recording and
/// snapshots are where your backend does its work: until you implement them they answer with the contract's
/// "not supported" error, which the core turns into a clear API error — never a fake success. Select it with
/// <c>CameraService:StreamBackend=acme-cameraplugin</c>.
/// </summary>
internal sealed class StreamBackend : IStreamBackend
{
    private readonly ConcurrentDictionary<string, StreamCamera> _cameras = new(StringComparer.Ordinal);

    public string Name => Plugin.PluginId;

#pragma warning disable CS0067 // raised once recording or health monitoring is implemented
    public event EventHandler<StreamBackendEventArgs>? BackendEvent;
#pragma warning restore CS0067

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _cameras.Clear();
        return Task.CompletedTask;
    }

    public Task PublishAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);

        // Refuse what this backend cannot open: a later SDK may add kinds of capture input.
        if (camera.Input is not (DeviceCaptureInput or NetworkCaptureInput or SyntheticCaptureInput))
        {
            throw new UnsupportedFeatureException("capture_input", $"{Name} cannot open a {camera.Input.GetType().Name}.");
        }

        _cameras[camera.CameraId] = camera;
        return Task.CompletedTask;
    }

    public Task UnpublishAsync(string cameraId, CancellationToken cancellationToken)
    {
        _cameras.TryRemove(cameraId, out _);
        return Task.CompletedTask;
    }

    public Task<StreamInfo> StartStreamingAsync(string cameraId, CancellationToken cancellationToken) =>
        throw NotSupported(cameraId, "streaming", "live streams");

    public Task<StreamInfo> StopStreamingAsync(string cameraId, CancellationToken cancellationToken) =>
        Task.FromResult(Inactive(Find(cameraId)));

    public Task<StreamInfo> GetStreamAsync(string cameraId, CancellationToken cancellationToken) =>
        Task.FromResult(Inactive(Find(cameraId)));

    public Task<IReadOnlyList<StreamInfo>> GetStreamsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StreamInfo>>(_cameras.Values.OrderBy(c => c.CameraId, StringComparer.Ordinal).Select(Inactive).ToList());

    // No stream, so no URL: clients are told there is nothing to play.
    public StreamUrls GetStreamUrls(string cameraId) => new();

    public Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        throw NotSupported(request.CameraId, "recording", "recordings");
    }

    public Task<BackendRecording> StopRecordingAsync(string cameraId, CancellationToken cancellationToken) =>
        throw new InvalidStateException("not_recording", "idle", $"Camera {Find(cameraId).CameraId} is not recording.");

    public Task<IReadOnlyList<BackendRecording>> GetActiveRecordingsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BackendRecording>>([]);

    public Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        throw NotSupported(request.CameraId, "snapshot", "snapshots");
    }

    public ComponentStatus GetHealth() => ComponentStatus.Running;

    private StreamCamera Find(string cameraId) =>
        _cameras.TryGetValue(cameraId, out var camera) ? camera : throw new ResourceNotFoundException("camera", cameraId);

    private UnsupportedFeatureException NotSupported(string cameraId, string feature, string what)
    {
        Find(cameraId);
        return new UnsupportedFeatureException(feature, $"The {Name} stream backend does not provide {what}; select another backend (CameraService:StreamBackend).");
    }

    // The stream (path) name is the camera id, as for every backend; the camera's human name is not a stream name.
    private static StreamInfo Inactive(StreamCamera camera) =>
        new() { CameraId = camera.CameraId, Name = camera.CameraId, State = StreamState.Inactive };
}

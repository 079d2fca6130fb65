namespace CameraService.Abstractions.Streaming;

/// <summary>
/// A media backend: makes cameras available as live streams, records them into the media store's
/// directories and captures snapshots (MediaMTX, ffmpeg, …).
/// </summary>
/// <remarks>
/// The core calls <see cref="StartAsync"/> once before anything else and <see cref="StopAsync"/> at
/// shutdown. <see cref="PublishAsync"/>/<see cref="UnpublishAsync"/> declare the desired state; the
/// backend keeps it applied (also after its own dependency restarts). Members are safe to call
/// concurrently for different cameras; the core serializes calls for one camera. Expected failures are
/// thrown as the exceptions of <see cref="CameraServiceException"/>: <see cref="DependencyFailedException"/>
/// when the media server or ffmpeg fails, <see cref="InvalidStateException"/> for state conflicts,
/// <see cref="ResourceNotFoundException"/> for an unpublished camera.
/// </remarks>
public interface IStreamBackend
{
    /// <summary>The backend's name (e.g. <c>mediamtx</c>, <c>ffmpeg</c>), used to pick it in configuration.</summary>
    string Name { get; }

    /// <summary>Raised when something happens that the core did not ask for: a recording failed or ended, the backend re-applied its state.</summary>
    event EventHandler<StreamBackendEventArgs>? BackendEvent;

    /// <summary>Starts the backend (connects, reconciles).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops the backend and everything it started (processes); recordings are finalized.</summary>
    /// <param name="cancellationToken">Cancels the stop.</param>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Makes the camera available as a stream (idempotent; replaces an earlier publication of the same id).</summary>
    /// <param name="camera">The camera to publish.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task PublishAsync(StreamCamera camera, CancellationToken cancellationToken);

    /// <summary>Removes the camera's stream (idempotent). An active recording of it is stopped and finalized first.</summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task UnpublishAsync(string cameraId, CancellationToken cancellationToken);

    /// <summary>Ensures the live stream runs (starts an on-demand publisher) and returns its state.</summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<StreamInfo> StartStreamingAsync(string cameraId, CancellationToken cancellationToken);

    /// <summary>Stops the live stream unless a recording needs it; never stops a recording.</summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stream state after the call; <see cref="StreamInfo.State"/> stays active when a recording keeps it.</returns>
    Task<StreamInfo> StopStreamingAsync(string cameraId, CancellationToken cancellationToken);

    /// <summary>The state of one camera's stream.</summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<StreamInfo> GetStreamAsync(string cameraId, CancellationToken cancellationToken);

    /// <summary>All streams the backend serves.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<StreamInfo>> GetStreamsAsync(CancellationToken cancellationToken);

    /// <summary>Client URLs of the camera's stream, built from the configured public host and ports; null entries are not offered.</summary>
    /// <param name="cameraId">The camera id.</param>
    StreamUrls GetStreamUrls(string cameraId);

    /// <summary>Starts recording the camera into <see cref="RecordingRequest.OutputDirectory"/>.</summary>
    /// <param name="request">What to record.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="InvalidStateException">The camera is already recording.</exception>
    Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken);

    /// <summary>Stops recording and returns every file written during the recording, finalized.</summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="InvalidStateException">The camera is not recording.</exception>
    Task<BackendRecording> StopRecordingAsync(string cameraId, CancellationToken cancellationToken);

    /// <summary>The recordings the backend is running now, including ones started before a service restart (for re-adoption).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<BackendRecording>> GetActiveRecordingsAsync(CancellationToken cancellationToken);

    /// <summary>Captures one frame of the camera into <see cref="SnapshotRequest.OutputPath"/>.</summary>
    /// <param name="request">What to capture.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken);

    /// <summary>The backend's own health (e.g. media server reachable), cheap to call.</summary>
    ComponentStatus GetHealth();
}

/// <summary>A camera as the backend needs it.</summary>
/// <param name="CameraId">The camera id (<c>camera0</c>); also the stream name.</param>
/// <param name="Name">Human-readable camera name.</param>
/// <param name="Input">How to open the camera with ffmpeg.</param>
/// <param name="RecordingDirectory">
/// Where this camera's recordings go (<c>&lt;recordings&gt;/&lt;cameraId&gt;</c>). Files are named
/// <c>&lt;cameraId&gt;_yyyy-MM-dd_HH-mm-ss-ffffff.mp4</c>.
/// </param>
public sealed record StreamCamera(string CameraId, string Name, Cameras.CaptureInput Input, string RecordingDirectory);

/// <summary>A request to record a camera.</summary>
/// <param name="CameraId">The camera id.</param>
/// <param name="SessionId">The core's session id for this recording.</param>
/// <param name="Format"><c>fmp4</c> or <c>mp4</c>.</param>
/// <param name="OutputDirectory">Directory for the segments (same as <see cref="StreamCamera.RecordingDirectory"/>).</param>
/// <param name="StartTime">When the core accepted the request.</param>
public sealed record RecordingRequest(string CameraId, string SessionId, string Format, string OutputDirectory, DateTimeOffset StartTime);

/// <summary>A recording as the backend sees it.</summary>
/// <param name="CameraId">The camera id.</param>
/// <param name="SessionId">The core's session id, when known to the backend (null for a recording adopted after a restart that the backend cannot tag).</param>
/// <param name="Format"><c>fmp4</c> or <c>mp4</c>.</param>
/// <param name="StartTime">When recording started.</param>
/// <param name="EndTime">When it stopped; null while running.</param>
/// <param name="Files">Files written so far (full paths), oldest first.</param>
/// <param name="BytesWritten">Total size of <see cref="Files"/>.</param>
public sealed record BackendRecording(
    string CameraId,
    string? SessionId,
    string Format,
    DateTimeOffset StartTime,
    DateTimeOffset? EndTime,
    IReadOnlyList<RecordedFile> Files,
    long BytesWritten);

/// <summary>One file written by a recording.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Size">Size in bytes.</param>
public sealed record RecordedFile(string Path, long Size);

/// <summary>A request to capture one frame.</summary>
/// <param name="CameraId">The camera id.</param>
/// <param name="OutputPath">Full path of the file to write (allocated by the media store).</param>
/// <param name="Format"><c>jpg</c> or <c>png</c>.</param>
/// <param name="Quality">JPEG quality 1–100.</param>
/// <param name="Timeout">How long the capture may take before it fails.</param>
public sealed record SnapshotRequest(string CameraId, string OutputPath, string Format, int Quality, TimeSpan Timeout);

/// <summary>A captured frame.</summary>
/// <param name="Path">Full path of the written file.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Width">Width in pixels (0 when unknown).</param>
/// <param name="Height">Height in pixels (0 when unknown).</param>
public sealed record SnapshotResult(string Path, long Size, int Width, int Height);

/// <summary>The state of a live stream.</summary>
/// <param name="CameraId">The camera id.</param>
/// <param name="Name">The stream (path) name.</param>
/// <param name="Source">What feeds it, e.g. <c>publisher</c> or <c>ffmpeg</c>.</param>
/// <param name="State">Stream state.</param>
/// <param name="Ready">Whether media flows.</param>
/// <param name="Readers">Number of readers (viewers, recorders).</param>
/// <param name="BytesSent">Bytes sent to readers.</param>
/// <param name="StartTime">When the stream became ready, if it is.</param>
public sealed record StreamInfo(
    string CameraId,
    string Name,
    string Source,
    StreamState State,
    bool Ready,
    int Readers,
    long BytesSent,
    DateTimeOffset? StartTime);

/// <summary>Stream states (the API's enum, upper-cased on the wire).</summary>
public enum StreamState
{
    /// <summary>Nothing runs.</summary>
    Inactive,

    /// <summary>The publisher is starting.</summary>
    Starting,

    /// <summary>Media flows.</summary>
    Active,

    /// <summary>The publisher is stopping.</summary>
    Stopping,

    /// <summary>The stream failed.</summary>
    Error,
}

/// <summary>Client URLs of a stream; a null entry is not offered by the backend.</summary>
/// <param name="Rtsp">RTSP URL.</param>
/// <param name="Hls">HLS playlist URL.</param>
/// <param name="WebRtc">WebRTC (WHEP page) URL.</param>
public sealed record StreamUrls(string? Rtsp, string? Hls, string? WebRtc);

/// <summary>What happened in a backend without the core asking.</summary>
public enum StreamBackendEventKind
{
    /// <summary>A recording ended on its own (process exit, device lost); <see cref="StreamBackendEventArgs.Recording"/> holds its files.</summary>
    RecordingFailed,

    /// <summary>A recording's publisher failed and was restarted; the recording goes on in a new segment.</summary>
    RecordingRecovered,

    /// <summary>The backend's dependency came back and the desired state was re-applied.</summary>
    StateReapplied,

    /// <summary>The backend's health changed (see <see cref="IStreamBackend.GetHealth"/>).</summary>
    HealthChanged,
}

/// <summary>Event data of <see cref="IStreamBackend.BackendEvent"/>.</summary>
/// <param name="kind">What happened.</param>
/// <param name="cameraId">The camera concerned, if any.</param>
/// <param name="reason">A user-readable reason.</param>
/// <param name="recording">The recording concerned, if any.</param>
public sealed class StreamBackendEventArgs(StreamBackendEventKind kind, string? cameraId, string reason, BackendRecording? recording = null) : EventArgs
{
    /// <summary>What happened.</summary>
    public StreamBackendEventKind Kind { get; } = kind;

    /// <summary>The camera concerned, if any.</summary>
    public string? CameraId { get; } = cameraId;

    /// <summary>A user-readable reason.</summary>
    public string Reason { get; } = reason;

    /// <summary>The recording concerned, if any.</summary>
    public BackendRecording? Recording { get; } = recording;
}

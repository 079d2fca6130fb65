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
public sealed record StreamCamera
{
    /// <summary>The camera id (<c>camera0</c>); also the stream name.</summary>
    public required string CameraId { get; init; }

    /// <summary>Human-readable camera name.</summary>
    public required string Name { get; init; }

    /// <summary>What the camera captures; the backend builds its own command lines from it.</summary>
    public required Cameras.CaptureInput Input { get; init; }

    /// <summary>
    /// Where this camera's recordings go (<c>&lt;recordings&gt;/&lt;cameraId&gt;</c>). Files are named
    /// <c>&lt;cameraId&gt;_yyyy-MM-dd_HH-mm-ss-ffffff.mp4</c>.
    /// </summary>
    public required string RecordingDirectory { get; init; }
}

/// <summary>Well-known container formats of a recording (<see cref="RecordingRequest.Format"/>).</summary>
/// <remarks>A backend refuses a format it does not know with <see cref="InvalidParameterException"/>; a later minor SDK version may add formats.</remarks>
public static class RecordingFormats
{
    /// <summary>Fragmented MP4: a file cut off by a crash stays playable up to its last fragment.</summary>
    public const string Fmp4 = "fmp4";

    /// <summary>Plain MP4.</summary>
    public const string Mp4 = "mp4";

    /// <summary>Matroska (<c>.mkv</c>): a file cut off by a crash stays playable up to its last written cluster.</summary>
    public const string Mkv = "mkv";

    /// <summary>The file extension (with the dot) of a recording in <paramref name="format"/>: <c>.mkv</c> for <see cref="Mkv"/>, <c>.mp4</c> otherwise.</summary>
    public static string FileExtension(string format) => format == Mkv ? ".mkv" : ".mp4";
}

/// <summary>A request to record a camera.</summary>
public sealed record RecordingRequest
{
    /// <summary>The camera id.</summary>
    public required string CameraId { get; init; }

    /// <summary>The core's session id for this recording.</summary>
    public required string SessionId { get; init; }

    /// <summary>The container, one of <see cref="RecordingFormats"/>.</summary>
    public string Format { get; init; } = RecordingFormats.Fmp4;

    /// <summary>Directory for the segments (same as <see cref="StreamCamera.RecordingDirectory"/>).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>When the core accepted the request.</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>
    /// Record the camera's audio (<see cref="Cameras.CaptureInput.Audio"/>) with the video. The core asks only for a camera that has
    /// audio; a backend that cannot record it throws <see cref="UnsupportedFeatureException"/> (feature <c>audio</c>). Since SDK 2.2.
    /// </summary>
    public bool Audio { get; init; }

    /// <summary>
    /// How much of the time before the request the recording includes (pre-event buffer, 0–30 s; zero for none). A
    /// backend that keeps no buffer of the running stream throws <see cref="UnsupportedFeatureException"/> (feature
    /// <c>pre_event_buffer</c>) naming the setting that enables one; a buffer that holds less (the stream just started)
    /// gives what it has, and <see cref="BackendRecording.StartTime"/> says where the recording really starts. Since SDK 2.2.
    /// </summary>
    public TimeSpan PreEvent { get; init; }

    /// <summary>
    /// The largest a segment file may grow, in bytes (<c>Recording:SegmentMaxSize</c>); 0 for no limit. A segment is cut
    /// by time or by size, whichever comes first, at a keyframe, and no segment exceeds this size (unless a single keyframe
    /// interval alone does: a segment holds at least one); a backend that cannot
    /// cut by size throws <see cref="UnsupportedFeatureException"/> (feature <c>segment_max_size</c>). Since SDK 2.2.
    /// </summary>
    public long SegmentMaxBytes { get; init; }
}

/// <summary>A recording as the backend sees it.</summary>
public sealed record BackendRecording
{
    /// <summary>The camera id.</summary>
    public required string CameraId { get; init; }

    /// <summary>The core's session id, when known to the backend (null for a recording adopted after a restart that the backend cannot tag).</summary>
    public string? SessionId { get; init; }

    /// <summary>The container, one of <see cref="RecordingFormats"/>.</summary>
    public string Format { get; init; } = RecordingFormats.Fmp4;

    /// <summary>When recording started: the time of its first frame (earlier than the request with a pre-event buffer).</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>When it stopped; null while running.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Files written so far (full paths), oldest first.</summary>
    public IReadOnlyList<RecordedFile> Files { get; init; } = [];

    /// <summary>Total size of <see cref="Files"/>.</summary>
    public long BytesWritten { get; init; }
}

/// <summary>One file written by a recording.</summary>
public sealed record RecordedFile
{
    /// <summary>Full path.</summary>
    public required string Path { get; init; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }
}

/// <summary>Well-known image formats of a snapshot (<see cref="SnapshotRequest.Format"/>).</summary>
/// <remarks>A backend refuses a format it does not know with <see cref="InvalidParameterException"/>; a later minor SDK version may add formats.</remarks>
public static class SnapshotFormats
{
    /// <summary>JPEG.</summary>
    public const string Jpeg = "jpg";

    /// <summary>PNG.</summary>
    public const string Png = "png";
}

/// <summary>A request to capture one frame.</summary>
public sealed record SnapshotRequest
{
    /// <summary>The camera id.</summary>
    public required string CameraId { get; init; }

    /// <summary>Full path of the file to write (allocated by the media store).</summary>
    public required string OutputPath { get; init; }

    /// <summary>The image format, one of <see cref="SnapshotFormats"/>.</summary>
    public string Format { get; init; } = SnapshotFormats.Jpeg;

    /// <summary>JPEG quality 1–100.</summary>
    public int Quality { get; init; } = 85;

    /// <summary>How long the capture may take before it fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>A captured frame.</summary>
public sealed record SnapshotResult
{
    /// <summary>Full path of the written file.</summary>
    public required string Path { get; init; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>Width in pixels (0 when unknown).</summary>
    public int Width { get; init; }

    /// <summary>Height in pixels (0 when unknown).</summary>
    public int Height { get; init; }
}

/// <summary>Well-known values of <see cref="StreamInfo.Source"/>.</summary>
public static class StreamSources
{
    /// <summary>A publisher process pushes the stream into a media server.</summary>
    public const string Publisher = "publisher";

    /// <summary>An ffmpeg process run by the backend.</summary>
    public const string Ffmpeg = "ffmpeg";
}

/// <summary>The state of a live stream.</summary>
public sealed record StreamInfo
{
    /// <summary>The camera id.</summary>
    public required string CameraId { get; init; }

    /// <summary>The stream (path) name.</summary>
    public required string Name { get; init; }

    /// <summary>What feeds it, e.g. one of <see cref="StreamSources"/>.</summary>
    public string Source { get; init; } = StreamSources.Publisher;

    /// <summary>Stream state.</summary>
    public required StreamState State { get; init; }

    /// <summary>Whether media flows.</summary>
    public bool Ready { get; init; }

    /// <summary>Number of readers (viewers, recorders).</summary>
    public int Readers { get; init; }

    /// <summary>Bytes sent to readers.</summary>
    public long BytesSent { get; init; }

    /// <summary>When the stream became ready, if it is.</summary>
    public DateTimeOffset? StartTime { get; init; }
}

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
public sealed record StreamUrls
{
    /// <summary>RTSP URL.</summary>
    public string? Rtsp { get; init; }

    /// <summary>HLS playlist URL.</summary>
    public string? Hls { get; init; }

    /// <summary>WebRTC (WHEP page) URL.</summary>
    public string? WebRtc { get; init; }
}

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
public sealed class StreamBackendEventArgs : EventArgs
{
    /// <summary>What happened.</summary>
    public required StreamBackendEventKind Kind { get; init; }

    /// <summary>The camera concerned, if any.</summary>
    public string? CameraId { get; init; }

    /// <summary>A user-readable reason.</summary>
    public required string Reason { get; init; }

    /// <summary>The recording concerned, if any.</summary>
    public BackendRecording? Recording { get; init; }
}

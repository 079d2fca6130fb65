using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.MediaMtx;

/// <summary>Log messages of the mediamtx plugin (event ids 5000–5099).</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Warning, "MediaMTX at {ApiUrl} is failing; calls suspended for {BreakDuration}")]
    public static partial void CircuitOpened(ILogger logger, Uri apiUrl, TimeSpan breakDuration);

    [LoggerMessage(5001, LogLevel.Information, "MediaMTX at {ApiUrl} answers again")]
    public static partial void CircuitClosed(ILogger logger, Uri apiUrl);

    [LoggerMessage(5002, LogLevel.Information, "Path {Path} applied to MediaMTX ({Mode})")]
    public static partial void PathApplied(ILogger logger, string path, string mode);

    [LoggerMessage(5003, LogLevel.Information, "Path {Path} removed from MediaMTX")]
    public static partial void PathRemoved(ILogger logger, string path);

    [LoggerMessage(5004, LogLevel.Warning, "Drift on path {Path}: {Fields}; re-applied")]
    public static partial void DriftRepaired(ILogger logger, string path, string fields);

    [LoggerMessage(5005, LogLevel.Warning, "Path {Path} was missing in MediaMTX; re-applied")]
    public static partial void PathMissing(ILogger logger, string path);

    [LoggerMessage(5006, LogLevel.Warning, "MediaMTX restarted (started {Previous} → {Current}); re-applying desired state")]
    public static partial void ServerRestarted(ILogger logger, DateTimeOffset? previous, DateTimeOffset? current);

    [LoggerMessage(5007, LogLevel.Warning, "Reconciliation with MediaMTX failed: {Reason}")]
    public static partial void ReconcileFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(5008, LogLevel.Information, "Recording of {CameraId} started (session {SessionId})")]
    public static partial void RecordingStarted(ILogger logger, string cameraId, string? sessionId);

    [LoggerMessage(5009, LogLevel.Information, "Recording of {CameraId} stopped: {Files} files, {Bytes} bytes")]
    public static partial void RecordingStopped(ILogger logger, string cameraId, int files, long bytes);

    [LoggerMessage(5010, LogLevel.Information, "Adopted running recording of {CameraId} found in MediaMTX")]
    public static partial void RecordingAdopted(ILogger logger, string cameraId);

    [LoggerMessage(5011, LogLevel.Information, "Removed orphaned path {Path} (ours, no camera claims it)")]
    public static partial void OrphanRemoved(ILogger logger, string path);

    [LoggerMessage(5012, LogLevel.Warning, "Snapshot of {CameraId} failed: {Reason}")]
    public static partial void SnapshotFailed(ILogger logger, string cameraId, string reason);

    [LoggerMessage(5013, LogLevel.Warning, "MediaMTX health changed to {State}: {Message}")]
    public static partial void HealthChanged(ILogger logger, string state, string? message);


    [LoggerMessage(5016, LogLevel.Warning, "Could not split a segment of {CameraId} by size (kept whole): {Reason}")]
    public static partial void SegmentSplitFailed(ILogger logger, string cameraId, string reason);

    [LoggerMessage(5031, LogLevel.Information, "Snapshot of {CameraId} from its open reader failed ({Reason}); taking it from a new connection")]
    public static partial void LiveSnapshotFailed(ILogger logger, string cameraId, string reason);

    [LoggerMessage(5032, LogLevel.Information, "Snapshot reader of {CameraId} closed: no picture in {Attempts} attempts ({Detail}); its next snapshot opens a new connection")]
    public static partial void SnapshotReaderGaveUp(ILogger logger, string cameraId, int attempts, string detail);

    [LoggerMessage(5015, LogLevel.Warning, "Event handler of the MediaMTX backend threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media;

/// <summary>The log events of the recording sessions (event ids 3001-3099).</summary>
internal static partial class RecordingLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Recording {CameraId} started (session {SessionId}, limit {DurationSeconds} s)")]
    public static partial void Started(ILogger logger, string cameraId, string sessionId, int? durationSeconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Recording {CameraId} ended {Status} (session {SessionId}, {FileCount} files, reason: {Reason})")]
    public static partial void Finished(ILogger logger, string cameraId, string sessionId, string status, int fileCount, string? reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Re-adopted recording of {CameraId} (session {SessionId}) after a restart")]
    public static partial void Adopted(ILogger logger, string cameraId, string sessionId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Re-applied recording of {CameraId} (session {SessionId}): the backend had lost it")]
    public static partial void Reapplied(ILogger logger, string cameraId, string sessionId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Could not ask the stream backend for running recordings at start: {Detail}")]
    public static partial void AdoptionFailed(ILogger logger, Exception exception, string detail);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Recording of {CameraId} recovered by the backend: {Reason}")]
    public static partial void Recovered(ILogger logger, string cameraId, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "A background recording stop failed")]
    public static partial void BackgroundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Could not catalog the recording file {Path}")]
    public static partial void CatalogFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Could not list the segments {CameraId} wrote before the restart for session {SessionId}")]
    public static partial void EarlierFilesUnknown(ILogger logger, Exception exception, string cameraId, string sessionId);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "The recording session state file {Path} is unreadable; starting without re-adoption")]
    public static partial void StateUnreadable(ILogger logger, Exception exception, string path);
}

using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media.Motion;

/// <summary>The log events of motion detection (event ids 3201-3299).</summary>
internal static partial class MotionLog
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Motion detection: watching {CameraId}")]
    public static partial void Watching(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Motion detection: stopped watching {CameraId}")]
    public static partial void NotWatching(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Motion detection of {CameraId} failed: {Reason}; trying again in {Seconds} s")]
    public static partial void ReaderFailed(ILogger logger, string cameraId, string reason, double seconds);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Motion detection of {CameraId}: the stream ended; trying again in {Seconds} s")]
    public static partial void ReaderEnded(ILogger logger, string cameraId, double seconds);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Information, Message = "Motion detection of {CameraId} receives frames again")]
    public static partial void Recovered(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Warning, Message = "Motion recording of {CameraId} starts without the pre-event buffer: {Reason}")]
    public static partial void NoPreEventBuffer(ILogger logger, string cameraId, string reason);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Information, Message = "Motion recording of {CameraId} started")]
    public static partial void RecordingStarted(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Warning, Message = "Motion recording of {CameraId} could not start: {Reason}; trying again at the next motion")]
    public static partial void StartRefused(ILogger logger, string cameraId, string reason);

    [LoggerMessage(EventId = 3209, Level = LogLevel.Information, Message = "Motion recording of {CameraId} stopped {Seconds} s after the last motion")]
    public static partial void RecordingStopped(ILogger logger, string cameraId, int seconds);

    [LoggerMessage(EventId = 3210, Level = LogLevel.Warning, Message = "Motion recording of {CameraId} could not be stopped: {Reason}; trying again")]
    public static partial void StopRefused(ILogger logger, string cameraId, string reason);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Error, Message = "A motion detection pass failed; the next pass tries again")]
    public static partial void PassFailed(ILogger logger, Exception exception);
}

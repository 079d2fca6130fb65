using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>Log messages of the ffmpeg backend; event ids 5100–5199 belong to this plugin.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "ffmpeg started for {CameraId} (pid {Pid}, hls {Hls}, recording {Recording})")]
    public static partial void ProcessStarted(ILogger logger, string cameraId, int pid, bool hls, bool recording);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "ffmpeg for {CameraId} (pid {Pid}) stopped with exit code {ExitCode}")]
    public static partial void ProcessStopped(ILogger logger, string cameraId, int pid, int exitCode);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "ffmpeg for {CameraId} (pid {Pid}) exited unexpectedly with code {ExitCode}; last output: {LastOutput}")]
    public static partial void ProcessCrashed(ILogger logger, string cameraId, int pid, int exitCode, string lastOutput);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "ffmpeg for {CameraId} (pid {Pid}) did not finish within {Timeout} after SIGINT; killing it")]
    public static partial void ProcessKilled(ILogger logger, string cameraId, int pid, TimeSpan timeout);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "ffmpeg[{CameraId}]: {Line}")]
    public static partial void StderrLine(ILogger logger, string cameraId, string line);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "ffmpeg[{CameraId}]: {Count} more output lines suppressed in the last minute")]
    public static partial void StderrSuppressed(ILogger logger, string cameraId, int count);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "Restarting ffmpeg for {CameraId} in {Delay} (attempt {Attempt})")]
    public static partial void RestartScheduled(ILogger logger, string cameraId, TimeSpan delay, int attempt);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Error, Message = "Recording of {CameraId} failed after {Attempts} restart attempts")]
    public static partial void RecordingFailed(ILogger logger, string cameraId, int attempts);

    [LoggerMessage(EventId = 5108, Level = LogLevel.Information, Message = "Recording of {CameraId} recovered in a new segment after an ffmpeg failure")]
    public static partial void RecordingRecovered(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 5109, Level = LogLevel.Warning, Message = "ffmpeg for {CameraId} (pid {Pid}) reported no progress for {Timeout}; killing it")]
    public static partial void ProcessStalled(ILogger logger, string cameraId, int pid, TimeSpan timeout);

    [LoggerMessage(EventId = 5110, Level = LogLevel.Error, Message = "ffmpeg is not available at {Path}; install it with: apt-get install -y ffmpeg")]
    public static partial void FfmpegMissing(ILogger logger, string path);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Warning, Message = "Restart of ffmpeg for {CameraId} failed")]
    public static partial void RestartFailed(ILogger logger, Exception exception, string cameraId);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Information, Message = "Snapshot of {CameraId} taken from the running process")]
    public static partial void SnapshotFromLiveFrame(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 5113, Level = LogLevel.Information, Message = "Snapshot of {CameraId} taken with a one-shot ffmpeg")]
    public static partial void SnapshotOneShot(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 5114, Level = LogLevel.Warning, Message = "Could not finalize the recording segment {File}")]
    public static partial void SegmentRenameFailed(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 5115, Level = LogLevel.Warning, Message = "A BackendEvent handler threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5116, Level = LogLevel.Warning, Message = "Stopping an orphaned ffmpeg (pid {Pid}) left by an earlier run of the service")]
    public static partial void OrphanStopped(ILogger logger, int pid);

    [LoggerMessage(EventId = 5117, Level = LogLevel.Information, Message = "Recovered {Count} recording segments of {CameraId} left by an earlier run")]
    public static partial void OrphanSegmentsRecovered(ILogger logger, int count, string cameraId);
}

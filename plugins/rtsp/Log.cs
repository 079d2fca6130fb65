using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Rtsp;

/// <summary>Log messages of the rtsp plugin; event ids 4200–4299 belong to it.</summary>
internal static partial class Log
{
    [LoggerMessage(4200, LogLevel.Information, "RTSP source watches {Count} stream(s) ({Configured} from configuration)")]
    public static partial void Started(ILogger logger, int count, int configured);

    [LoggerMessage(4201, LogLevel.Information, "Stream {Url} is connected: {Codec} {Width}x{Height}@{Fps}, audio {Audio}")]
    public static partial void Connected(ILogger logger, string url, string codec, int width, int height, double fps, string audio);

    [LoggerMessage(4202, LogLevel.Warning, "Stream {Url} does not answer: {Reason}")]
    public static partial void Unreachable(ILogger logger, string url, string reason);

    [LoggerMessage(4203, LogLevel.Information, "External stream {Url} added (camera stable id {StableId})")]
    public static partial void Added(ILogger logger, string url, string stableId);

    [LoggerMessage(4204, LogLevel.Information, "External stream {Url} removed")]
    public static partial void Removed(ILogger logger, string url);

    [LoggerMessage(4205, LogLevel.Error, "The state of the RTSP source could not be loaded: {Error}")]
    public static partial void StoreDamaged(ILogger logger, string error);

    [LoggerMessage(4207, LogLevel.Error, "A handler threw for stream {StableId}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string stableId);

    [LoggerMessage(4208, LogLevel.Information, "Stream discovery found {Count} stream(s) in {Milliseconds:0} ms")]
    public static partial void Scanned(ILogger logger, int count, double milliseconds);
}

using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Mqtt;

/// <summary>Log messages of the mqtt plugin; event ids 3300-3399 belong to this plugin.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "MQTT bridge is loaded but disabled (set Plugins:Mqtt:Enabled=true to connect to a broker)")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "MQTT bridge connected to {Broker}; base topic {BaseTopic}")]
    public static partial void Connected(ILogger logger, string broker, string baseTopic);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "MQTT bridge cannot connect to {Broker}: {Reason}; retrying in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, string broker, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Warning, Message = "MQTT bridge lost the connection to {Broker}: {Reason}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string broker, string reason);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "MQTT command on {Topic} ignored: commands are disabled (set Plugins:Mqtt:Commands:Enabled=true to allow them)")]
    public static partial void CommandIgnored(ILogger logger, string topic);

    [LoggerMessage(EventId = 3305, Level = LogLevel.Information, Message = "MQTT command {Command} for {CameraId}: {Outcome}")]
    public static partial void CommandDone(ILogger logger, string command, string cameraId, string outcome);

    [LoggerMessage(EventId = 3306, Level = LogLevel.Warning, Message = "Snapshot {FileName} of {CameraId} is {Size} bytes, over Plugins:Mqtt:SnapshotMaxBytes ({Max}); not published")]
    public static partial void SnapshotTooLarge(ILogger logger, string fileName, string cameraId, long size, int max);

    [LoggerMessage(EventId = 3307, Level = LogLevel.Warning, Message = "MQTT bridge could not read snapshot {FileName} of {CameraId}")]
    public static partial void SnapshotReadFailed(ILogger logger, Exception exception, string fileName, string cameraId);

    [LoggerMessage(EventId = 3308, Level = LogLevel.Error, Message = "MQTT bridge refresh failed; it is retried on the next event or interval")]
    public static partial void RefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3309, Level = LogLevel.Information, Message = "Camera {CameraId} is gone; its MQTT state and Home Assistant discovery topics were cleared")]
    public static partial void CameraCleared(ILogger logger, string cameraId);

    [LoggerMessage(EventId = 3310, Level = LogLevel.Warning, Message = "MQTT command queue is full; the command on {Topic} was dropped")]
    public static partial void CommandDropped(ILogger logger, string topic);

    [LoggerMessage(EventId = 3311, Level = LogLevel.Error, Message = "MQTT bridge failed while handling {What}")]
    public static partial void Failed(ILogger logger, Exception exception, string what);

    [LoggerMessage(EventId = 3312, Level = LogLevel.Information, Message = "MQTT bridge stopped; published offline to {Topic}")]
    public static partial void Stopped(ILogger logger, string topic);
}

using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.WebSocket;

/// <summary>Log messages of the websocket transport; event ids 3100-3199 belong to this plugin.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "WebSocket transport listening on {Addresses}")]
    public static partial void Listening(ILogger logger, string addresses);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "WebSocket transport cannot listen on {BindAddress}:{Port}: {Reason}. Free the port or set Api:Port / Api:BindAddress.")]
    public static partial void BindFailed(ILogger logger, Exception exception, string bindAddress, int port, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "WebSocket transport cannot load the TLS certificate ({CertificatePath}, {KeyPath}): {Reason}. Check Api:Tls:CertificatePath and Api:Tls:KeyPath (PEM).")]
    public static partial void TlsLoadFailed(ILogger logger, Exception exception, string? certificatePath, string? keyPath, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "WebSocket transport stopped; {Count} sessions were closed")]
    public static partial void Stopped(ILogger logger, int count);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Connection refused from {RemoteAddress}: {MaxConnections} sessions already open (Api:MaxConnections)")]
    public static partial void ConnectionLimit(ILogger logger, string? remoteAddress, int maxConnections);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Connection refused from {RemoteAddress}: origin {Origin} is not in Api:AllowedOrigins")]
    public static partial void OriginRefused(ILogger logger, string? remoteAddress, string origin);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "Session {ConnectionId} opened from {RemoteAddress}")]
    public static partial void SessionOpened(ILogger logger, string connectionId, string? remoteAddress);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "Session {ConnectionId} ended ({CloseStatus}: {Reason})")]
    public static partial void SessionEnded(ILogger logger, string connectionId, WebSocketCloseStatus? closeStatus, string? reason);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Session {ConnectionId} closed as a slow consumer: {Reason}")]
    public static partial void SlowConsumer(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Information, Message = "Session {ConnectionId} closed: {CloseStatus} {Reason}")]
    public static partial void ProtocolClose(ILogger logger, string connectionId, WebSocketCloseStatus closeStatus, string reason);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Error, Message = "Session {ConnectionId}: the RPC session failed while handling a message; the connection is closed (1011)")]
    public static partial void SessionFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Debug, Message = "Session {ConnectionId}: connection lost")]
    public static partial void ConnectionLost(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Warning, Message = "WebSocket transport stop timed out; {Count} sessions were aborted")]
    public static partial void StopAborted(ILogger logger, int count);

}

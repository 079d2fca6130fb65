using System.Diagnostics.Metrics;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// The transport's instruments (meter <c>CameraService.WebSocket</c>; the service exports every <c>CameraService*</c>
/// meter at <c>/metrics</c>). Static: one meter for the process. Sessions opened and closed are counted by the core.
/// </summary>
internal static class TransportMetrics
{
    public const string MeterName = "CameraService.WebSocket";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> SessionsRejected = Meter.CreateCounter<long>(
        "camera_service.api.sessions.rejected", description: "WebSocket upgrades refused before a session opened, by reason (connection_limit, origin_not_allowed, shutting_down)");

    public static void Rejected(string reason) => SessionsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
}

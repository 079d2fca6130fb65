using System.Diagnostics.Metrics;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// The transport's instruments (meter <c>CameraService.WebSocket</c>; the service exports every <c>CameraService*</c>
/// meter at <c>/metrics</c>). Sessions opened and closed are counted by the core; this counts the upgrades refused
/// before a session existed.
/// </summary>
internal sealed class TransportMetrics : IDisposable
{
    public const string MeterName = "CameraService.WebSocket";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Counter<long> _rejected;

    public TransportMetrics()
    {
        _rejected = _meter.CreateCounter<long>(
            "camera_service.api.sessions.rejected", description: "WebSocket upgrades refused before a session opened, by reason (connection_limit, origin_not_allowed, shutting_down)");
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}

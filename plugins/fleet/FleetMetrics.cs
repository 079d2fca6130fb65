using System.Diagnostics.Metrics;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Fleet metrics on the meter <c>CameraService.Fleet</c>, which the core's Prometheus exporter (<c>GET /metrics</c>)
/// picks up like every <c>CameraService*</c> meter (docs/fleet.md, "Metrics").
/// </summary>
internal sealed class FleetMetrics : IDisposable
{
    public const string MeterName = "CameraService.Fleet";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _eventsDropped;
    private readonly Counter<long> _nodeTransitions;
    private volatile bool _natsConnected;
    private Func<IEnumerable<(string Node, bool Up)>> _nodes = () => [];

    public FleetMetrics()
    {
        _requestDuration = _meter.CreateHistogram<double>("camera_service.fleet.request.duration", "s", "Gateway requests to a node through NATS (round trip), by node and outcome");
        _refused = _meter.CreateCounter<long>("camera_service.fleet.requests.refused", description: "Requests a node refused (unsigned, wrongly signed, expired, replayed), by reason");
        _eventsDropped = _meter.CreateCounter<long>("camera_service.fleet.events.dropped", description: "Notifications a node could not forward because NATS was down");
        _nodeTransitions = _meter.CreateCounter<long>("camera_service.fleet.node.transitions", description: "Nodes seen going up or down at this gateway, by node and state");
        _meter.CreateObservableGauge("camera_service.fleet.nats.connected", () => _natsConnected ? 1 : 0, description: "1 while this process is connected to NATS");
        _meter.CreateObservableGauge("camera_service.fleet.node.up", ObserveNodes, description: "1 per node the gateway hears from, 0 per node it lost");
    }

    public void SetNatsConnected(bool connected) => _natsConnected = connected;

    public void ObserveNodesWith(Func<IEnumerable<(string Node, bool Up)>> nodes) => _nodes = nodes;

    public void RecordRequest(string node, TimeSpan elapsed, string outcome) =>
        _requestDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("node", node), new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordRefused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordEventDropped() => _eventsDropped.Add(1);

    public void RecordTransition(string node, bool up) =>
        _nodeTransitions.Add(1, new KeyValuePair<string, object?>("node", node), new KeyValuePair<string, object?>("state", up ? "up" : "down"));

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> ObserveNodes() =>
        _nodes().Select(n => new Measurement<int>(n.Up ? 1 : 0, new KeyValuePair<string, object?>("node", n.Node)));
}

using System.Diagnostics.Metrics;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// The plugin's instruments (meter <c>CameraService.MediaMtx</c>; the service exports every <c>CameraService*</c>
/// meter at <c>/metrics</c>): Control API call duration and failures by endpoint, the circuit breaker's state, and
/// snapshots by source.
/// Endpoints are route templates (<c>/v3/config/paths/add</c>), never path names, so cardinality stays bounded.
/// </summary>
internal sealed class MediaMtxMetrics : IDisposable
{
    public const string MeterName = "CameraService.MediaMtx";

    private static readonly HashSet<string> NamedRoutes = new(StringComparer.Ordinal) { "get", "add", "patch", "replace", "delete" };

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _snapshots;
    private int _circuit;

    public MediaMtxMetrics()
    {
        _duration = _meter.CreateHistogram<double>("camera_service.mediamtx.request.duration", "s", "MediaMTX Control API call duration by endpoint, method and outcome (one per HTTP attempt)");
        _failures = _meter.CreateCounter<long>("camera_service.mediamtx.request.failures", description: "Failed MediaMTX Control API calls by endpoint and reason (unreachable, timeout, http_5xx, http_4xx, circuit_open)");
        _snapshots = _meter.CreateCounter<long>("camera_service.mediamtx.snapshots", description: "Snapshots by source (open_reader: the newest picture of the camera's open reader; new_connection: a new RTSP connection) and outcome");
        _meter.CreateObservableGauge("camera_service.mediamtx.circuit.state", () => Volatile.Read(ref _circuit) / 2.0, description: "MediaMTX circuit breaker: 0 closed, 0.5 half-open, 1 open (calls suspended)");
    }

    /// <summary>0 closed, 1 half-open, 2 open.</summary>
    public void CircuitChanged(int state) => Volatile.Write(ref _circuit, state);

    public void Attempt(string method, string path, TimeSpan elapsed, string? failure)
    {
        var endpoint = Endpoint(path);
        _duration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("endpoint", endpoint),
            new KeyValuePair<string, object?>("method", method),
            new KeyValuePair<string, object?>("outcome", failure is null ? "success" : "error"));
        if (failure is not null)
        {
            Failed(path, failure);
        }
    }

    /// <summary>A snapshot taken (or failed) from <paramref name="source"/>: <c>open_reader</c> or <c>new_connection</c>.</summary>
    public void Snapshot(string source, bool succeeded) =>
        _snapshots.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("outcome", succeeded ? "success" : "error"));

    public void Failed(string path, string reason) =>
        _failures.Add(1, new KeyValuePair<string, object?>("endpoint", Endpoint(path)), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The route template of a Control API path: the query and a trailing path name are dropped.</summary>
    internal static string Endpoint(string path)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        var route = query >= 0 ? path[..query] : path;
        var segments = route.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 4 && NamedRoutes.Contains(segments[^2]))
        {
            return "/" + string.Join('/', segments[..^1]);
        }

        return "/" + string.Join('/', segments);
    }

    public void Dispose() => _meter.Dispose();
}

using System.Diagnostics.Metrics;

namespace CameraService.Core.Metrics;

/// <summary>
/// The service's own instruments (meter <c>CameraService</c>), exported at <c>GET /metrics</c>. Observable gauges read
/// their values from the components at scrape time through callbacks registered with <see cref="ObserveGauge"/>.
/// Plugins may publish their own meters named <c>CameraService.*</c>; they are exported too.
/// </summary>
internal sealed class ServiceMetrics : IDisposable
{
    public const string MeterName = "CameraService";

    private readonly Meter _meter = new(MeterName, "1.0");

    public ServiceMetrics()
    {
        RequestDuration = _meter.CreateHistogram<double>("camera_service.rpc.request.duration", "s", "JSON-RPC request duration by method and outcome");
        Requests = _meter.CreateCounter<long>("camera_service.rpc.requests", description: "JSON-RPC requests by method and code (0 = success)");
        Errors = _meter.CreateCounter<long>("camera_service.rpc.errors", description: "JSON-RPC error answers by method and code");
        SessionsOpened = _meter.CreateCounter<long>("camera_service.api.sessions.opened", description: "API sessions opened");
        SessionsClosed = _meter.CreateCounter<long>("camera_service.api.sessions.closed", description: "API sessions closed");
        NotificationsSent = _meter.CreateCounter<long>("camera_service.notifications.sent", description: "Notifications queued to sessions, by method");
        NotificationsDropped = _meter.CreateCounter<long>("camera_service.notifications.dropped", description: "Notifications dropped because a session's queue was full, by method");
        RateLimited = _meter.CreateCounter<long>("camera_service.rpc.rate_limited", description: "Requests refused by the per-session rate limit");
        HotplugEvents = _meter.CreateCounter<long>("camera_service.cameras.hotplug_events", description: "Camera changes reported by sources, by source and kind");
        DiscoveryDuration = _meter.CreateHistogram<double>("camera_service.cameras.discovery.duration", "s", "Duration of a camera source's first discovery");
        SnapshotDuration = _meter.CreateHistogram<double>("camera_service.snapshot.duration", "s", "take_snapshot duration by outcome");
        RecordingsStarted = _meter.CreateCounter<long>("camera_service.recordings.started", description: "Recordings started");
        RecordingsEnded = _meter.CreateCounter<long>("camera_service.recordings.ended", description: "Recordings ended, by status");
    }

    public Histogram<double> RequestDuration { get; }

    public Counter<long> Requests { get; }

    public Counter<long> Errors { get; }

    public Counter<long> SessionsOpened { get; }

    public Counter<long> SessionsClosed { get; }

    public Counter<long> NotificationsSent { get; }

    public Counter<long> NotificationsDropped { get; }

    public Counter<long> RateLimited { get; }

    public Counter<long> HotplugEvents { get; }

    public Histogram<double> DiscoveryDuration { get; }

    public Histogram<double> SnapshotDuration { get; }

    public Counter<long> RecordingsStarted { get; }

    public Counter<long> RecordingsEnded { get; }

    /// <summary>Registers a gauge whose values are read at scrape time.</summary>
    public void ObserveGauge(string name, string description, Func<IEnumerable<Measurement<double>>> observe, string? unit = null) =>
        _meter.CreateObservableGauge(name, observe, unit, description);

    /// <summary>Records one finished request.</summary>
    public void RecordRequest(string method, int code, TimeSpan elapsed)
    {
        var outcome = code == 0 ? "success" : "error";
        RequestDuration.Record(elapsed.TotalSeconds, new("method", method), new("outcome", outcome));
        var codeText = code == 0 ? "0" : code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Requests.Add(1, new("method", method), new("code", codeText));
        if (code != 0)
        {
            Errors.Add(1, new("method", method), new("code", codeText));
        }
    }

    public void Dispose() => _meter.Dispose();
}

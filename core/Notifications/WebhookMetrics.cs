using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CameraService.Core.Notifications;

/// <summary>Webhook instruments (meter <c>CameraService.Webhooks</c>, exported at <c>/metrics</c> with the others).</summary>
internal sealed class WebhookMetrics : IDisposable
{
    public const string MeterName = "CameraService.Webhooks";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _attemptFailures;
    private readonly ConcurrentDictionary<string, WebhookDispatcher.Webhook> _tracked = new(StringComparer.Ordinal);

    public WebhookMetrics()
    {
        _deliveries = _meter.CreateCounter<long>(
            "camera_service.webhook.deliveries", description: "Webhook events by outcome: delivered, failed (given up after the last attempt or a 4xx answer), dropped (queue full)");
        _attemptFailures = _meter.CreateCounter<long>(
            "camera_service.webhook.attempt_failures", description: "Failed webhook POST attempts by reason: timeout, unreachable, http_5xx, http_4xx");
        _meter.CreateObservableGauge(
            "camera_service.webhook.queue_length",
            () => _tracked.Select(t => new Measurement<int>(t.Value.Queue.Reader.Count, new KeyValuePair<string, object?>("webhook", t.Key))),
            description: "Events waiting to be delivered, per webhook");
    }

    public void Track(WebhookDispatcher.Webhook webhook) => _tracked[webhook.Target.Label] = webhook;

    public void Delivered(string webhook) => Outcome(webhook, "delivered");

    public void GaveUp(string webhook) => Outcome(webhook, "failed");

    public void Dropped(string webhook) => Outcome(webhook, "dropped");

    public void AttemptFailed(string webhook, string reason) =>
        _attemptFailures.Add(1, new KeyValuePair<string, object?>("webhook", webhook), new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();

    private void Outcome(string webhook, string outcome) =>
        _deliveries.Add(1, new KeyValuePair<string, object?>("webhook", webhook), new KeyValuePair<string, object?>("outcome", outcome));
}

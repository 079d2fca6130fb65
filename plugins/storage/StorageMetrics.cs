using System.Diagnostics.Metrics;

namespace CameraService.Plugins.Storage;

/// <summary>
/// The plugin's instruments (meter <c>CameraService.Storage</c>; the service exports every <c>CameraService*</c> meter at
/// <c>/metrics</c>). A singleton of the plugin's container, so the instruments exist (and are listed) from the start.
/// </summary>
internal sealed class StorageMetrics : IDisposable
{
    public const string MeterName = "CameraService.Storage";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Counter<long> _deletions;
    private readonly Counter<long> _freedBytes;

    public StorageMetrics()
    {
        _deletions = _meter.CreateCounter<long>(
            "camera_service.storage.retention.deletions", description: "Files deleted by the retention policy, by kind (recording, snapshot), rule (age, size, min_free) and trigger (sweep, cleanup)");
        _freedBytes = _meter.CreateCounter<long>("camera_service.storage.retention.freed", "By", "Bytes freed by the retention policy, by kind");
    }

    public void RetentionDeleted(string kind, string rule, string trigger, long bytes)
    {
        _deletions.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("rule", rule), new KeyValuePair<string, object?>("trigger", trigger));
        _freedBytes.Add(bytes, new KeyValuePair<string, object?>("kind", kind));
    }

    public void Dispose() => _meter.Dispose();
}

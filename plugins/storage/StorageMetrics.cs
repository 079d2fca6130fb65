using System.Diagnostics.Metrics;

namespace CameraService.Plugins.Storage;

/// <summary>
/// The plugin's instruments (meter <c>CameraService.Storage</c>; the service exports every <c>CameraService*</c> meter at
/// <c>/metrics</c>). Static: one meter for the process, whatever number of stores a test builds.
/// </summary>
internal static class StorageMetrics
{
    public const string MeterName = "CameraService.Storage";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> Deletions = Meter.CreateCounter<long>(
        "camera_service.storage.retention.deletions", description: "Files deleted by the retention policy, by kind (recording, snapshot), reason (age, size, min_free) and trigger (sweep, cleanup)");

    private static readonly Counter<long> FreedBytes = Meter.CreateCounter<long>(
        "camera_service.storage.retention.freed", "By", "Bytes freed by the retention policy, by kind");

    public static void RetentionDeleted(string kind, string reason, string trigger, long bytes)
    {
        Deletions.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("trigger", trigger));
        FreedBytes.Add(bytes, new KeyValuePair<string, object?>("kind", kind));
    }
}

using System.Diagnostics.Metrics;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Cameras;
using CameraService.Core.Health;
using CameraService.Core.Media;
using CameraService.Core.Plugins;

namespace CameraService.Core.Metrics;

/// <summary>
/// The gauges of <c>/metrics</c> that read component state at scrape time (sessions, cameras by status, recordings,
/// storage, component health), and the hot-plug event counter fed by the camera sources.
/// </summary>
internal sealed class CoreGauges : IDisposable
{
    private readonly ActiveComponents _components;
    private readonly ServiceMetrics _metrics;

    public CoreGauges(
        ServiceMetrics metrics,
        ApiMetrics api,
        CameraRegistry registry,
        RecordingManager recordings,
        ActiveComponents components,
        ComponentHealth health)
    {
        _components = components;
        _metrics = metrics;
        metrics.ObserveGauge("camera_service.api.sessions.active", "Open API sessions", () => [new Measurement<double>(api.Connections)]);
        metrics.ObserveGauge("camera_service.cameras", "Cameras by status", () =>
        {
            var cameras = registry.Cameras;
            string[] states = ["CONNECTED", "DISCONNECTED", "ERROR"];
            return states.Select(s => new Measurement<double>(cameras.Count(c => c.StatusText == s), new KeyValuePair<string, object?>("status", s)));
        });
        metrics.ObserveGauge("camera_service.recordings.active", "Recordings running now", () => [new Measurement<double>(recordings.ActiveCount)]);
        metrics.ObserveGauge("camera_service.recordings.bytes", "Bytes written by the running recordings", () => [new Measurement<double>(recordings.ActiveSessions.Sum(s => s.BytesWritten))]);
        metrics.ObserveGauge("camera_service.storage.used_bytes", "Used bytes of the media file system", () => Storage(s => s.UsedBytes));
        metrics.ObserveGauge("camera_service.storage.free_bytes", "Bytes available for media", () => Storage(s => s.AvailableBytes));
        metrics.ObserveGauge("camera_service.storage.usage_percent", "Used space of the media file system in percent", () => Storage(s => s.UsagePercent));
        metrics.ObserveGauge("camera_service.storage.threshold_percent", "Storage thresholds (warn, block) in percent", () =>
            StorageStatus() is { } status
                ? [new Measurement<double>(status.WarnPercent, new KeyValuePair<string, object?>("level", "warn")),
                   new Measurement<double>(status.BlockPercent, new KeyValuePair<string, object?>("level", "block"))]
                : []);
        metrics.ObserveGauge("camera_service.component.healthy", "1 when the component runs, 0.5 when degraded, 0 otherwise", () =>
            health.All().Select(kv => new Measurement<double>(
                kv.Value.State switch { Abstractions.ComponentState.Running => 1, Abstractions.ComponentState.Degraded => 0.5, _ => 0 },
                new KeyValuePair<string, object?>("component", kv.Key))));
        foreach (var source in components.CameraSources)
        {
            source.CameraChanged += OnCameraChanged;
        }
    }

    public void Dispose()
    {
        foreach (var source in _components.CameraSources)
        {
            source.CameraChanged -= OnCameraChanged;
        }
    }

    private IEnumerable<Measurement<double>> Storage(Func<Abstractions.Media.StorageStatus, double> value) =>
        StorageStatus() is { } status ? [new Measurement<double>(value(status))] : [];

    private Abstractions.Media.StorageStatus? StorageStatus()
    {
        try
        {
            return _components.MediaStore?.GetStatus();
        }
        catch (Exception)
        {
            // A failing store must not turn the whole scrape into a 500: its gauges are left out, the storage component says why.
            return null;
        }
    }

    private void OnCameraChanged(object? sender, CameraChangedEventArgs e) =>
        _metrics.HotplugEvents.Add(1, new KeyValuePair<string, object?>("source", e.Camera.Source), new KeyValuePair<string, object?>("kind", e.Kind.ToString().ToLowerInvariant()));
}

using CameraService.Core.Media;
using CameraService.Core.Methods;
using CameraService.Core.Rpc;

namespace CameraService.Core.Metrics;

/// <summary><c>get_metrics.recording_metrics</c>: active recordings with their elapsed time and bytes.</summary>
internal sealed class RecordingMetricsSection(RecordingManager recordings, TimeProvider time) : IMetricsSection
{
    public string Name => "recording_metrics";

    public ValueTask<RpcResult> CollectAsync(CancellationToken cancellationToken)
    {
        var sessions = recordings.ActiveSessions
            .Select(s => new RecordingMetricsEntry(s.CameraId, s.SessionId, s.ElapsedSeconds(time), s.DurationLimitSeconds, s.BytesWritten))
            .OrderBy(s => s.Device, StringComparer.Ordinal)
            .ToList();
        return ValueTask.FromResult(RpcResult.From(
            new RecordingMetricsResult(sessions.Count, sessions.Sum(s => s.BytesWritten), sessions),
            MediaJsonContext.Default.RecordingMetricsResult));
    }
}

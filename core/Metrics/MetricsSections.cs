using System.Diagnostics;
using System.Globalization;
using CameraService.Abstractions.Plugins;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Cameras;
using CameraService.Core.Hosting;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;

namespace CameraService.Core.Metrics;

/// <summary>
/// One section of <c>get_metrics</c> (<c>api_metrics</c>, <c>system_metrics</c>, …). Other core services add
/// sections (e.g. <c>recording_metrics</c>) by registering an implementation as a singleton.
/// </summary>
internal interface IMetricsSection
{
    /// <summary>The member name in the result.</summary>
    string Name { get; }

    /// <summary>Collects the section's value.</summary>
    ValueTask<RpcResult> CollectAsync(CancellationToken cancellationToken);
}

internal sealed class ApiMetricsSection(ApiMetrics metrics) : IMetricsSection
{
    public string Name => "api_metrics";

    public ValueTask<RpcResult> CollectAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(RpcResult.From(metrics.Snapshot(), CoreJsonContext.Default.ApiMetricsSnapshot));
}

/// <summary>The <c>system_metrics</c> section.</summary>
internal sealed record SystemMetricsSnapshot(double CpuUsage, double MemoryUsage, double DiskUsage, int Threads);

/// <summary>
/// Process CPU (percent of all cores since the previous call), system memory in use (percent, from
/// /proc/meminfo, else the GC's view), disk usage of the media root (percent) and the process's thread count.
/// </summary>
/// <param name="components">The active media store, asked first.</param>
/// <param name="state">The core's state folder: measured when the host gave no media layout.</param>
/// <param name="timeProvider">The clock of the CPU measurement.</param>
/// <param name="media">The host's media folders (<c>Storage:Root</c>), measured when the store cannot answer.</param>
internal sealed class SystemMetricsSection(ActiveComponents components, StateDirectory state, TimeProvider timeProvider, MediaLayout? media = null) : IMetricsSection
{
    private readonly Lock _gate = new();
    private TimeSpan _lastCpu;
    private long _lastStamp;

    public string Name => "system_metrics";

    public ValueTask<RpcResult> CollectAsync(CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        var snapshot = new SystemMetricsSnapshot(Cpu(process), Memory(), Disk(), process.Threads.Count);
        return ValueTask.FromResult(RpcResult.From(snapshot, CoreJsonContext.Default.SystemMetricsSnapshot));
    }

    private double Cpu(Process process)
    {
        var cpu = process.TotalProcessorTime;
        var now = timeProvider.GetTimestamp();
        lock (_gate)
        {
            var previousCpu = _lastCpu;
            var previousStamp = _lastStamp;
            _lastCpu = cpu;
            _lastStamp = now;
            var wall = previousStamp == 0
                ? timeProvider.GetUtcNow() - new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero)
                : timeProvider.GetElapsedTime(previousStamp, now);
            if (wall <= TimeSpan.Zero)
            {
                return 0;
            }

            var used = (cpu - previousCpu).TotalMilliseconds / (wall.TotalMilliseconds * Environment.ProcessorCount) * 100;
            return Math.Round(Math.Clamp(used, 0, 100), 2);
        }
    }

    private static double Memory()
    {
        try
        {
            long total = 0;
            long available = 0;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    total = ParseKb(line);
                }
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    available = ParseKb(line);
                }
            }

            if (total > 0)
            {
                return Math.Round((total - available) * 100.0 / total, 2);
            }
        }
        catch (IOException)
        {
            // Not Linux or /proc unavailable: fall back to the runtime's view below.
        }
        catch (UnauthorizedAccessException)
        {
            // Same fallback.
        }

        var info = GC.GetGCMemoryInfo();
        return info.TotalAvailableMemoryBytes > 0 ? Math.Round(info.MemoryLoadBytes * 100.0 / info.TotalAvailableMemoryBytes, 2) : 0;
    }

    private static long ParseKb(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
    }

    private double Disk()
    {
        if (components.MediaStore is { } store)
        {
            try
            {
                return Math.Round(store.GetStatus().UsagePercent, 2);
            }
            catch (Exception)
            {
                // A failing store must not break metrics; measure the folder directly below.
            }
        }

        var root = media?.RootDirectory ?? state.Path;
        if (string.IsNullOrEmpty(root))
        {
            return 0;
        }

        try
        {
            var path = Path.GetFullPath(root);
            while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent)
            {
                path = parent;
            }

            var drive = new DriveInfo(path);
            return drive.TotalSize > 0 ? Math.Round((drive.TotalSize - drive.AvailableFreeSpace) * 100.0 / drive.TotalSize, 2) : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }
}

/// <summary>The <c>camera_metrics</c> section.</summary>
internal sealed record CameraMetricsSection(int ConnectedCameras, IReadOnlyDictionary<string, CameraMetricsEntry> Cameras);

/// <summary>One camera in <c>camera_metrics.cameras</c>.</summary>
internal sealed record CameraMetricsEntry(string Status, string Name, long Uptime);

internal sealed class CameraMetricsSectionProvider(CameraRegistry registry, TimeProvider timeProvider) : IMetricsSection
{
    public string Name => "camera_metrics";

    public ValueTask<RpcResult> CollectAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var cameras = registry.Cameras;
        var section = new CameraMetricsSection(
            cameras.Count(c => c.Status == CameraStatus.Connected),
            cameras.ToDictionary(
                c => c.Id,
                c => new CameraMetricsEntry(c.StatusText, c.Binding.Name, c.ConnectedSince is { } since ? (long)(now - since).TotalSeconds : 0),
                StringComparer.Ordinal));
        return ValueTask.FromResult(RpcResult.From(section, CoreJsonContext.Default.CameraMetricsSection));
    }
}

/// <summary>The <c>stream_metrics</c> section; null when no backend is active or it cannot answer.</summary>
internal sealed record StreamMetricsSection(int ActiveStreams, int TotalStreams, int TotalViewers);

internal sealed class StreamMetricsSectionProvider(ActiveComponents components) : IMetricsSection
{
    public string Name => "stream_metrics";

    public async ValueTask<RpcResult> CollectAsync(CancellationToken cancellationToken)
    {
        if (components.StreamBackend is not { } backend)
        {
            return RpcResult.Raw("null"u8.ToArray());
        }

        IReadOnlyList<StreamInfo> streams;
        try
        {
            streams = await backend.GetStreamsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A dead backend must not break get_metrics: the section is null, the backend's health says why.
            return RpcResult.Raw("null"u8.ToArray());
        }

        var section = new StreamMetricsSection(
            streams.Count(s => s.State == StreamState.Active),
            streams.Count,
            streams.Sum(s => s.Readers));
        return RpcResult.From(section, CoreJsonContext.Default.StreamMetricsSection);
    }
}

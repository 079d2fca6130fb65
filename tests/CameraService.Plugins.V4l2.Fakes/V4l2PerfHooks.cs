using System.Diagnostics;
using System.Globalization;
using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2.Fakes;

/// <summary>The result of timing the first discovery of a fake tree.</summary>
/// <param name="CamerasPlugged">Cameras plugged before the source started.</param>
/// <param name="CamerasFound">Cameras the source reported when <see cref="ICameraSource.StartAsync"/> completed.</param>
/// <param name="Elapsed">How long <see cref="ICameraSource.StartAsync"/> took (the first discovery).</param>
public sealed record DiscoveryMeasurement(int CamerasPlugged, int CamerasFound, TimeSpan Elapsed);

/// <summary>
/// Perf aid (see docs/v4l2.md, "Performance hooks"): runs the real v4l2 source — prober, identity, hot-plug
/// loop — against a temporary fake device tree and times it. Not used by the service.
/// </summary>
public static class V4l2PerfHooks
{
    // Fixtures without a USB serial: each plug on its own port is a distinct camera.
    private static readonly string[] PerfFixtures = ["usb2-pc-camera.txt", "hdmi-capture.txt"];

    /// <summary>Plugs <paramref name="cameraCount"/> fake cameras, then times the source's first discovery.</summary>
    /// <param name="cameraCount">How many cameras to plug.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <param name="warmUp">
    /// Run one untimed discovery of two cameras first, so that the measurement shows discovery work rather than the
    /// JIT compilation of a fresh process (which the service pays once, at start-up).
    /// </param>
    public static async Task<DiscoveryMeasurement> MeasureDiscoveryAsync(int cameraCount, CancellationToken cancellationToken, bool warmUp = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cameraCount);
        if (warmUp)
        {
            await MeasureDiscoveryAsync(2, cancellationToken, warmUp: false).ConfigureAwait(false);
        }

        using var tree = FakeDeviceTree.CreateTemporary();
        for (var i = 0; i < cameraCount; i++)
        {
            tree.Plug(Node(i), PerfFixtures[i % PerfFixtures.Length], Port(i));
        }

        var source = CreateSource(tree);
        await using (source.ConfigureAwait(false))
        {
            var started = Stopwatch.GetTimestamp();
            await source.StartAsync(cancellationToken).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            return new DiscoveryMeasurement(cameraCount, source.GetCameras().Count, elapsed);
        }
    }

    /// <summary>
    /// Starts the source on an empty fake tree, then plugs and unplugs a camera <paramref name="plugs"/> times and
    /// returns, per plug, the time from the device node's creation to the <see cref="CameraChangeKind.Added"/> event.
    /// </summary>
    /// <param name="plugs">How many plug/unplug cycles to time.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <param name="warmUp">Run one untimed plug/unplug cycle first (JIT of a fresh process).</param>
    public static async Task<IReadOnlyList<TimeSpan>> MeasureHotPlugAsync(int plugs, CancellationToken cancellationToken, bool warmUp = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plugs);
        if (warmUp)
        {
            await MeasureHotPlugAsync(1, cancellationToken, warmUp: false).ConfigureAwait(false);
        }

        using var tree = FakeDeviceTree.CreateTemporary();
        var source = CreateSource(tree);
        await using (source.ConfigureAwait(false))
        {
            TaskCompletionSource<CameraChangedEventArgs>? pending = null;
            source.CameraChanged += (_, e) => Volatile.Read(ref pending)?.TrySetResult(e);
            await source.StartAsync(cancellationToken).ConfigureAwait(false);
            var latencies = new List<TimeSpan>(plugs);
            for (var i = 0; i < plugs; i++)
            {
                var added = new TaskCompletionSource<CameraChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref pending, added);
                var started = Stopwatch.GetTimestamp();
                tree.Plug(Node(i), PerfFixtures[i % PerfFixtures.Length], Port(i));
                await added.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(started));

                var removed = new TaskCompletionSource<CameraChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref pending, removed);
                tree.Unplug(Node(i));
                await removed.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }

            return latencies;
        }
    }

    private static string Node(int i) => "video" + (i * 2).ToString(CultureInfo.InvariantCulture);

    private static string Port(int i) => "3-" + (i + 1).ToString(CultureInfo.InvariantCulture);

    private static V4l2CameraSource CreateSource(FakeDeviceTree tree)
    {
        var options = new V4l2Options
        {
            DeviceRoot = tree.DeviceRoot,
            SysfsRoot = tree.SysfsRoot,
            FakeDevicesDirectory = tree.FixturesDirectory,
            UseNetlink = false,
        };
        return new V4l2CameraSource(
            Options.Create(options), new FakeVideoSyscalls(tree.FixturesDirectory), TimeProvider.System, NullLogger<V4l2CameraSource>.Instance);
    }
}

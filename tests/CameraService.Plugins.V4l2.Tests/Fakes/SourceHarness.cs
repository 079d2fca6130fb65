using System.Collections.Concurrent;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Fakes;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2.Tests.Fakes;

/// <summary>A v4l2 source running against a temporary fake device tree, recording every event it raises.</summary>
internal sealed class SourceHarness : IAsyncDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    public SourceHarness(Action<V4l2Options>? configure = null, IVideoSyscalls? uevents = null)
    {
        Tree = FakeDeviceTree.CreateTemporary();
        Options = new V4l2Options
        {
            DeviceRoot = Tree.DeviceRoot,
            SysfsRoot = Tree.SysfsRoot,
            ProcfsRoot = Tree.ProcfsRoot,
            FakeDevicesDirectory = Tree.FixturesDirectory,
            UseNetlink = false,
            ProbeTimeout = TimeSpan.FromSeconds(5),
            DebounceInterval = TimeSpan.FromMilliseconds(5),
        };
        configure?.Invoke(Options);
        Syscalls = new FakeVideoSyscalls(Tree.FixturesDirectory, uevents);
        Source = new V4l2CameraSource(Microsoft.Extensions.Options.Options.Create(Options), Syscalls, TimeProvider.System, NullLogger<V4l2CameraSource>.Instance);
        Source.CameraChanged += (_, e) => Events.Enqueue(e);
    }

    public FakeDeviceTree Tree { get; }

    public V4l2Options Options { get; }

    public FakeVideoSyscalls Syscalls { get; }

    public V4l2CameraSource Source { get; }

    public ConcurrentQueue<CameraChangedEventArgs> Events { get; } = new();

    public Task StartAsync() => Source.StartAsync(CancellationToken.None);

    public CameraDescriptor Camera(string stableId) =>
        Source.GetCameras().SingleOrDefault(c => c.StableId == stableId)
        ?? throw new Xunit.Sdk.XunitException($"No camera {stableId}; have: {string.Join(", ", Source.GetCameras().Select(c => c.StableId))}");

    /// <summary>Polls until an event matching <paramref name="match"/> was raised; fails after a generous limit.</summary>
    public async Task<CameraChangedEventArgs> WaitForEventAsync(Func<CameraChangedEventArgs, bool> match, string what)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var limit = WaitLimit;
        while (deadline.Elapsed < limit)
        {
            var found = Events.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}; events: {string.Join("; ", Events.Select(e => $"{e.Kind} {e.Camera.StableId} {e.Camera.State}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        Tree.Dispose();
    }
}

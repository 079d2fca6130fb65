using System.Net;
using System.Net.Sockets;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>The source's background loops: one watch per stream and the periodic discovery, ended by removal and stop.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task RemoveEndsOnlyThatStreamsWatch_StopEndsEveryLoop()
    {
        var options = Harness.Fast();
        options.Discovery = new DiscoveryOptions { Enabled = true, ScanInterval = 3600 };
        await using var h = new Harness(options);
        await h.StartAsync();
        var first = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = $"rtsp://127.0.0.1:{ClosedPort()}/one", Name = "One" }, CancellationToken.None);
        await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = $"rtsp://127.0.0.1:{ClosedPort()}/two", Name = "Two" }, CancellationToken.None);

        // Two watches (both streams refuse: they are probed again with backoff) and the periodic discovery.
        Assert.Equal(3, h.Source.RunningLoops);

        await h.Source.RemoveExternalStreamAsync(first.Url, CancellationToken.None);
        await UntilAsync(() => h.Source.RunningLoops == 2, "the removed stream's watch to end");
        Assert.Single(h.Source.GetExternalStreams());

        await h.Source.StopAsync(CancellationToken.None);
        Assert.Equal(0, h.Source.RunningLoops);
    }

    [Fact]
    public async Task AddAfterStop_IsListedButNotWatched_AndNoCameraIsReported()
    {
        await using var h = new Harness();
        await h.StartAsync();
        await h.Source.StopAsync(CancellationToken.None);

        var added = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = $"rtsp://127.0.0.1:{ClosedPort()}/late", Name = "Late" }, CancellationToken.None);

        Assert.Equal(added.Url, Assert.Single(h.Source.GetExternalStreams()).Url);
        Assert.Equal(0, h.Source.RunningLoops);
        Assert.DoesNotContain(h.Events, e => e.Kind == CameraChangeKind.Added);

        // Removing it must not wait for a watch that never ran.
        await h.Source.RemoveExternalStreamAsync(added.Url, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(h.Source.GetExternalStreams());
    }

    [Fact]
    public async Task StartAsync_Twice_ListsAndWatchesEachConfiguredStreamOnce()
    {
        var options = Harness.Fast();
        options.Streams = [new ConfiguredStream { Url = $"rtsp://127.0.0.1:{ClosedPort()}/configured", Name = "Configured" }];
        await using var h = new Harness(options);

        await h.StartAsync();
        await h.StartAsync();

        Assert.Single(h.Source.GetExternalStreams());
        Assert.Equal(1, h.Source.RunningLoops);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }
}

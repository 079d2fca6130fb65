using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Fakes;
using CameraService.Plugins.V4l2.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class RobustnessTests
{
    [Fact]
    public async Task StartAsync_OneNodeThrows_OtherCamerasAreStillFound()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video0", "uvc-webcam.txt");
        tree.Plug("video2", "c920-h264.txt");
        var options = new V4l2Options { DeviceRoot = tree.DeviceRoot, SysfsRoot = tree.SysfsRoot, UseNetlink = false };
        var syscalls = new ThrowingSyscalls(new FakeVideoSyscalls(tree.FixturesDirectory), throwFor: "/video0");
        await using var source = new V4l2CameraSource(Options.Create(options), syscalls, TimeProvider.System, NullLogger<V4l2CameraSource>.Instance);

        await source.StartAsync(CancellationToken.None);

        var camera = Assert.Single(source.GetCameras());
        Assert.Equal("usb-046d_082d_A1B2C3D4", camera.StableId);
        Assert.Equal(CameraState.Available, camera.State);
    }

    [Fact]
    public async Task StartAsync_NetlinkUnavailable_StillWorksThroughInotify()
    {
        // The fake responder without a uevent delegate refuses the netlink socket, as a sandbox would.
        await using var h = new SourceHarness(o =>
        {
            o.UseNetlink = true;
            o.ReconcileInterval = TimeSpan.FromHours(1);
        });
        await h.StartAsync();
        Assert.False(h.Source.NetlinkActive);

        h.Tree.Plug("video0", "uvc-webcam.txt");

        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "added through inotify");
    }
}

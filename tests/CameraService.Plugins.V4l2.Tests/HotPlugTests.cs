using System.Text;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Tests.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class HotPlugTests
{
    private const string C920 = "usb-046d_082d_A1B2C3D4";
    private const string Generic = "usb-1908_2311-0000_00_14.0-1-3";

    [Fact]
    public async Task Plug_AfterStart_RaisesAddedThroughInotify()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        await h.StartAsync();
        Assert.Empty(h.Source.GetCameras());

        h.Tree.Plug("video0", "c920-h264.txt");

        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "camera added");
        Assert.Equal(C920, added.Camera.StableId);
        Assert.Equal(CameraState.Available, added.Camera.State);
        Assert.Single(h.Source.GetCameras());
    }

    [Fact]
    public async Task UnplugAndReplug_SameCamera_RemovedThenAddedWithSameStableId()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        h.Tree.Plug("video0", "c920-h264.txt");
        await h.StartAsync();

        h.Tree.Unplug("video0");
        var removed = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Removed, "camera removed");
        Assert.Equal(C920, removed.Camera.StableId);
        Assert.Empty(h.Source.GetCameras());

        h.Tree.Plug("video0", "c920-h264.txt");
        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added && h.Events.Count(x => x.Kind == CameraChangeKind.Added) == 2, "camera re-added");
        Assert.Equal(C920, Assert.Single(h.Source.GetCameras()).StableId);
    }

    [Fact]
    public async Task Replug_CameraMovedToAnotherVideoNumber_KeepsItsStableId()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        h.Tree.Plug("video0", "usb2-pc-camera.txt", usbPort: "1-3");
        h.Tree.Plug("video2", "usb2-pc-camera.txt", usbPort: "1-4");
        await h.StartAsync();

        h.Tree.Unplug("video0");
        h.Tree.Plug("video5", "usb2-pc-camera.txt", usbPort: "1-3");

        await h.WaitForEventAsync(
            e => e.Kind is CameraChangeKind.Added or CameraChangeKind.Updated && e.Camera.DevicePath!.EndsWith("video5", StringComparison.Ordinal),
            "camera at video5");
        var moved = h.Camera(Generic);
        Assert.Equal(Path.Combine(h.Tree.DeviceRoot, "video5"), moved.DevicePath);
        Assert.Equal(2, h.Source.GetCameras().Count);
        Assert.EndsWith("video2", h.Camera("usb-1908_2311-0000_00_14.0-1-4").DevicePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plug_NodeBeforeDriverIsReady_RetriesAndReportsOnlyTheReadyCamera()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        await h.StartAsync();

        var path = h.Tree.Plug("video3", "c920-h264.txt", openErrors: ["ENXIO", "ENXIO", "ENODEV"]);

        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "camera added after retries");
        Assert.Equal(CameraState.Available, added.Camera.State);
        Assert.DoesNotContain(h.Events, e => e.Camera.State == CameraState.Error);
        Assert.True(h.Syscalls.OpenCount(path) >= 4, $"expected at least 4 opens, saw {h.Syscalls.OpenCount(path)}");
    }

    [Fact]
    public async Task Plug_NodeNeverReady_ReportedInErrorAfterProbeTimeout()
    {
        await using var h = new SourceHarness(o =>
        {
            o.ReconcileInterval = TimeSpan.FromHours(1);
            o.ProbeTimeout = TimeSpan.FromMilliseconds(200);
        });
        await h.StartAsync();

        h.Tree.Plug("video3", "c920-h264.txt", openErrors: Enumerable.Repeat("ENXIO", 1000).ToList());

        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "error camera");
        Assert.Equal(C920, added.Camera.StableId);
        Assert.Equal(CameraState.Error, added.Camera.State);
        Assert.Contains("not ready", added.Camera.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_WithoutInotify_FindsPluggedAndUnpluggedCameras()
    {
        await using var h = new SourceHarness(o =>
        {
            o.UseInotify = false;
            o.ReconcileInterval = TimeSpan.FromMilliseconds(100);
        });
        await h.StartAsync();

        h.Tree.Plug("video0", "uvc-webcam.txt");
        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "added by reconcile");
        h.Tree.Unplug("video0");
        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Removed, "removed by reconcile");
        Assert.Empty(h.Source.GetCameras());
    }

    [Fact]
    public async Task Reconcile_BusyCameraBecomesFree_UpdatedToAvailable()
    {
        await using var h = new SourceHarness(o =>
        {
            o.UseInotify = false;
            o.ReconcileInterval = TimeSpan.FromMilliseconds(100);
        });
        h.Tree.Plug("video0", "c920-h264.txt", openErrors: ["EBUSY"]);
        await h.StartAsync();
        Assert.Equal(CameraState.Error, h.Camera(C920).State);

        var updated = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Updated, "camera updated");

        Assert.Equal(CameraState.Available, updated.Camera.State);
        Assert.Null(updated.Camera.Error);
        Assert.Equal(CameraState.Available, h.Camera(C920).State);
    }

    [Fact]
    public async Task OnUevent_SyntheticVideo4linuxAdd_ProbesTheNamedNode()
    {
        await using var h = new SourceHarness(o =>
        {
            o.UseInotify = false;
            o.ReconcileInterval = TimeSpan.FromHours(1);
        });
        await h.StartAsync();
        h.Tree.Plug("video7", "hdmi-capture.txt");

        var accepted = h.Source.OnUevent(Encoding.ASCII.GetBytes(
            "add@/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/video4linux/video7\0ACTION=add\0" +
            "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/video4linux/video7\0SUBSYSTEM=video4linux\0" +
            "MAJOR=81\0MINOR=7\0DEVNAME=video7\0SEQNUM=4711\0"));

        Assert.True(accepted);
        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "added by uevent");
        Assert.Equal("USB Video: USB Video", added.Camera.Name);
    }

    [Fact]
    public async Task OnUevent_OtherSubsystem_IsIgnored()
    {
        await using var h = new SourceHarness(o => o.UseInotify = false);
        await h.StartAsync();

        Assert.False(h.Source.OnUevent(Encoding.ASCII.GetBytes("add@/devices/virtual/net/eth9\0ACTION=add\0SUBSYSTEM=net\0INTERFACE=eth9\0")));
        Assert.False(h.Source.OnUevent(Encoding.ASCII.GetBytes("libudev\0\xfe\xed\xca\xfe")));
    }

    [Fact]
    public async Task CameraChanged_HandlerThrows_SourceKeepsWorking()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        h.Source.CameraChanged += (_, _) => throw new InvalidOperationException("subscriber bug");
        h.Tree.Plug("video0", "uvc-webcam.txt");
        await h.StartAsync();

        h.Tree.Plug("video2", "c920-h264.txt");

        await h.WaitForEventAsync(e => e.Camera.StableId == C920, "second camera despite the throwing handler");
        Assert.Equal(2, h.Source.GetCameras().Count);
    }

    [Fact]
    public async Task StopAsync_ThenPlug_RaisesNoMoreEvents()
    {
        await using var h = new SourceHarness(o =>
        {
            o.ReconcileInterval = TimeSpan.FromMilliseconds(100);
            o.DebounceInterval = TimeSpan.Zero;
        });
        await h.StartAsync();
        Assert.True(h.Source.RunningLoops > 0);
        await h.Source.StopAsync(CancellationToken.None);

        // Every loop that could raise an event (discovery, reconcile, netlink, retries) has ended, and the signal
        // channel refuses new signals: nothing can happen any more, without waiting to see that it doesn't.
        Assert.Equal(0, h.Source.RunningLoops);
        h.Tree.Plug("video0", "uvc-webcam.txt");
        Assert.False(h.Source.OnUevent(Encoding.ASCII.GetBytes("add@/x/video4linux/video0\0SUBSYSTEM=video4linux\0DEVNAME=video0\0")));

        Assert.Empty(h.Events);
    }

    [Fact]
    public async Task StartAsync_CalledTwice_Throws()
    {
        await using var h = new SourceHarness();
        await h.StartAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => h.StartAsync());
    }
}

public sealed class BusyWhileStreamingTests
{
    [Fact]
    public async Task Reprobe_AvailableCameraTurnsBusy_StaysAvailable()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        h.Tree.Plug("video0", "uvc-webcam.txt");
        h.Tree.Plug("video2", "c920-h264.txt");
        await h.StartAsync();

        // Same camera, node rewritten so that opens now fail with EBUSY (as a single-open driver does while streaming).
        h.Tree.Plug("video0", "uvc-webcam.txt", openErrors: Enumerable.Repeat("EBUSY", 100).ToList());
        h.Tree.Unplug("video2"); // a later, observable change proves the busy node's signal was processed first
        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Removed, "second camera removed");

        Assert.Equal(CameraState.Available, h.Camera("usb-046d_0825_2F8E3C10").State);
        Assert.DoesNotContain(h.Events, e => e.Kind == CameraChangeKind.Updated);
    }
}

public sealed class ReconcileIdentityTests
{
    [Fact]
    public async Task Reconcile_MetadataNodeReplacedByCameraUnseen_FindsTheCamera()
    {
        await using var h = new SourceHarness(o =>
        {
            o.UseInotify = false;
            o.ReconcileInterval = TimeSpan.FromMilliseconds(100);
        });
        h.Tree.Plug("video1", "uvc-webcam-meta.txt");
        await h.StartAsync();
        Assert.Empty(h.Source.GetCameras());

        // Without inotify or netlink the swap is only visible to the reconcile, through the changed sysfs identity.
        h.Tree.Unplug("video1");
        h.Tree.Plug("video1", "c920-h264.txt");

        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "camera found by reconcile");
        Assert.Equal("usb-046d_082d_A1B2C3D4", added.Camera.StableId);
    }
}

using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.HotPlug;
using CameraService.Plugins.V4l2.Native;
using CameraService.Plugins.V4l2.Tests.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>Skips (reported as skipped, not passed) off Linux: the test calls the real Linux syscalls.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "the real Linux syscalls exist only on Linux";
        }
    }
}

/// <summary>Skips when the process cannot use netlink uevents as root (not Linux, or not root as in CI).</summary>
public sealed class RootNetlinkFactAttribute : FactAttribute
{
    public RootNetlinkFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "netlink uevents exist only on Linux";
        }
        else if (NetlinkTests.GetEuid() != 0)
        {
            Skip = "sending to the uevent multicast group and writing sysfs uevent files need root (CI runs as root)";
        }
    }
}

public sealed partial class NetlinkTests
{
    [LinuxFact]
    public void OpenUeventSocket_OnLinux_OpensABoundSocket()
    {
        var result = new LinuxVideoSyscalls().OpenUeventSocket(out var socket);

        using (socket)
        {
            Assert.True(result.Ok, $"netlink socket failed: {result}");
            Assert.NotNull(socket);
        }
    }

    [RootNetlinkFact]
    public async Task OpenUeventSocket_KernelUevent_IsReceivedAndParsed()
    {
        var result = new LinuxVideoSyscalls().OpenUeventSocket(out var socket);
        Assert.True(result.Ok, result.ToString());
        using (socket)
        {
            // A "change" on /dev/null is harmless and makes the kernel emit a real uevent.
            await File.WriteAllTextAsync("/sys/devices/virtual/mem/null/uevent", "change");
            var buffer = new byte[16384];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Uevent? uevent = null;
            while (uevent?.Subsystem != "mem")
            {
                var n = await socket!.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                uevent = Uevent.Parse(buffer.AsSpan(0, n));
            }

            Assert.Equal("change", uevent.Action);
            Assert.Equal("null", uevent.Properties["DEVNAME"]);
        }
    }

    [RootNetlinkFact]
    public async Task Source_SyntheticUeventOnTheMulticastGroup_AddsTheCamera()
    {
        await using var h = new SourceHarness(
            o =>
            {
                o.UseNetlink = true;
                o.UseInotify = false;
                o.ReconcileInterval = TimeSpan.FromHours(1);
            },
            uevents: new LinuxVideoSyscalls());
        await h.StartAsync();
        Assert.True(h.Source.NetlinkActive);
        h.Tree.Plug("video9", "uvc-webcam.txt");

        // Sent from a second netlink socket to group 1, as the kernel would; root may send to the group.
        Assert.True(new LinuxVideoSyscalls().OpenUeventSocket(out var sender).Ok);
        using (sender)
        {
            var message = Encoding.ASCII.GetBytes("add@/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/video4linux/video9\0ACTION=add\0SUBSYSTEM=video4linux\0DEVNAME=video9\0SEQNUM=1\0");
            Assert.True(SendToGroup(sender!, message, group: 1) >= 0, $"sendto failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "camera added by netlink");
        Assert.Equal("usb-046d_0825_2F8E3C10", added.Camera.StableId);
    }

    internal static uint GetEuid() => Geteuid();

    private static unsafe int SendToGroup(Socket socket, byte[] message, uint group)
    {
        Span<byte> address = stackalloc byte[12];
        address.Clear();
        address[0] = 16; // AF_NETLINK, little endian
        BitConverter.TryWriteBytes(address[8..], group);
        fixed (byte* data = message)
        fixed (byte* addr = address)
        {
            return SendTo((int)socket.Handle, data, message.Length, 0, addr, 12);
        }
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial int SendTo(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);
}

using System.Net.Sockets;
using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.Fakes;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class LegacyControlsTests
{
    /// <summary>A driver from before VIDIOC_QUERY_EXT_CTRL (Linux &lt; 3.17): the request is unknown to it.</summary>
    private sealed class NoExtControls(IVideoSyscalls inner) : IVideoSyscalls
    {
        public SyscallResult Open(string path, out int fd) => inner.Open(path, out fd);

        public void Close(int fd) => inner.Close(fd);

        public SyscallResult Ioctl<T>(int fd, uint request, ref T argument)
            where T : unmanaged =>
            request == Vdev.VIDIOC_QUERY_EXT_CTRL ? SyscallResult.From(Errno.ENOTTY) : inner.Ioctl(fd, request, ref argument);

        public SyscallResult OpenUeventSocket(out Socket? socket) => inner.OpenUeventSocket(out socket);

        public SyscallResult PollEvent(int fd, int timeoutMilliseconds, out bool eventPending) => inner.PollEvent(fd, timeoutMilliseconds, out eventPending);
    }

    [Fact]
    public void Probe_DriverWithoutQueryExtCtrl_FallsBackToQueryCtrl()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        var path = tree.Plug("video0", "c920-h264.txt");
        var prober = new DeviceProber(new NoExtControls(new FakeVideoSyscalls(tree.FixturesDirectory)));

        var outcome = prober.Probe(path);

        Assert.Equal(ProbeStatus.Capture, outcome.Status);
        var controls = outcome.Device!.Controls;
        Assert.Contains(controls, c => c.Id == 0x009a090d && c.Name == "Zoom Absolute" && c.Minimum == 100 && c.Maximum == 500 && c.Current == 100);
        Assert.Equal(17, controls.Count);
    }
}

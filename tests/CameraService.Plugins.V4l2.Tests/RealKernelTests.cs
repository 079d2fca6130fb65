using System.Runtime.InteropServices;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>Skips unless running as root on Linux (mknod needs it; CI runs as root).</summary>
public sealed class RootLinuxFactAttribute : FactAttribute
{
    public RootLinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || NetlinkTests.GetEuid() != 0)
        {
            Skip = "creating character device nodes (mknod) needs root on Linux";
        }
    }
}

/// <summary>
/// The real syscalls against the real kernel. This kernel has no V4L2, so a character node with the V4L2 major
/// (81) answers open() with ENXIO — exactly a node whose driver is not (yet) there.
/// </summary>
public sealed partial class RealKernelTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("v4l2-real-");

    public void Dispose() => _dir.Delete(recursive: true);

    [LinuxFact]
    public void Open_MissingNode_IsGone()
    {
        var result = new LinuxVideoSyscalls().Open(Path.Combine(_dir.FullName, "video0"), out var fd);

        Assert.Equal(Errno.ENOENT, result.Errno);
        Assert.Equal(DeviceFailure.Gone, result.Failure);
        Assert.Equal(-1, fd);
    }

    [LinuxFact]
    public void Ioctl_OnARegularFile_IsNotV4l2()
    {
        var path = Path.Combine(_dir.FullName, "video0");
        File.WriteAllText(path, "not a device");
        var syscalls = new LinuxVideoSyscalls();
        Assert.True(syscalls.Open(path, out var fd).Ok);
        try
        {
            var cap = default(v4l2_capability);
            var result = syscalls.Ioctl(fd, Vdev.VIDIOC_QUERYCAP, ref cap);

            Assert.Equal(DeviceFailure.NotV4l2, result.Failure);
        }
        finally
        {
            syscalls.Close(fd);
        }
    }

    [RootLinuxFact]
    public void Open_V4l2CharacterNodeWithoutDriver_IsNotReady()
    {
        var path = MakeVideoNode("video7", 7);

        var result = new LinuxVideoSyscalls().Open(path, out _);

        Assert.Equal(Errno.ENXIO, result.Errno);
        Assert.Equal(DeviceFailure.NotReady, result.Failure);
    }

    [RootLinuxFact]
    public async Task Source_RealSyscalls_DriverlessNodesBecomeErrorCameras()
    {
        MakeVideoNode("video0", 0);
        var options = new V4l2Options
        {
            DeviceRoot = _dir.FullName,
            SysfsRoot = _dir.FullName,
            ProbeTimeout = TimeSpan.FromMilliseconds(100),
            ReconcileInterval = TimeSpan.FromHours(1),
        };
        await using var source = new V4l2CameraSource(Options.Create(options), new LinuxVideoSyscalls(), TimeProvider.System, NullLogger<V4l2CameraSource>.Instance);
        var events = new List<CameraChangedEventArgs>();
        source.CameraChanged += (_, e) =>
        {
            lock (events)
            {
                events.Add(e);
            }
        };

        await source.StartAsync(CancellationToken.None);
        var first = Assert.Single(source.GetCameras());
        Assert.Equal("node-video0", first.StableId);
        Assert.Equal(CameraState.Error, first.State);
        Assert.Contains("does not answer", first.Error, StringComparison.Ordinal);

        // Hot-plug through the real inotify: retried until ProbeTimeout, then reported.
        MakeVideoNode("video3", 3);
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(20);
        while (source.GetCameras().Count < 2 && deadline.Elapsed < limit)
        {
            await Task.Delay(20);
        }

        Assert.Contains(source.GetCameras(), c => c.StableId == "node-video3" && c.State == CameraState.Error);
    }

    private string MakeVideoNode(string name, uint minor)
    {
        var path = Path.Combine(_dir.FullName, name);
        const uint characterDevice = 0x2000; // S_IFCHR
        var device = (81UL << 8) | minor;     // makedev(81, minor) for small numbers
        Assert.True(Mknod(path, characterDevice | 0x1B0 /* 0660 */, device) == 0, $"mknod failed: errno {Marshal.GetLastPInvokeError()}");
        return path;
    }

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mknod(string path, uint mode, ulong device);
}

using System.Net.Sockets;

namespace CameraService.Plugins.V4l2.Native;

/// <summary>
/// The seam under the plugin: every syscall the plugin makes goes through this interface. Production uses
/// <see cref="LinuxVideoSyscalls"/>; tests and the fake-device mode use <c>FakeVideoSyscalls</c> of the separate fakes assembly (see
/// <see cref="ISimulatedDeviceMode"/>), which answers from fixture files. Implementations never throw for an errno; they return it as a typed result.
/// </summary>
internal interface IVideoSyscalls
{
    /// <summary>Opens a device node read-write, non-blocking, close-on-exec.</summary>
    SyscallResult Open(string path, out int fd);

    /// <summary>Closes a descriptor returned by <see cref="Open"/>.</summary>
    void Close(int fd);

    /// <summary>Issues one ioctl; EINTR is retried by the implementation.</summary>
    SyscallResult Ioctl<T>(int fd, uint request, ref T argument)
        where T : unmanaged;

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> for an event on the descriptor (POLLPRI: a V4L2 event
    /// is pending for VIDIOC_DQEVENT); <paramref name="eventPending"/> tells whether one is. EINTR counts as a timeout.
    /// </summary>
    SyscallResult PollEvent(int fd, int timeoutMilliseconds, out bool eventPending);

    /// <summary>
    /// Opens a socket subscribed to the kernel's uevent multicast group (NETLINK_KOBJECT_UEVENT, group 1),
    /// or returns the errno when the kernel or the sandbox refuses it.
    /// </summary>
    SyscallResult OpenUeventSocket(out Socket? socket);
}

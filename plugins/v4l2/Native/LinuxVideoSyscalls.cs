using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace CameraService.Plugins.V4l2.Native;

/// <summary>
/// The real syscalls through P/Invoke into libc. Written by hand: the served packages offer no V4L2 binding
/// (FlashCap is not available) and the surface is six functions, each checked by the ABI test.
/// </summary>
internal sealed partial class LinuxVideoSyscalls : IVideoSyscalls
{
    private const int ORdWr = 0x0002;
    private const int ONonBlock = 0x0800;
    private const int OCloExec = 0x80000;
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloExec = 0x80000;
    private const int NetlinkKobjectUevent = 15;
    private const int SolSocket = 1;
    private const int SoRcvBufForce = 33;
    private const int MaxEintrRetries = 100;

    public SyscallResult Open(string path, out int fd)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (var attempt = 0; ; attempt++)
        {
            fd = LibC.Open(path, ORdWr | ONonBlock | OCloExec);
            if (fd >= 0)
            {
                return SyscallResult.Success;
            }

            var errno = (Errno)Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR || attempt >= MaxEintrRetries)
            {
                fd = -1;
                return SyscallResult.From(errno);
            }
        }
    }

    public void Close(int fd)
    {
        // close() must not be retried on EINTR on Linux: the descriptor is released either way.
        if (fd >= 0)
        {
            _ = LibC.Close(fd);
        }
    }

    public unsafe SyscallResult Ioctl<T>(int fd, uint request, ref T argument)
        where T : unmanaged
    {
        fixed (T* pointer = &argument)
        {
            for (var attempt = 0; ; attempt++)
            {
                if (LibC.Ioctl(fd, request, pointer) >= 0)
                {
                    return SyscallResult.Success;
                }

                var errno = (Errno)Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR || attempt >= MaxEintrRetries)
                {
                    return SyscallResult.From(errno);
                }
            }
        }
    }

    public unsafe SyscallResult PollEvent(int fd, int timeoutMilliseconds, out bool eventPending)
    {
        var pfd = new PollFd { fd = fd, events = PollPri };
        var ready = LibC.Poll(&pfd, 1, timeoutMilliseconds);
        if (ready < 0)
        {
            eventPending = false;
            var errno = (Errno)Marshal.GetLastPInvokeError();
            return errno == Errno.EINTR ? SyscallResult.Success : SyscallResult.From(errno);
        }

        // POLLERR/POLLHUP/POLLNVAL: the device went away; the caller stops watching.
        if ((pfd.revents & (PollErr | PollHup | PollNval)) != 0)
        {
            eventPending = false;
            return SyscallResult.From(Errno.ENODEV);
        }

        eventPending = ready > 0 && (pfd.revents & PollPri) != 0;
        return SyscallResult.Success;
    }

    public unsafe SyscallResult OpenUeventSocket(out Socket? socket)
    {
        socket = null;
        var fd = LibC.Socket(AfNetlink, SockRaw | SockCloExec, NetlinkKobjectUevent);
        if (fd < 0)
        {
            return SyscallResult.From((Errno)Marshal.GetLastPInvokeError());
        }

        // The managed Socket constructor refuses AF_NETLINK, but it accepts an existing descriptor.
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        var address = new SockaddrNl { nl_family = AfNetlink, nl_pid = 0, nl_groups = 1 };
        if (LibC.Bind(fd, &address, sizeof(SockaddrNl)) < 0)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            handle.Dispose();
            return SyscallResult.From(errno);
        }

        // A burst of uevents (a hub with several cameras) must not overflow the default buffer; failure is harmless.
        var size = 1024 * 1024;
        _ = LibC.SetSockOpt(fd, SolSocket, SoRcvBufForce, &size, sizeof(int));
        try
        {
            socket = new Socket(handle);
            return SyscallResult.Success;
        }
        catch (SocketException ex)
        {
            handle.Dispose();
            return SyscallResult.From((Errno)ex.NativeErrorCode);
        }
    }

    private const short PollPri = 0x002;
    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const short PollNval = 0x020;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
#pragma warning disable IDE1006 // Kernel field names.
        public int fd;
        public short events;
        public short revents;
#pragma warning restore IDE1006
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrNl
    {
#pragma warning disable IDE1006 // Kernel field names.
        public ushort nl_family;
        public ushort nl_pad;
        public uint nl_pid;
        public uint nl_groups;
#pragma warning restore IDE1006
    }

    private static unsafe partial class LibC
    {
        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        // ioctl is variadic in C; one pointer argument is passed like a fixed parameter on x86-64 and AArch64 Linux.
        [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        public static partial int Ioctl(int fd, nuint request, void* argument);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(void* fds, nuint count, int timeout);

        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
        public static partial int Bind(int fd, void* address, int length);

        [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);
    }
}

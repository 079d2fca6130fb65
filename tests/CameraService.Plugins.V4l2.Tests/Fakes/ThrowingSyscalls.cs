using System.Net.Sockets;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Tests.Fakes;

/// <summary>Delegates to another responder but throws when a node whose name ends with the given suffix is opened.</summary>
internal sealed class ThrowingSyscalls(IVideoSyscalls inner, string throwFor) : IVideoSyscalls
{
    public SyscallResult Open(string path, out int fd) =>
        path.EndsWith(throwFor, StringComparison.Ordinal) ? throw new InvalidOperationException("broken responder") : inner.Open(path, out fd);

    public void Close(int fd) => inner.Close(fd);

    public SyscallResult Ioctl<T>(int fd, uint request, ref T argument)
        where T : unmanaged => inner.Ioctl(fd, request, ref argument);

    public SyscallResult OpenUeventSocket(out Socket? socket) => inner.OpenUeventSocket(out socket);

    public SyscallResult PollEvent(int fd, int timeoutMilliseconds, out bool eventPending) => inner.PollEvent(fd, timeoutMilliseconds, out eventPending);
}

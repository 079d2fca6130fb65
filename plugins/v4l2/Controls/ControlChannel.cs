using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Controls;

/// <summary>The long-lived descriptor of one camera: subscribed to control events and watched by a loop.</summary>
internal sealed class ControlChannel : IDisposable
{
    private const int EventPollMilliseconds = 250;
    private readonly IVideoSyscalls _syscalls;
    private volatile bool _stopping;

    private ControlChannel(IVideoSyscalls syscalls, string stableId, string path, int fd, IReadOnlyList<V4l2Control> controls, Action<string, IReadOnlyDictionary<string, long>> changed)
    {
        _syscalls = syscalls;
        Path = path;
        Fd = fd;
        var names = controls.ToDictionary(c => c.Id, c => c.Name);
        // A dedicated thread: the loop blocks in poll() between events.
        _ = Task.Factory.StartNew(() => Watch(stableId, names, changed), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public string Path { get; }

    public int Fd { get; }

    public Lock Gate { get; } = new();

    public bool Closed { get; private set; }

    public static ControlChannel? Open(IVideoSyscalls syscalls, string stableId, string path, Action<string, IReadOnlyDictionary<string, long>> changed)
    {
        if (!syscalls.Open(path, out var fd).Ok)
        {
            return null;
        }

        var device = new ControlDevice(syscalls);
        var controls = device.Enumerate(fd, out var error);
        if (!error.Ok || controls.Count == 0 || !device.Subscribe(fd, controls))
        {
            // No controls or no control events: calls open the device when they need it.
            syscalls.Close(fd);
            return null;
        }

        return new ControlChannel(syscalls, stableId, path, fd, controls, changed);
    }

    public void Dispose()
    {
        _stopping = true;
        lock (Gate)
        {
            Closed = true;
        }

        // The loop polls with a short timeout; it closes the descriptor on its way out.
    }

    private void Watch(string stableId, Dictionary<uint, string> names, Action<string, IReadOnlyDictionary<string, long>> changed)
    {
        var device = new ControlDevice(_syscalls);
        try
        {
            while (!_stopping)
            {
                if (!_syscalls.PollEvent(Fd, EventPollMilliseconds, out var pending).Ok)
                {
                    return;
                }

                if (!pending)
                {
                    continue;
                }

                var values = new Dictionary<string, long>(StringComparer.Ordinal);
                lock (Gate)
                {
                    while (!Closed && device.Dequeue(Fd, out var e).Ok)
                    {
                        if (e.type == Vdev.EventCtrl && names.TryGetValue(e.id, out var name))
                        {
                            values[name] = e.ctrl.type == Vdev.CtrlTypeInteger64 ? e.ctrl.value64 : e.ctrl.value;
                        }
                    }
                }

                changed(stableId, values);
            }
        }
        finally
        {
            lock (Gate)
            {
                Closed = true;
                _syscalls.Close(Fd);
            }
        }
    }
}

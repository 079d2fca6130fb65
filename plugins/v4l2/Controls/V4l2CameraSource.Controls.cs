using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Controls;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2;

/// <summary>
/// Camera controls of the V4L2 source (<see cref="ICameraControls"/>): every available camera gets one
/// descriptor that is subscribed to V4L2_EVENT_CTRL and watched by a background loop (so a change made by another
/// program is seen), and that is also used for writes (the kernel does not echo a descriptor's own changes back).
/// </summary>
internal sealed partial class V4l2CameraSource : ICameraControls
{
    private const int EventPollMilliseconds = 250;
    private readonly ConcurrentDictionary<string, ControlChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _controlEvents = new();

    public event EventHandler<CameraControlsChangedEventArgs>? ControlsChanged;

    public Task<IReadOnlyList<CameraControlInfo>> GetControlsAsync(string stableId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        return Task.Run(() => WithDevice(stableId, (fd, device) => Describe(fd, device, out _)), cancellationToken);
    }

    public Task<CameraControlSetResult> SetControlsAsync(
        string stableId,
        IReadOnlyDictionary<string, long> values,
        CameraControlApplyMode mode,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        ArgumentNullException.ThrowIfNull(values);
        return Task.Run(
            () => WithDevice(stableId, (fd, device) => mode == CameraControlApplyMode.AllOrNothing
                ? SetAllOrNothing(fd, device, values)
                : Restore(fd, device, values)),
            cancellationToken);
    }

    public Task<CameraControlSetResult> ResetControlsAsync(string stableId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        return Task.Run(
            () => WithDevice(stableId, (fd, device) =>
            {
                var controls = device.Enumerate(fd, out _);
                var defaults = controls.Where(c => c.Persistable).ToDictionary(c => c.Name, c => c.Default, StringComparer.Ordinal);
                return Restore(fd, device, defaults);
            }),
            cancellationToken);
    }

    /// <summary>Opens or closes the control channel of a camera as it appears, changes or goes away.</summary>
    private void TrackControls(CameraChangeKind kind, CameraDescriptor descriptor)
    {
        if (kind == CameraChangeKind.Removed || descriptor.State != CameraState.Available || descriptor.DevicePath is null)
        {
            if (_channels.TryRemove(descriptor.StableId, out var gone))
            {
                gone.Dispose();
            }

            return;
        }

        if (_channels.TryGetValue(descriptor.StableId, out var existing))
        {
            if (existing.Path == descriptor.DevicePath)
            {
                return;
            }

            _channels.TryRemove(descriptor.StableId, out _);
            existing.Dispose();
        }

        var channel = ControlChannel.Open(_syscalls, descriptor.StableId, descriptor.DevicePath, this);
        if (channel is not null && !_channels.TryAdd(descriptor.StableId, channel))
        {
            channel.Dispose();
        }
    }

    private void StopControlChannels()
    {
        foreach (var id in _channels.Keys)
        {
            if (_channels.TryRemove(id, out var channel))
            {
                channel.Dispose();
            }
        }
    }

    private T WithDevice<T>(string stableId, Func<int, ControlDevice, T> action)
    {
        CameraDescriptor? camera;
        lock (_published)
        {
            _cameras.TryGetValue(stableId, out camera);
        }

        if (camera?.DevicePath is not { } path || camera.State != CameraState.Available)
        {
            throw new ResourceNotFoundException("camera", stableId, "The camera is not connected; plug it in and try again.");
        }

        var device = new ControlDevice(_syscalls);
        if (_channels.TryGetValue(stableId, out var channel) && channel.Path == path)
        {
            lock (channel.Gate)
            {
                if (!channel.Closed)
                {
                    return action(channel.Fd, device);
                }
            }
        }

        // No watcher descriptor (the camera was busy when it appeared): a short-lived one does the job.
        var open = _syscalls.Open(path, out var fd);
        if (!open.Ok)
        {
            throw DeviceError(open, "opening the camera");
        }

        try
        {
            return action(fd, device);
        }
        finally
        {
            _syscalls.Close(fd);
        }
    }

    private static IReadOnlyList<CameraControlInfo> Describe(int fd, ControlDevice device, out IReadOnlyList<V4l2Control> controls)
    {
        controls = device.Enumerate(fd, out var error);
        if (!error.Ok)
        {
            throw DeviceError(error, "listing the controls");
        }

        var values = device.Read(fd, controls, out error);
        if (!error.Ok)
        {
            throw DeviceError(error, "reading the controls");
        }

        return [.. controls.Select(c => ToInfo(c, values.TryGetValue(c.Id, out var v) ? v : null))];
    }

    private static CameraControlInfo ToInfo(V4l2Control c, long? value) => new()
    {
        Name = c.Name,
        Label = c.Label,
        Type = c.Type switch
        {
            Vdev.CtrlTypeBoolean => CameraControlType.Boolean,
            Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu => CameraControlType.Menu,
            Vdev.CtrlTypeButton => CameraControlType.Button,
            _ => CameraControlType.Integer,
        },
        Minimum = c.Minimum,
        Maximum = c.Maximum,
        Step = c.Step,
        Default = c.Default,
        Value = value,
        Menu = [.. c.Menu.Select(m => new CameraControlMenuItem { Value = m.Value, Label = m.Label })],
        ReadOnly = c.ReadOnly,
        Inactive = c.Inactive,
        Grabbed = c.Grabbed,
        Relative = c.Relative,
        AutoMode = ControlNames.IsAutoMode(c.Id),
    };

    private static CameraControlSetResult SetAllOrNothing(int fd, ControlDevice device, IReadOnlyDictionary<string, long> values)
    {
        var controls = device.Enumerate(fd, out var error);
        if (!error.Ok)
        {
            throw DeviceError(error, "listing the controls");
        }

        var current = device.Read(fd, controls, out _);
        var byName = controls.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var request = new List<(V4l2Control Control, long Value)>();
        foreach (var (name, value) in values)
        {
            if (!byName.TryGetValue(name, out var control))
            {
                throw new InvalidParameterException("controls." + name, "unknown_control");
            }

            request.Add((control, value));
        }

        // Automatic modes first: a manual value is then written while its mode already allows it.
        request.Sort((a, b) => ControlNames.ApplyRank(a.Control.Id).CompareTo(ControlNames.ApplyRank(b.Control.Id)));
        foreach (var (control, value) in request)
        {
            if (ControlValueRules.Check(control, value, request, current) is { } rule)
            {
                throw new InvalidParameterException("controls." + control.Name, rule);
            }
        }

        // The device has the last word: TRY checks everything without touching the hardware and names the culprit.
        var tried = device.Write(fd, request, apply: false);
        if (!tried.Ok)
        {
            throw Refused(tried, request);
        }

        var written = device.Write(fd, request, apply: true);
        if (!written.Ok)
        {
            if (!written.NothingWritten)
            {
                // The hardware failed part-way: put back what was written before the failing control.
                var undo = request.Take((int)written.ErrorIndex)
                    .Where(r => current.ContainsKey(r.Control.Id))
                    .Select(r => (r.Control, current[r.Control.Id]))
                    .ToList();
                if (undo.Count > 0)
                {
                    device.Write(fd, undo, apply: true);
                }
            }

            throw Refused(written, request);
        }

        var infos = Describe(fd, device, out _);
        return new CameraControlSetResult { Applied = AppliedValues(request, infos), Controls = infos };
    }

    private static CameraControlSetResult Restore(int fd, ControlDevice device, IReadOnlyDictionary<string, long> values)
    {
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        var applied = new List<(V4l2Control Control, long Value)>();
        var controls = device.Enumerate(fd, out var error);
        if (!error.Ok)
        {
            throw DeviceError(error, "listing the controls");
        }

        var byName = controls.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var ordered = values
            .Select(v => (v.Key, v.Value, Control: byName.GetValueOrDefault(v.Key)))
            .OrderBy(v => v.Control is null ? 2 : ControlNames.ApplyRank(v.Control.Id))
            .ThenBy(v => v.Key, StringComparer.Ordinal)
            .ToList();
        foreach (var (name, value, known) in ordered)
        {
            if (known is null)
            {
                skipped[name] = "unknown_control";
                continue;
            }

            // Flags are read again after each write: an automatic mode just applied may have made this one (in)active.
            var control = device.Enumerate(fd, out _).FirstOrDefault(c => c.Id == known.Id) ?? known;
            var current = device.Read(fd, [control], out _);
            if (current.TryGetValue(control.Id, out var now) && now == value)
            {
                continue;
            }

            if (ControlValueRules.Check(control, value, [(control, value)], current) is { } rule)
            {
                skipped[name] = rule;
                continue;
            }

            var result = device.Write(fd, [(control, value)], apply: true);
            if (result.Ok)
            {
                applied.Add((control, value));
            }
            else
            {
                skipped[name] = result.Result.Errno.ToString();
            }
        }

        var infos = Describe(fd, device, out _);
        return new CameraControlSetResult { Applied = AppliedValues(applied, infos), Skipped = skipped, Controls = infos };
    }

    private static Dictionary<string, long> AppliedValues(IEnumerable<(V4l2Control Control, long Value)> request, IReadOnlyList<CameraControlInfo> infos)
    {
        var applied = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (control, value) in request)
        {
            applied[control.Name] = infos.FirstOrDefault(i => i.Name == control.Name)?.Value ?? value;
        }

        return applied;
    }

    private static CameraServiceException Refused(ExtControlsResult result, List<(V4l2Control Control, long Value)> request)
    {
        var name = result.NothingWritten || result.ErrorIndex >= request.Count ? "controls" : "controls." + request[(int)result.ErrorIndex].Control.Name;
        return result.Result.Errno switch
        {
            Errno.EBUSY => new InvalidStateException(
                "control_busy", "GRABBED", $"The camera does not accept a change of {name} now (the control is held while streaming); try again when the stream stops."),
            Errno.EACCES => new InvalidParameterException(name, "inactive_or_read_only"),
            Errno.ERANGE => new InvalidParameterException(name, "out_of_range"),
            Errno.EINVAL => new InvalidParameterException(name, "rejected_by_device"),
            _ => DeviceError(result.Result, "setting " + name),
        };
    }

    private static DependencyFailedException DeviceError(SyscallResult error, string what) => error.Failure switch
    {
        DeviceFailure.NoDevice or DeviceFailure.Gone or DeviceFailure.NotReady =>
            new DependencyFailedException("device", $"the camera went away while {what}; reconnect it and try again"),
        DeviceFailure.PermissionDenied =>
            new DependencyFailedException("device", $"permission denied while {what}; add the service user to the 'video' group"),
        _ => new DependencyFailedException("device", $"the driver answered {error} while {what}"),
    };

    private void RaiseControlsChanged(string stableId, IReadOnlyDictionary<string, long> values)
    {
        if (_stopped || values.Count == 0)
        {
            return;
        }

        lock (_controlEvents)
        {
            try
            {
                ControlsChanged?.Invoke(this, new CameraControlsChangedEventArgs { StableId = stableId, Values = values });
            }
            catch (Exception ex)
            {
                // A subscriber's bug must not stop the watcher.
                Log.HandlerFailed(_logger, stableId, ex);
            }
        }
    }

    /// <summary>The long-lived descriptor of one camera: subscribed to control events and watched by a loop.</summary>
    private sealed class ControlChannel : IDisposable
    {
        private readonly IVideoSyscalls _syscalls;
        private volatile bool _stopping;

        private ControlChannel(IVideoSyscalls syscalls, string stableId, string path, int fd, IReadOnlyList<V4l2Control> controls, V4l2CameraSource owner)
        {
            _syscalls = syscalls;
            Path = path;
            Fd = fd;
            var names = controls.ToDictionary(c => c.Id, c => c.Name);
            // A dedicated thread: the loop blocks in poll() between events.
            _ = Task.Factory.StartNew(() => Watch(stableId, names, owner), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public string Path { get; }

        public int Fd { get; }

        public Lock Gate { get; } = new();

        public bool Closed { get; private set; }

        public static ControlChannel? Open(IVideoSyscalls syscalls, string stableId, string path, V4l2CameraSource owner)
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

            return new ControlChannel(syscalls, stableId, path, fd, controls, owner);
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

        private void Watch(string stableId, Dictionary<uint, string> names, V4l2CameraSource owner)
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

                    var changed = new Dictionary<string, long>(StringComparer.Ordinal);
                    lock (Gate)
                    {
                        while (!Closed && device.Dequeue(Fd, out var e).Ok)
                        {
                            if (e.type == Vdev.EventCtrl && names.TryGetValue(e.id, out var name))
                            {
                                changed[name] = e.ctrl.type == Vdev.CtrlTypeInteger64 ? e.ctrl.value64 : e.ctrl.value;
                            }
                        }
                    }

                    owner.RaiseControlsChanged(stableId, changed);
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
}

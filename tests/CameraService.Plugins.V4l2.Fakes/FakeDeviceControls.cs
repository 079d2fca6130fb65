using CameraService.Plugins.V4l2.Controls;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Fakes;

/// <summary>
/// The control state of one plugged fake camera, shared by every descriptor opened on it: current values,
/// grabbed controls, event subscriptions. It answers the control ioctls with the kernel's semantics
/// (v4l2-ctrls.c and the UVC driver): TRY reports the failing index, S validates everything before writing and
/// reports <c>error_idx == count</c> for a validation failure, integers are clamped to the range and step,
/// menus out of range are ERANGE and a skipped menu index EINVAL, read-only and master-inactive controls are
/// EACCES, grabbed controls EBUSY; a change raises V4L2_EVENT_CTRL on every other subscribed descriptor.
/// </summary>
internal sealed class FakeDeviceControls
{
    private readonly Lock _gate = new();
    private readonly Fixture _fixture;
    private readonly Dictionary<uint, long> _values = [];
    private readonly HashSet<uint> _grabbed = [];
    private readonly Dictionary<uint, Errno> _writeFailures = [];
    private readonly Dictionary<uint, Errno> _rejections = [];
    private readonly Dictionary<int, Subscriber> _subscribers = [];
    private uint _sequence;

    public FakeDeviceControls(Fixture fixture)
    {
        _fixture = fixture;
        foreach (var c in fixture.Controls)
        {
            _values[c.Id] = c.Value;
        }
    }

    /// <summary>How many S_EXT_CTRLS calls wrote to the device (tests prove that a refused set wrote nothing).</summary>
    public int Writes { get; private set; }

    public long? ValueOf(uint id)
    {
        lock (_gate)
        {
            return _values.TryGetValue(id, out var v) ? v : null;
        }
    }

    public void SetGrabbed(uint id, bool isGrabbed)
    {
        lock (_gate)
        {
            if (isGrabbed)
            {
                _grabbed.Add(id);
            }
            else
            {
                _grabbed.Remove(id);
            }
        }
    }

    /// <summary>
    /// Makes the driver refuse every value of a control in TRY and S (nothing written), as a driver whose own checks are
    /// stricter than the range it advertised does; <see cref="Errno.None"/> lifts it.
    /// </summary>
    public void RejectValues(uint id, Errno errno) => SetOrClear(_rejections, id, errno);

    /// <summary>Makes the hardware write of a control fail (after validation passed), like a USB stall.</summary>
    public void FailWrites(uint id, Errno errno) => SetOrClear(_writeFailures, id, errno);

    private void SetOrClear(Dictionary<uint, Errno> errors, uint id, Errno errno)
    {
        lock (_gate)
        {
            if (errno == Errno.None)
            {
                errors.Remove(id);
            }
            else
            {
                errors[id] = errno;
            }
        }
    }

    /// <summary>The flags of a control now: the fixture's, with inactive following the automatic mode and grabbed added.</summary>
    public uint FlagsOf(FixtureControl control)
    {
        lock (_gate)
        {
            return FlagsLocked(control, _values);
        }
    }

    public void Close(int fd)
    {
        lock (_gate)
        {
            if (_subscribers.Remove(fd, out var s))
            {
                s.Signal.Dispose();
            }
        }
    }

    public SyscallResult Subscribe(int fd, ref v4l2_event_subscription subscription)
    {
        if (subscription.type != Vdev.EventCtrl)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        var id = subscription.id;
        var control = _fixture.Controls.FirstOrDefault(c => c.Id == id);
        if (control is null)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        lock (_gate)
        {
            if (!_subscribers.TryGetValue(fd, out var s))
            {
                s = new Subscriber();
                _subscribers[fd] = s;
            }

            s.Ids.Add(id);
            s.AllowFeedback |= (subscription.flags & Vdev.EventSubFlAllowFeedback) != 0;
            if ((subscription.flags & Vdev.EventSubFlSendInitial) != 0)
            {
                Enqueue(s, control, Vdev.EventCtrlChValue | Vdev.EventCtrlChFlags);
            }
        }

        return SyscallResult.Success;
    }

    public SyscallResult Dequeue(int fd, ref v4l2_event e)
    {
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(fd, out var s) || s.Queue.Count == 0)
            {
                return SyscallResult.From(Errno.ENOENT);
            }

            e = s.Queue.Dequeue();
            e.pending = (uint)s.Queue.Count;
            return SyscallResult.Success;
        }
    }

    public SyscallResult Poll(int fd, int timeoutMilliseconds, out bool pending)
    {
        SemaphoreSlim signal;
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(fd, out var s))
            {
                pending = false;
                return SyscallResult.Success;
            }

            if (s.Queue.Count > 0)
            {
                pending = true;
                return SyscallResult.Success;
            }

            signal = s.Signal;
        }

        try
        {
            signal.Wait(timeoutMilliseconds);
        }
        catch (ObjectDisposedException)
        {
            // Closed while waiting.
        }

        lock (_gate)
        {
            pending = _subscribers.TryGetValue(fd, out var s) && s.Queue.Count > 0;
        }

        return SyscallResult.Success;
    }

    public unsafe SyscallResult Get(ref v4l2_ext_controls request)
    {
        lock (_gate)
        {
            for (uint i = 0; i < request.count; i++)
            {
                ref var entry = ref request.controls[i];
                var control = Find(entry.id);
                if (control is null || control.Type == Vdev.CtrlTypeButton)
                {
                    request.error_idx = i;
                    return SyscallResult.From(Errno.EINVAL);
                }

                if ((control.Flags & Vdev.CtrlFlagWriteOnly) != 0 && request.which != Vdev.CtrlWhichDefVal)
                {
                    request.error_idx = i;
                    return SyscallResult.From(Errno.EACCES);
                }

                var value = request.which == Vdev.CtrlWhichDefVal ? control.Default : _values[control.Id];
                if (control.Type == Vdev.CtrlTypeInteger64)
                {
                    entry.value64 = value;
                }
                else
                {
                    entry.value = (int)value;
                }
            }
        }

        return SyscallResult.Success;
    }

    /// <summary>TRY (<paramref name="apply"/> false) or S (true) from descriptor <paramref name="fd"/>; -1 is another process.</summary>
    public unsafe SyscallResult TryOrSet(int fd, ref v4l2_ext_controls request, bool apply)
    {
        lock (_gate)
        {
            if (request.which != Vdev.CtrlWhichCurVal)
            {
                request.error_idx = request.count;
                return SyscallResult.From(Errno.EINVAL);
            }

            var proposed = new Dictionary<uint, long>(_values);
            var order = new List<(FixtureControl Control, long Value)>();
            for (uint i = 0; i < request.count; i++)
            {
                ref var entry = ref request.controls[i];
                var control = Find(entry.id);
                var requested = control?.Type == Vdev.CtrlTypeInteger64 ? entry.value64 : entry.value;
                var error = control is null ? Errno.EINVAL : Validate(control, ref requested);
                if (error != Errno.None)
                {
                    // TRY names the failing control; S answers count: "nothing was written, ask TRY which one".
                    request.error_idx = apply ? request.count : i;
                    return SyscallResult.From(error);
                }

                proposed[control!.Id] = requested;
                order.Add((control, requested));
            }

            // A manual control is writable only if its automatic mode (as it will be after this request) allows it.
            for (var i = 0; i < order.Count; i++)
            {
                if (ControlNames.DependencyOf(order[i].Control.Id) is { } dependency && Find(dependency.Master) is not null
                    && !dependency.ActiveWhen.Contains(proposed[dependency.Master]))
                {
                    request.error_idx = apply ? request.count : (uint)i;
                    return SyscallResult.From(Errno.EACCES);
                }
            }

            for (var i = 0; i < order.Count; i++)
            {
                var (control, value) = order[i];
                if (entryIsInteger64(control))
                {
                    request.controls[i].value64 = value;
                }
                else
                {
                    request.controls[i].value = (int)value;
                }
            }

            if (!apply)
            {
                return SyscallResult.Success;
            }

            Writes++;
            var before = new Dictionary<uint, long>(_values);
            for (var i = 0; i < order.Count; i++)
            {
                var (control, value) = order[i];
                if (_writeFailures.TryGetValue(control.Id, out var failure))
                {
                    // The hardware refused this one; the earlier ones are written (the kernel does not roll back).
                    request.error_idx = (uint)i;
                    Notify(fd, before);
                    return SyscallResult.From(failure);
                }

                if (control.Type != Vdev.CtrlTypeButton)
                {
                    _values[control.Id] = value;
                }
            }

            Notify(fd, before);
            return SyscallResult.Success;
        }

        static bool entryIsInteger64(FixtureControl c) => c.Type == Vdev.CtrlTypeInteger64;
    }

    private Errno Validate(FixtureControl control, ref long value)
    {
        if (_rejections.TryGetValue(control.Id, out var rejection))
        {
            return rejection;
        }

        var flags = FlagsLocked(control, _values);
        if ((flags & Vdev.CtrlFlagReadOnly) != 0)
        {
            return Errno.EACCES;
        }

        if ((flags & Vdev.CtrlFlagGrabbed) != 0)
        {
            return Errno.EBUSY;
        }

        switch (control.Type)
        {
            case Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu:
                if (value < control.Minimum || value > control.Maximum)
                {
                    return Errno.ERANGE;
                }

                var index = value;
                return control.Menu.Count > 0 && !control.Menu.Any(m => m.Index == index) ? Errno.EINVAL : Errno.None;
            case Vdev.CtrlTypeBoolean:
                value = value != 0 ? 1 : 0;
                return Errno.None;
            case Vdev.CtrlTypeButton:
                return Errno.None;
            case Vdev.CtrlTypeInteger or Vdev.CtrlTypeInteger64:
                // The kernel clamps to the range and rounds to the step instead of refusing.
                var clamped = Math.Clamp(value, control.Minimum, control.Maximum);
                var step = Math.Max(1, control.Step);
                value = control.Minimum + ((clamped - control.Minimum + (step / 2)) / step * step);
                if (value > control.Maximum)
                {
                    value -= step;
                }

                return Errno.None;
            default:
                return Errno.EINVAL;
        }
    }

    private FixtureControl? Find(uint id) => _fixture.Controls.FirstOrDefault(c => c.Id == id);

    private uint FlagsLocked(FixtureControl control, Dictionary<uint, long> state)
    {
        var flags = control.Flags;
        if (ControlNames.DependencyOf(control.Id) is { } dependency && state.TryGetValue(dependency.Master, out var master))
        {
            flags = dependency.ActiveWhen.Contains(master) ? flags & ~Vdev.CtrlFlagInactive : flags | Vdev.CtrlFlagInactive;
        }

        return _grabbed.Contains(control.Id) ? flags | Vdev.CtrlFlagGrabbed : flags;
    }

    private void Notify(int origin, Dictionary<uint, long> before)
    {
        foreach (var control in _fixture.Controls)
        {
            uint changes = 0;
            if (before[control.Id] != _values[control.Id])
            {
                changes |= Vdev.EventCtrlChValue;
            }

            if (FlagsLocked(control, before) != FlagsLocked(control, _values))
            {
                changes |= Vdev.EventCtrlChFlags;
            }

            if (changes == 0)
            {
                continue;
            }

            foreach (var (fd, s) in _subscribers)
            {
                if (s.Ids.Contains(control.Id) && (fd != origin || s.AllowFeedback))
                {
                    Enqueue(s, control, changes);
                }
            }
        }
    }

    private void Enqueue(Subscriber s, FixtureControl control, uint changes)
    {
        var e = new v4l2_event { type = Vdev.EventCtrl, id = control.Id, sequence = _sequence++ };
        e.ctrl = new v4l2_event_ctrl
        {
            changes = changes, type = control.Type, value64 = _values[control.Id], flags = FlagsLocked(control, _values),
            minimum = (int)control.Minimum, maximum = (int)control.Maximum, step = (int)control.Step, default_value = (int)control.Default,
        };
        if (control.Type != Vdev.CtrlTypeInteger64)
        {
            e.ctrl.value = (int)_values[control.Id];
        }

        s.Queue.Enqueue(e);
        if (s.Signal.CurrentCount == 0)
        {
            s.Signal.Release();
        }
    }

    private sealed class Subscriber
    {
        public HashSet<uint> Ids { get; } = [];

        public Queue<v4l2_event> Queue { get; } = new();

        public SemaphoreSlim Signal { get; } = new(0, 1);

        public bool AllowFeedback { get; set; }
    }
}

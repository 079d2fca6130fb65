using System.Globalization;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Controls;

/// <summary>A control as the driver describes it (VIDIOC_QUERY_EXT_CTRL plus VIDIOC_QUERYMENU).</summary>
internal sealed record V4l2Control(
    uint Id,
    string Name,
    string Label,
    uint Type,
    long Minimum,
    long Maximum,
    long Step,
    long Default,
    uint Flags,
    IReadOnlyList<(long Value, string Label)> Menu)
{
    public bool ReadOnly => (Flags & Vdev.CtrlFlagReadOnly) != 0;

    public bool WriteOnly => (Flags & Vdev.CtrlFlagWriteOnly) != 0;

    public bool Inactive => (Flags & Vdev.CtrlFlagInactive) != 0;

    public bool Grabbed => (Flags & Vdev.CtrlFlagGrabbed) != 0;

    public bool Relative => ControlNames.IsRelative(Id);

    public bool IsButton => Type == Vdev.CtrlTypeButton;

    public bool IsMenu => Type is Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu;

    /// <summary>Whether a value can be read (G_EXT_CTRLS): not for buttons, write-only or relative controls.</summary>
    public bool Readable => !IsButton && !WriteOnly && !Relative;

    /// <summary>Whether the value is worth persisting and restoring.</summary>
    public bool Persistable => !IsButton && !Relative && !ReadOnly && !WriteOnly;
}

/// <summary>The outcome of an extended-controls ioctl: the errno and the index the driver blamed.</summary>
internal readonly record struct ExtControlsResult(SyscallResult Result, uint ErrorIndex, uint Count)
{
    public bool Ok => Result.Ok;

    /// <summary>True when the driver named no single control (<c>error_idx == count</c>): nothing was written.</summary>
    public bool NothingWritten => ErrorIndex >= Count;
}

/// <summary>
/// The control ioctls on one open descriptor: enumeration with menus, reading and writing values with the
/// extended-controls API, and V4L2_EVENT_CTRL subscription. Stateless; the caller owns the descriptor.
/// </summary>
internal sealed class ControlDevice(IVideoSyscalls syscalls)
{
    // A driver that never answers EINVAL must not loop forever.
    private const int MaxControls = 512;
    private const int MaxMenuEntries = 256;

    /// <summary>Every control the API can express (integer, 64-bit integer, boolean, menu, integer menu, button).</summary>
    public unsafe IReadOnlyList<V4l2Control> Enumerate(int fd, out SyscallResult error)
    {
        var controls = new List<V4l2Control>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        error = SyscallResult.Success;
        var next = Vdev.CtrlFlagNextCtrl;
        for (var i = 0; i < MaxControls; i++)
        {
            var query = new v4l2_query_ext_ctrl { id = next };
            var result = syscalls.Ioctl(fd, Vdev.VIDIOC_QUERY_EXT_CTRL, ref query);
            if (!result.Ok)
            {
                // EINVAL ends the enumeration; anything else (ENODEV: unplugged) is the caller's to report.
                error = result.Errno == Errno.EINVAL ? SyscallResult.Success : result;
                break;
            }

            next = query.id | Vdev.CtrlFlagNextCtrl;
            if ((query.flags & Vdev.CtrlFlagDisabled) != 0
                || query.type is not (Vdev.CtrlTypeInteger or Vdev.CtrlTypeInteger64 or Vdev.CtrlTypeBoolean
                    or Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu or Vdev.CtrlTypeButton)
                || query.nr_of_dims > 0)
            {
                // Control classes, strings, bitmasks and compound (array) controls are not offered through the API.
                continue;
            }

            var name = ControlNames.NameOf(query.id);
            if (!names.Add(name))
            {
                continue;
            }

            var menu = query.type is Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu
                ? QueryMenu(fd, query.id, query.type, query.minimum, query.maximum)
                : [];
            controls.Add(new V4l2Control(
                query.id, name, Vdev.ReadString(query.name, 32), query.type, query.minimum, query.maximum,
                query.type is Vdev.CtrlTypeBoolean or Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu ? 1 : Math.Max(1L, (long)query.step),
                query.default_value, query.flags, menu));
        }

        return controls;
    }

    /// <summary>Reads the current values of the readable controls (one G_EXT_CTRLS; one by one if the batch fails).</summary>
    public Dictionary<uint, long> Read(int fd, IReadOnlyList<V4l2Control> controls, out SyscallResult error)
    {
        var readable = controls.Where(c => c.Readable).ToList();
        var values = new Dictionary<uint, long>();
        error = SyscallResult.Success;
        if (readable.Count == 0)
        {
            return values;
        }

        var batch = Get(fd, readable, out var result);
        if (result.Ok)
        {
            return batch;
        }

        if (result.Result.Failure is DeviceFailure.NoDevice or DeviceFailure.Gone)
        {
            error = result.Result;
            return values;
        }

        // One control the driver cannot read (a UVC control that stalls) must not hide all the others.
        foreach (var control in readable)
        {
            var single = Get(fd, [control], out var one);
            if (one.Ok)
            {
                values[control.Id] = single[control.Id];
            }
        }

        return values;
    }

    /// <summary>VIDIOC_TRY_EXT_CTRLS (<paramref name="apply"/> false) or VIDIOC_S_EXT_CTRLS with the values in the given order.</summary>
    public unsafe ExtControlsResult Write(int fd, IReadOnlyList<(V4l2Control Control, long Value)> values, bool apply)
    {
        var entries = new v4l2_ext_control[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            entries[i] = new v4l2_ext_control { id = values[i].Control.Id, size = 0 };
            if (values[i].Control.Type == Vdev.CtrlTypeInteger64)
            {
                entries[i].value64 = values[i].Value;
            }
            else
            {
                entries[i].value = checked((int)values[i].Value);
            }
        }

        fixed (v4l2_ext_control* pointer = entries)
        {
            var request = new v4l2_ext_controls { which = Vdev.CtrlWhichCurVal, count = (uint)entries.Length, controls = pointer };
            var result = syscalls.Ioctl(fd, apply ? Vdev.VIDIOC_S_EXT_CTRLS : Vdev.VIDIOC_TRY_EXT_CTRLS, ref request);
            return new ExtControlsResult(result, request.error_idx, request.count);
        }
    }

    /// <summary>Subscribes to V4L2_EVENT_CTRL for each control; false when the driver offers no control events.</summary>
    public bool Subscribe(int fd, IEnumerable<V4l2Control> controls)
    {
        var any = false;
        foreach (var control in controls)
        {
            var subscription = new v4l2_event_subscription { type = Vdev.EventCtrl, id = control.Id };
            any |= syscalls.Ioctl(fd, Vdev.VIDIOC_SUBSCRIBE_EVENT, ref subscription).Ok;
        }

        return any;
    }

    /// <summary>Dequeues one pending event; ENOENT when none is left.</summary>
    public SyscallResult Dequeue(int fd, out v4l2_event e)
    {
        e = default;
        return syscalls.Ioctl(fd, Vdev.VIDIOC_DQEVENT, ref e);
    }

    private unsafe Dictionary<uint, long> Get(int fd, List<V4l2Control> controls, out ExtControlsResult result)
    {
        var entries = new v4l2_ext_control[controls.Count];
        for (var i = 0; i < controls.Count; i++)
        {
            entries[i] = new v4l2_ext_control { id = controls[i].Id };
        }

        var values = new Dictionary<uint, long>();
        fixed (v4l2_ext_control* pointer = entries)
        {
            var request = new v4l2_ext_controls { which = Vdev.CtrlWhichCurVal, count = (uint)entries.Length, controls = pointer };
            var r = syscalls.Ioctl(fd, Vdev.VIDIOC_G_EXT_CTRLS, ref request);
            result = new ExtControlsResult(r, request.error_idx, request.count);
            if (!r.Ok)
            {
                return values;
            }
        }

        for (var i = 0; i < controls.Count; i++)
        {
            values[controls[i].Id] = controls[i].Type == Vdev.CtrlTypeInteger64 ? entries[i].value64 : entries[i].value;
        }

        return values;
    }

    private unsafe List<(long Value, string Label)> QueryMenu(int fd, uint id, uint type, long minimum, long maximum)
    {
        var items = new List<(long, string)>();
        if (minimum < 0 || maximum < minimum)
        {
            return items;
        }

        for (var index = minimum; index <= maximum && items.Count < MaxMenuEntries; index++)
        {
            var query = new v4l2_querymenu { id = id, index = (uint)index };
            if (!syscalls.Ioctl(fd, Vdev.VIDIOC_QUERYMENU, ref query).Ok)
            {
                // A gap in the menu (menu_skip_mask): the index is not selectable.
                continue;
            }

            items.Add((index, type == Vdev.CtrlTypeIntegerMenu
                ? query.value.ToString(CultureInfo.InvariantCulture)
                : Vdev.ReadString(query.name, 32)));
        }

        return items;
    }
}

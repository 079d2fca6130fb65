using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Fakes;

/// <summary>
/// A V4L2 ioctl responder over a fake device tree: a device node is a regular file whose content names a fixture
/// file (see <see cref="FakeNodeSpec"/>); ioctls are answered from that fixture with the kernel's semantics
/// (EINVAL ends enumerations, ENOTTY for unknown requests). Test and demo aid only.
/// </summary>
internal sealed class FakeVideoSyscalls(string fixturesDirectory, IVideoSyscalls? uevents = null) : IVideoSyscalls
{
    private readonly ConcurrentDictionary<int, OpenDevice> _open = new();
    private readonly ConcurrentDictionary<string, (DateTime Stamp, Fixture Fixture)> _fixtures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _opensPerPlug = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeDeviceControls> _controlStates = new(StringComparer.Ordinal);
    private int _nextFd = 1000;

    /// <summary>How many times each node was opened (tests read it to prove retries happened).</summary>
    public int OpenCount(string path) => _opensPerPlug.Where(p => p.Key.StartsWith(path + "|", StringComparison.Ordinal)).Sum(p => p.Value);

    public SyscallResult Open(string path, out int fd)
    {
        ArgumentNullException.ThrowIfNull(path);
        fd = -1;
        FakeNodeSpec spec;
        try
        {
            spec = FakeNodeSpec.Parse(File.ReadAllText(path));
        }
        catch (FileNotFoundException)
        {
            return SyscallResult.From(Errno.ENOENT);
        }
        catch (DirectoryNotFoundException)
        {
            return SyscallResult.From(Errno.ENOENT);
        }
        catch (UnauthorizedAccessException)
        {
            return SyscallResult.From(Errno.EACCES);
        }
        catch (IOException)
        {
            return SyscallResult.From(Errno.EIO);
        }
        catch (FormatException)
        {
            // A file that does not name a fixture is no V4L2 device, like a non-video char device.
            return SyscallResult.From(Errno.ENOTTY);
        }

        var attempt = _opensPerPlug.AddOrUpdate(path + "|" + spec.PlugId, 1, (_, n) => n + 1);
        if (attempt <= spec.OpenErrors.Count)
        {
            return SyscallResult.From(spec.OpenErrors[attempt - 1]);
        }

        Fixture fixture;
        try
        {
            fixture = LoadFixture(spec.Fixture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return SyscallResult.From(Errno.ENOTTY);
        }

        if (fixture.OpenError != Errno.None)
        {
            return SyscallResult.From(fixture.OpenError);
        }

        fd = Interlocked.Increment(ref _nextFd);
        var state = _controlStates.GetOrAdd(path + "|" + spec.PlugId, _ => new FakeDeviceControls(fixture));
        _open[fd] = new OpenDevice(fixture, spec.BusInfo ?? fixture.BusInfo, state);
        return SyscallResult.Success;
    }

    public void Close(int fd)
    {
        if (_open.TryRemove(fd, out var device))
        {
            device.Controls.Close(fd);
        }
    }

    public SyscallResult PollEvent(int fd, int timeoutMilliseconds, out bool eventPending)
    {
        if (!_open.TryGetValue(fd, out var device))
        {
            eventPending = false;
            return SyscallResult.From(Errno.ENODEV);
        }

        return device.Controls.Poll(fd, timeoutMilliseconds, out eventPending);
    }

    /// <summary>
    /// The control state of the camera currently plugged at <paramref name="nodePath"/> (created on first use, as
    /// the kernel keeps one per device). Tests use it to change a control from "another program" (as
    /// <c>v4l2-ctl -c</c> would), to grab a control or to make a write fail.
    /// </summary>
    public FakeDeviceControls ControlsOf(string nodePath)
    {
        ArgumentNullException.ThrowIfNull(nodePath);
        var spec = FakeNodeSpec.Parse(File.ReadAllText(nodePath));
        return _controlStates.GetOrAdd(nodePath + "|" + spec.PlugId, _ => new FakeDeviceControls(LoadFixture(spec.Fixture)));
    }

    /// <summary>Sets controls of the camera at <paramref name="nodePath"/> as another process would (<c>v4l2-ctl -c id=value</c>).</summary>
    public unsafe SyscallResult SetFromOtherProcess(string nodePath, params (uint Id, long Value)[] changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var entries = new v4l2_ext_control[changes.Length];
        for (var i = 0; i < changes.Length; i++)
        {
            entries[i] = new v4l2_ext_control { id = changes[i].Id, value64 = changes[i].Value };
        }

        fixed (v4l2_ext_control* pointer = entries)
        {
            var request = new v4l2_ext_controls { count = (uint)entries.Length, controls = pointer };
            return ControlsOf(nodePath).TryOrSet(-1, ref request, apply: true);
        }
    }

    public SyscallResult OpenUeventSocket(out Socket? socket)
    {
        if (uevents is not null)
        {
            return uevents.OpenUeventSocket(out socket);
        }

        socket = null;
        return SyscallResult.From(Errno.EPROTONOSUPPORT);
    }

    public SyscallResult Ioctl<T>(int fd, uint request, ref T argument)
        where T : unmanaged
    {
        if (!_open.TryGetValue(fd, out var device))
        {
            return SyscallResult.From(Errno.ENODEV);
        }

        var f = device.Fixture;
        if (request == Vdev.VIDIOC_QUERYCAP && typeof(T) == typeof(v4l2_capability))
        {
            return QueryCap(f, device.BusInfo, ref Unsafe.As<T, v4l2_capability>(ref argument));
        }

        if (request == Vdev.VIDIOC_ENUM_FMT && typeof(T) == typeof(v4l2_fmtdesc))
        {
            return EnumFormat(f, ref Unsafe.As<T, v4l2_fmtdesc>(ref argument));
        }

        if (request == Vdev.VIDIOC_ENUM_FRAMESIZES && typeof(T) == typeof(v4l2_frmsizeenum))
        {
            return EnumSize(f, ref Unsafe.As<T, v4l2_frmsizeenum>(ref argument));
        }

        if (request == Vdev.VIDIOC_ENUM_FRAMEINTERVALS && typeof(T) == typeof(v4l2_frmivalenum))
        {
            return EnumInterval(f, ref Unsafe.As<T, v4l2_frmivalenum>(ref argument));
        }

        if (request == Vdev.VIDIOC_G_FMT && typeof(T) == typeof(v4l2_format))
        {
            return GetFormat(f, ref Unsafe.As<T, v4l2_format>(ref argument));
        }

        if (request == Vdev.VIDIOC_QUERY_EXT_CTRL && typeof(T) == typeof(v4l2_query_ext_ctrl))
        {
            return QueryExtControl(f, device.Controls, ref Unsafe.As<T, v4l2_query_ext_ctrl>(ref argument));
        }

        if (request == Vdev.VIDIOC_QUERYCTRL && typeof(T) == typeof(v4l2_queryctrl))
        {
            return QueryControl(f, device.Controls, ref Unsafe.As<T, v4l2_queryctrl>(ref argument));
        }

        if (request == Vdev.VIDIOC_G_CTRL && typeof(T) == typeof(v4l2_control))
        {
            ref var control = ref Unsafe.As<T, v4l2_control>(ref argument);
            var id = control.id;
            var found = f.Controls.FirstOrDefault(c => c.Id == id);
            if (found is null || (found.Flags & Vdev.CtrlFlagWriteOnly) != 0)
            {
                return SyscallResult.From(Errno.EINVAL);
            }

            control.value = (int)(device.Controls.ValueOf(id) ?? found.Value);
            return SyscallResult.Success;
        }

        if (request == Vdev.VIDIOC_QUERYMENU && typeof(T) == typeof(v4l2_querymenu))
        {
            return QueryMenu(f, ref Unsafe.As<T, v4l2_querymenu>(ref argument));
        }

        if (request == Vdev.VIDIOC_G_EXT_CTRLS && typeof(T) == typeof(v4l2_ext_controls))
        {
            return device.Controls.Get(ref Unsafe.As<T, v4l2_ext_controls>(ref argument));
        }

        if ((request == Vdev.VIDIOC_TRY_EXT_CTRLS || request == Vdev.VIDIOC_S_EXT_CTRLS) && typeof(T) == typeof(v4l2_ext_controls))
        {
            return device.Controls.TryOrSet(fd, ref Unsafe.As<T, v4l2_ext_controls>(ref argument), apply: request == Vdev.VIDIOC_S_EXT_CTRLS);
        }

        if (request == Vdev.VIDIOC_SUBSCRIBE_EVENT && typeof(T) == typeof(v4l2_event_subscription))
        {
            return device.Controls.Subscribe(fd, ref Unsafe.As<T, v4l2_event_subscription>(ref argument));
        }

        if (request == Vdev.VIDIOC_DQEVENT && typeof(T) == typeof(v4l2_event))
        {
            return device.Controls.Dequeue(fd, ref Unsafe.As<T, v4l2_event>(ref argument));
        }

        return SyscallResult.From(Errno.ENOTTY);
    }

    private Fixture LoadFixture(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('.'))
        {
            throw new FormatException("A fixture is named by its file name inside the fixtures directory.");
        }

        var path = Path.Combine(fixturesDirectory, name);
        var stamp = File.GetLastWriteTimeUtc(path);
        if (_fixtures.TryGetValue(name, out var cached) && cached.Stamp == stamp)
        {
            return cached.Fixture;
        }

        var fixture = Fixture.Load(path);
        _fixtures[name] = (stamp, fixture);
        return fixture;
    }

    private static unsafe SyscallResult QueryCap(Fixture f, string busInfo, ref v4l2_capability cap)
    {
        cap = default;
        fixed (v4l2_capability* p = &cap)
        {
            Vdev.WriteString(p->driver, 16, f.Driver);
            Vdev.WriteString(p->card, 32, f.Card);
            Vdev.WriteString(p->bus_info, 32, busInfo);
        }

        cap.version = 0x060100;
        cap.capabilities = f.Capabilities;
        cap.device_caps = f.DeviceCaps;
        return SyscallResult.Success;
    }

    private static unsafe SyscallResult EnumFormat(Fixture f, ref v4l2_fmtdesc desc)
    {
        var type = desc.type;
        var formats = f.Formats.Where(x => x.BufferType == type).ToList();
        if (desc.index >= formats.Count)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        var format = formats[(int)desc.index];
        desc.flags = format.Flags;
        desc.pixelformat = format.PixelFormat;
        fixed (v4l2_fmtdesc* p = &desc)
        {
            Vdev.WriteString(p->description, 32, format.Description);
        }

        return SyscallResult.Success;
    }

    private static SyscallResult EnumSize(Fixture f, ref v4l2_frmsizeenum size)
    {
        var pixelFormat = size.pixel_format;
        var format = f.Formats.FirstOrDefault(x => x.PixelFormat == pixelFormat);
        if (format is null || size.index >= format.Sizes.Count)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        var s = format.Sizes[(int)size.index];
        if (s.Type != Vdev.FrmSizeTypeDiscrete && size.index > 0)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        size.type = s.Type;
        if (s.Type == Vdev.FrmSizeTypeDiscrete)
        {
            size.discrete = new v4l2_frmsize_discrete { width = s.MinWidth, height = s.MinHeight };
        }
        else
        {
            size.stepwise = new v4l2_frmsize_stepwise
            {
                min_width = s.MinWidth, max_width = s.MaxWidth, step_width = s.StepWidth,
                min_height = s.MinHeight, max_height = s.MaxHeight, step_height = s.StepHeight,
            };
        }

        return SyscallResult.Success;
    }

    private static SyscallResult EnumInterval(Fixture f, ref v4l2_frmivalenum interval)
    {
        var pixelFormat = interval.pixel_format;
        var width = interval.width;
        var height = interval.height;
        var size = f.Formats.FirstOrDefault(x => x.PixelFormat == pixelFormat)?.Sizes.FirstOrDefault(s => s.Contains(width, height));
        if (size is null || interval.index >= size.Intervals.Count)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        var i = size.Intervals[(int)interval.index];
        interval.type = i.Type;
        if (i.Type == Vdev.FrmIvalTypeDiscrete)
        {
            interval.discrete = i.Min;
        }
        else
        {
            interval.stepwise = new v4l2_frmival_stepwise { min = i.Min, max = i.Max, step = i.Step };
        }

        return SyscallResult.Success;
    }

    private static SyscallResult GetFormat(Fixture f, ref v4l2_format format)
    {
        var type = format.type;
        if (!f.Formats.Any(x => x.BufferType == type) || f.CurrentPixelFormat == 0)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        format.Pix = new v4l2_pix_format { width = f.CurrentWidth, height = f.CurrentHeight, pixelformat = f.CurrentPixelFormat };
        return SyscallResult.Success;
    }

    private static FixtureControl? FindControl(Fixture f, uint requested)
    {
        if ((requested & (Vdev.CtrlFlagNextCtrl | Vdev.CtrlFlagNextCompound)) == 0)
        {
            return f.Controls.FirstOrDefault(c => c.Id == requested);
        }

        // As the kernel: NEXT_CTRL alone walks the single-value controls, NEXT_COMPOUND alone the compound ones, both all.
        var after = requested & ~(Vdev.CtrlFlagNextCtrl | Vdev.CtrlFlagNextCompound);
        var compound = (requested & Vdev.CtrlFlagNextCompound) != 0;
        var single = (requested & Vdev.CtrlFlagNextCtrl) != 0;
        return f.Controls.Where(c => c.Id > after && (c.IsCompound ? compound : single)).OrderBy(c => c.Id).FirstOrDefault();
    }

    private static unsafe SyscallResult QueryMenu(Fixture f, ref v4l2_querymenu query)
    {
        var id = query.id;
        var index = query.index;
        var control = f.Controls.FirstOrDefault(c => c.Id == id);
        var item = control?.Menu.FirstOrDefault(m => m.Index == index);
        if (control is null || item is null || control.Type is not (Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu))
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        query.reserved = 0;
        if (control.Type == Vdev.CtrlTypeIntegerMenu)
        {
            query.value = item.Value;
        }
        else
        {
            fixed (v4l2_querymenu* p = &query)
            {
                Vdev.WriteString(p->name, 32, item.Label);
            }
        }

        return SyscallResult.Success;
    }

    private static unsafe SyscallResult QueryExtControl(Fixture f, FakeDeviceControls state, ref v4l2_query_ext_ctrl query)
    {
        var control = FindControl(f, query.id);
        if (control is null)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        query = new v4l2_query_ext_ctrl
        {
            id = control.Id, type = control.Type, minimum = control.Minimum, maximum = control.Maximum,
            step = (ulong)control.Step, default_value = control.Default, flags = state.FlagsOf(control), elem_size = ElementSize(control), elems = 1,
            nr_of_dims = (uint)Math.Min(control.Dims.Count, 4),
        };
        fixed (v4l2_query_ext_ctrl* p = &query)
        {
            Vdev.WriteString(p->name, 32, control.Name);
            for (var i = 0; i < (int)p->nr_of_dims; i++)
            {
                p->dims[i] = control.Dims[i];
                p->elems *= control.Dims[i];
            }
        }

        return SyscallResult.Success;
    }

    /// <summary>elem_size as the kernel reports it: the string's maximum length plus its NUL, a rectangle's 16 bytes, a u8/u16 element's size, 4 or 8 otherwise.</summary>
    private static uint ElementSize(FixtureControl control) => control.Type switch
    {
        Vdev.CtrlTypeString => (uint)control.Maximum + 1,
        Vdev.CtrlTypeInteger64 => 8,
        0x0100 => 1, // V4L2_CTRL_TYPE_U8
        0x0101 => 2, // V4L2_CTRL_TYPE_U16
        0x0106 => 8, // V4L2_CTRL_TYPE_AREA
        0x0107 => 16, // V4L2_CTRL_TYPE_RECT
        _ => 4,
    };

    private static unsafe SyscallResult QueryControl(Fixture f, FakeDeviceControls state, ref v4l2_queryctrl query)
    {
        var control = FindControl(f, query.id);
        if (control is null)
        {
            return SyscallResult.From(Errno.EINVAL);
        }

        query = new v4l2_queryctrl
        {
            id = control.Id, type = control.Type, minimum = (int)control.Minimum, maximum = (int)control.Maximum,
            step = (int)control.Step, default_value = (int)control.Default, flags = state.FlagsOf(control),
        };
        fixed (v4l2_queryctrl* p = &query)
        {
            Vdev.WriteString(p->name, 32, control.Name);
        }

        return SyscallResult.Success;
    }

    private sealed record OpenDevice(Fixture Fixture, string BusInfo, FakeDeviceControls Controls);
}

/// <summary>
/// The content of a fake device node file: the fixture's file name on the first line, then optional
/// <c>key=value</c> lines: <c>bus-info</c> (overrides the fixture's, e.g. for a second identical camera),
/// <c>open-errors</c> (comma-separated errnos returned by the first opens, e.g. <c>ENXIO,ENXIO</c>) and
/// <c>plug</c> (an id that makes a replugged node count its opens afresh).
/// </summary>
internal sealed record FakeNodeSpec(string Fixture, string? BusInfo, IReadOnlyList<Errno> OpenErrors, string PlugId)
{
    public static FakeNodeSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0].Contains('=', StringComparison.Ordinal))
        {
            throw new FormatException("A fake device node names its fixture file on the first line.");
        }

        string? bus = null, plug = null;
        var errors = new List<Errno>();
        foreach (var line in lines.Skip(1))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"Expected key=value in a fake device node, got '{line}'.");
            }

            var value = line[(eq + 1)..].Trim();
            switch (line[..eq].Trim())
            {
                case "bus-info": bus = value; break;
                case "plug": plug = value; break;
                case "open-errors":
                    errors.AddRange(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                        .Select(e => Fakes.Fixture.ParseErrno(e, "fake device node")));
                    break;
                default: throw new FormatException($"Unknown key '{line[..eq]}' in a fake device node.");
            }
        }

        return new FakeNodeSpec(lines[0], bus, errors, plug ?? "");
    }

    public string Format()
    {
        var lines = new List<string> { Fixture };
        if (BusInfo is not null)
        {
            lines.Add("bus-info=" + BusInfo);
        }

        if (OpenErrors.Count > 0)
        {
            lines.Add("open-errors=" + string.Join(',', OpenErrors));
        }

        if (PlugId.Length > 0)
        {
            lines.Add("plug=" + PlugId);
        }

        return string.Join('\n', lines) + "\n";
    }
}

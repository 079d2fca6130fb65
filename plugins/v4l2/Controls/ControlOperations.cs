using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Controls;

/// <summary>
/// The control operations on an open device: describe, set all-or-nothing (checked by the rules, tried by the
/// device, undone part-way on a hardware failure), restore persisted values one by one, and the errors they answer.
/// </summary>
internal static class ControlOperations
{
    public static IReadOnlyList<CameraControlInfo> Describe(int fd, ControlDevice device, out IReadOnlyList<V4l2Control> controls)
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

    public static CameraControlSetResult SetAllOrNothing(int fd, ControlDevice device, IReadOnlyDictionary<string, long> values)
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

    public static CameraControlSetResult Restore(int fd, ControlDevice device, IReadOnlyDictionary<string, long> values)
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

    public static DependencyFailedException DeviceError(SyscallResult error, string what) => error.Failure switch
    {
        DeviceFailure.NoDevice or DeviceFailure.Gone or DeviceFailure.NotReady =>
            new DependencyFailedException("device", $"the camera went away while {what}; reconnect it and try again"),
        DeviceFailure.PermissionDenied =>
            new DependencyFailedException("device", $"permission denied while {what}; add the service user to the 'video' group"),
        _ => new DependencyFailedException("device", $"the driver answered {error} while {what}"),
    };
}

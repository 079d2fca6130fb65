using System.Globalization;

namespace CameraService.Plugins.V4l2.Controls;

/// <summary>
/// The checks a value must pass before it is sent to the driver. Drivers clamp an out-of-range integer and round
/// it to the step silently, so the service refuses such values itself instead of applying something else.
/// </summary>
internal static class ControlValueRules
{
    /// <summary>The broken rule, or null when the value may be written as part of <paramref name="request"/>.</summary>
    /// <param name="control">The control.</param>
    /// <param name="value">The value asked for.</param>
    /// <param name="request">Every value of the same request (an automatic mode in it changes what is active).</param>
    /// <param name="current">The current values by control id.</param>
    public static string? Check(V4l2Control control, long value, IReadOnlyList<(V4l2Control Control, long Value)> request, IReadOnlyDictionary<uint, long> current)
    {
        if (control.ReadOnly)
        {
            return "read_only";
        }

        if (control.IsButton)
        {
            return null;
        }

        if (control.IsMenu)
        {
            if (!control.Menu.Any(m => m.Value == value))
            {
                return "not_in_menu:" + string.Join('|', control.Menu.Select(m => m.Value.ToString(CultureInfo.InvariantCulture)));
            }
        }
        else if (value < control.Minimum || value > control.Maximum)
        {
            return "out_of_range:" + control.Minimum.ToString(CultureInfo.InvariantCulture) + ".." + control.Maximum.ToString(CultureInfo.InvariantCulture);
        }
        else if (control.Step > 1 && (value - control.Minimum) % control.Step != 0)
        {
            return "off_step:" + control.Step.ToString(CultureInfo.InvariantCulture);
        }

        return IsActiveAfter(control, request, current) ? null : "inactive";
    }

    /// <summary>Whether the control is active once the request's automatic modes are applied.</summary>
    private static bool IsActiveAfter(V4l2Control control, IReadOnlyList<(V4l2Control Control, long Value)> request, IReadOnlyDictionary<uint, long> current)
    {
        if (ControlNames.DependencyOf(control.Id) is not { } dependency)
        {
            return !control.Inactive;
        }

        foreach (var (other, value) in request)
        {
            if (other.Id == dependency.Master)
            {
                return dependency.ActiveWhen.Contains(value);
            }
        }

        return current.TryGetValue(dependency.Master, out var master) ? dependency.ActiveWhen.Contains(master) : !control.Inactive;
    }
}

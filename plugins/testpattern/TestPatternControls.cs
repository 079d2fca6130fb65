using System.Collections.Concurrent;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.TestPattern;

/// <summary>
/// Synthetic controls of the test-pattern cameras, carried as <see cref="VideoAdjustments"/> in the capture input (the
/// backends apply them with ffmpeg's <c>eq</c> filter), so
/// the whole controls path (API, persistence, notifications, the picture itself) can be seen without a camera.
/// A change makes a new capture input; the source reports the camera as updated and the stream backend restarts
/// the camera's ffmpeg with it.
/// </summary>
internal sealed partial class TestPatternCameraSource : ICameraControls
{
    private static readonly SyntheticControl[] Controls =
    [
        // VideoAdjustments in hundredths: brightness -1..1 (0 = unchanged), contrast and saturation 1 = unchanged.
        new("brightness", "Brightness", -100, 100, 0),
        new("contrast", "Contrast", 0, 200, 100),
        new("saturation", "Saturation", 0, 300, 100),
    ];

    private readonly ConcurrentDictionary<string, Dictionary<string, long>> _values = new(StringComparer.Ordinal);
    private readonly Lock _changes = new();

    /// <summary>Never raised: nothing but this interface can change a synthetic control.</summary>
    public event EventHandler<CameraControlsChangedEventArgs>? ControlsChanged
    {
        add { }
        remove { }
    }

    public Task<IReadOnlyList<CameraControlInfo>> GetControlsAsync(string stableId, CancellationToken cancellationToken) =>
        Task.FromResult(Describe(ValuesOf(stableId)));

    public Task<CameraControlSetResult> SetControlsAsync(
        string stableId, IReadOnlyDictionary<string, long> requested, CameraControlApplyMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requested);
        var current = ValuesOf(stableId);
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        var accepted = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, value) in requested)
        {
            var control = Controls.FirstOrDefault(c => c.Name == name);
            var rule = control is null ? "unknown_control"
                : value < control.Minimum || value > control.Maximum ? string.Create(CultureInfo.InvariantCulture, $"out_of_range:{control.Minimum}..{control.Maximum}")
                : null;
            if (rule is null)
            {
                accepted[name] = value;
            }
            else if (mode == CameraControlApplyMode.AllOrNothing)
            {
                throw new InvalidParameterException("controls." + name, rule);
            }
            else
            {
                skipped[name] = rule;
            }
        }

        return Task.FromResult(Apply(stableId, current, accepted, skipped));
    }

    public Task<CameraControlSetResult> ResetControlsAsync(string stableId, CancellationToken cancellationToken) =>
        Task.FromResult(Apply(stableId, ValuesOf(stableId), Controls.ToDictionary(c => c.Name, c => c.Default, StringComparer.Ordinal), []));

    /// <summary>The picture adjustments of a camera's controls; null while every control is at its default.</summary>
    internal static VideoAdjustments? Adjustments(IReadOnlyDictionary<string, long>? current)
    {
        if (current is null || Controls.All(c => current.GetValueOrDefault(c.Name, c.Default) == c.Default))
        {
            return null;
        }

        double Scaled(string name) => current.GetValueOrDefault(name, Controls.Single(c => c.Name == name).Default) / 100.0;
        return new VideoAdjustments { Brightness = Scaled("brightness"), Contrast = Scaled("contrast"), Saturation = Scaled("saturation") };
    }

    private CameraControlSetResult Apply(string stableId, Dictionary<string, long> current, Dictionary<string, long> accepted, Dictionary<string, string> skipped)
    {
        CameraDescriptor? updated = null;
        lock (_changes)
        {
            var changed = accepted.Where(a => current[a.Key] != a.Value).ToList();
            foreach (var (name, value) in changed)
            {
                current[name] = value;
            }

            if (changed.Count > 0)
            {
                var fresh = Describe(IndexOf(stableId), current);
                _cameras = [.. _cameras.Select(c => c.StableId == stableId ? fresh : c)];
                updated = fresh;
            }
        }

        if (updated is not null && !_stopped)
        {
            // The new capture input reaches the stream backend through the registry, which restarts the camera's ffmpeg.
            RaiseChanged(updated);
        }

        return new CameraControlSetResult { Applied = accepted, Skipped = skipped, Controls = Describe(current) };
    }

    private Dictionary<string, long> ValuesOf(string stableId)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        if (!_cameras.Any(c => c.StableId == stableId))
        {
            throw new ResourceNotFoundException("camera", stableId);
        }

        return _values.GetOrAdd(stableId, _ => Controls.ToDictionary(c => c.Name, c => c.Default, StringComparer.Ordinal));
    }

    private static int IndexOf(string stableId) => int.Parse(stableId["testpattern-".Length..], CultureInfo.InvariantCulture);

    private static IReadOnlyList<CameraControlInfo> Describe(Dictionary<string, long> current) =>
    [
        .. Controls.Select(c => new CameraControlInfo
        {
            Name = c.Name,
            Label = c.Label,
            Type = CameraControlType.Integer,
            Minimum = c.Minimum,
            Maximum = c.Maximum,
            Step = 1,
            Default = c.Default,
            Value = current[c.Name],
        }),
    ];

    private sealed record SyntheticControl(string Name, string Label, long Minimum, long Maximum, long Default);
}

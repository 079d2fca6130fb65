using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Core.Tests.Fakes;

/// <summary>
/// A camera source with controls, driven by the test: each plugged camera has brightness (0–255), an automatic
/// white balance (bool, auto mode) with a temperature that is inactive while it is on, a power line frequency menu and
/// a relative pan. A replug resets the values to the defaults, as a real camera does.
/// </summary>
internal sealed class FakeControlledCameraSource : ICameraSource, ICameraControls, ICameraCaptureModes
{
    private readonly FakeCameraSource _inner = new("ctl");
    private readonly ConcurrentDictionary<string, Dictionary<string, long>> _values = new(StringComparer.Ordinal);

    public FakeControlledCameraSource()
    {
        _inner.CameraChanged += (_, e) =>
        {
            if (e.Kind == CameraChangeKind.Added)
            {
                _values[e.Camera.StableId] = Defaults();
            }

            CameraChanged?.Invoke(this, e);
        };
    }

    public string Name => _inner.Name;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public event EventHandler<CameraControlsChangedEventArgs>? ControlsChanged;

    /// <summary>Every SetControlsAsync call with its mode (tests check what was re-applied and in which order).</summary>
    public ConcurrentQueue<(string StableId, IReadOnlyDictionary<string, long> Values, CameraControlApplyMode Mode)> Calls { get; } = new();

    /// <summary>How many times values were written to a camera.</summary>
    public int Writes { get; private set; }

    public FakeControlledCameraSource With(params string[] stableIds)
    {
        _inner.With([.. stableIds.Select(id => FakeCameraSource.Camera(id, "Cam " + id, "/dev/video0") with { Source = "ctl" })]);
        return this;
    }

    public void Plug(string stableId) => _inner.Plug(FakeCameraSource.Camera(stableId, "Cam " + stableId, "/dev/video0") with { Source = "ctl" });

    public void Unplug(string stableId) => _inner.Unplug(stableId);

    public long Value(string stableId, string name) => _values[stableId][name];

    /// <summary>Another program changes a control (as <c>v4l2-ctl -c</c> would).</summary>
    public void ChangeBehindTheBack(string stableId, string name, long value)
    {
        _values[stableId][name] = value;
        ControlsChanged?.Invoke(this, new CameraControlsChangedEventArgs { StableId = stableId, Values = new Dictionary<string, long> { [name] = value } });
    }

    public Task StartAsync(CancellationToken cancellationToken) => _inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _inner.StopAsync(cancellationToken);

    public IReadOnlyList<CameraDescriptor> GetCameras() => _inner.GetCameras();

    public Task<IReadOnlyList<CameraControlInfo>> GetControlsAsync(string stableId, CancellationToken cancellationToken) =>
        Task.FromResult(Describe(Present(stableId)));

    public Task<CameraControlSetResult> SetControlsAsync(string stableId, IReadOnlyDictionary<string, long> values, CameraControlApplyMode mode, CancellationToken cancellationToken)
    {
        var state = Present(stableId);
        Calls.Enqueue((stableId, values, mode));
        var ordered = values.OrderBy(v => v.Key == "white_balance_automatic" ? 0 : 1).ToList();
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        var next = new Dictionary<string, long>(state, StringComparer.Ordinal);
        foreach (var (name, value) in ordered)
        {
            var rule = Check(name, value, next);
            if (rule is not null)
            {
                if (mode == CameraControlApplyMode.AllOrNothing)
                {
                    throw new InvalidParameterException("controls." + name, rule);
                }

                skipped[name] = rule;
                continue;
            }

            if (name != "pan_relative")
            {
                next[name] = value;
            }
        }

        lock (state)
        {
            foreach (var (name, value) in next)
            {
                state[name] = value;
            }

            Writes++;
        }

        var applied = ordered.Where(v => !skipped.ContainsKey(v.Key)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        return Task.FromResult(new CameraControlSetResult { Applied = applied, Skipped = skipped, Controls = Describe(state) });
    }

    public Task<CameraControlSetResult> ResetControlsAsync(string stableId, CancellationToken cancellationToken)
    {
        var state = Present(stableId);
        var defaults = Defaults();
        var applied = defaults.Where(d => state[d.Key] != d.Value).ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal);
        foreach (var (name, value) in defaults)
        {
            state[name] = value;
        }

        return Task.FromResult(new CameraControlSetResult { Applied = applied, Controls = Describe(state) });
    }

    /// <summary>Builds the input a V4L2 source would for the mode (the fake offers the modes of <see cref="FakeCameraSource.Camera"/>).</summary>
    public CaptureInput SelectCaptureInput(string stableId, CameraCaptureMode mode)
    {
        Present(stableId);
        return new DeviceCaptureInput
        {
            DevicePath = "/dev/video0",
            Video = new VideoMode { PixelFormat = mode.Format, Width = mode.Width, Height = mode.Height, FrameRate = mode.FrameRate },
        };
    }

    private static Dictionary<string, long> Defaults() => new(StringComparer.Ordinal)
    {
        ["brightness"] = 128, ["white_balance_automatic"] = 1, ["white_balance_temperature"] = 4000, ["power_line_frequency"] = 1,
    };

    private static string? Check(string name, long value, Dictionary<string, long> state) => name switch
    {
        "brightness" => value is >= 0 and <= 255 ? null : "out_of_range:0..255",
        "white_balance_automatic" => value is 0 or 1 ? null : "out_of_range:0..1",
        "white_balance_temperature" => state["white_balance_automatic"] != 0 ? "inactive" : value is >= 2800 and <= 6500 && value % 10 == 0 ? null : "out_of_range:2800..6500",
        "power_line_frequency" => value is 0 or 1 or 2 ? null : "not_in_menu:0|1|2",
        "pan_relative" => value is >= -10 and <= 10 ? null : "out_of_range:-10..10",
        _ => "unknown_control",
    };

    private static IReadOnlyList<CameraControlInfo> Describe(Dictionary<string, long> v) =>
    [
        new() { Name = "brightness", Type = CameraControlType.Integer, Minimum = 0, Maximum = 255, Step = 1, Default = 128, Value = v["brightness"], Label = "Brightness" },
        new() { Name = "white_balance_automatic", Type = CameraControlType.Boolean, Minimum = 0, Maximum = 1, Default = 1, Value = v["white_balance_automatic"], AutoMode = true },
        new()
        {
            Name = "white_balance_temperature", Type = CameraControlType.Integer, Minimum = 2800, Maximum = 6500, Step = 10, Default = 4000,
            Value = v["white_balance_temperature"], Inactive = v["white_balance_automatic"] != 0,
        },
        new()
        {
            Name = "power_line_frequency", Type = CameraControlType.Menu, Minimum = 0, Maximum = 2, Default = 1, Value = v["power_line_frequency"],
            Menu = [new() { Value = 0, Label = "Disabled" }, new() { Value = 1, Label = "50 Hz" }, new() { Value = 2, Label = "60 Hz" }],
        },
        new() { Name = "pan_relative", Type = CameraControlType.Integer, Minimum = -10, Maximum = 10, Step = 1, Relative = true },
    ];

    private Dictionary<string, long> Present(string stableId) =>
        _inner.GetCameras().Any(c => c.StableId == stableId) && _values.TryGetValue(stableId, out var state)
            ? state
            : throw new ResourceNotFoundException("camera", stableId);
}

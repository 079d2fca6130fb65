namespace CameraService.Client;

public sealed partial class CameraServiceClient
{
    /// <summary>Raised for <c>camera_controls_changed</c> (subscribe to the <c>camera.controls</c> topic first).</summary>
    public event EventHandler<CameraControlsChanged>? CameraControlsChanged;

    /// <summary><c>get_camera_controls</c>: every control of a camera with range, menu, flags and current value.</summary>
    public Task<CameraControls> GetCameraControlsAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_camera_controls", Device(device), ClientJsonContext.Default.CameraControls, true, cancellationToken);

    /// <summary>
    /// <c>set_camera_controls</c>: all or nothing; booleans are 0/1 and menus the entry's value. With
    /// <paramref name="persist"/> (the default) the service re-applies the values on replug and restart.
    /// </summary>
    public Task<CameraControlsSet> SetCameraControlsAsync(
        string device, IReadOnlyDictionary<string, long> controls, bool persist = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(controls);
        var values = controls.ToDictionary(c => c.Key, c => (object?)c.Value, StringComparer.Ordinal);
        return SendAsync(
            "set_camera_controls",
            new Dictionary<string, object?> { ["device"] = device, ["controls"] = values, ["persist"] = persist },
            ClientJsonContext.Default.CameraControlsSet,
            true,
            cancellationToken);
    }

    /// <summary><c>reset_camera_controls</c>: the driver's defaults, and the camera's persisted values are forgotten.</summary>
    public Task<CameraControlsReset> ResetCameraControlsAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("reset_camera_controls", Device(device), ClientJsonContext.Default.CameraControlsReset, true, cancellationToken);

    /// <summary>
    /// <c>set_camera_format</c>: what the camera captures; absent parts keep the current mode. Refused while the camera
    /// records (<see cref="InvalidStateException"/>); a mode the camera does not offer is <see cref="InvalidParamsException"/>.
    /// </summary>
    public Task<CameraFormatSet> SetCameraFormatAsync(
        string device, string? format = null, string? resolution = null, double? fps = null, CancellationToken cancellationToken = default) =>
        SendAsync(
            "set_camera_format",
            new Dictionary<string, object?> { ["device"] = device, ["format"] = format, ["resolution"] = resolution, ["fps"] = fps },
            ClientJsonContext.Default.CameraFormatSet,
            true,
            cancellationToken);
}

namespace CameraService.Abstractions.Cameras;

/// <summary>
/// Optional capability of a camera source: list, read and change a camera's controls (brightness, exposure, focus,
/// white balance, pan/tilt/zoom, …) by stable name. The core discovers it on the source object
/// (<c>source as ICameraControls</c>); a source without controls needs no change, and its cameras answer
/// "unsupported". Persistence (re-applying values on replug and restart) is the core's job, not the source's.
/// </summary>
/// <remarks>
/// Concurrency: calls for the same camera may overlap; the source serializes what must be. Every method takes the
/// camera's <see cref="CameraDescriptor.StableId"/>; an unknown or absent camera is
/// <see cref="ResourceNotFoundException"/>. Expected failures are the SDK's exceptions: a value the camera refuses
/// is <see cref="InvalidParameterException"/> with <c>param</c> <c>controls.&lt;name&gt;</c>, a control held by
/// another user (grabbed while streaming) is <see cref="InvalidStateException"/>, a device error is
/// <see cref="DependencyFailedException"/>.
/// </remarks>
public interface ICameraControls
{
    /// <summary>
    /// Raised when control values or flags change without a call of this interface having caused it (another program
    /// such as <c>v4l2-ctl</c> changed them, or a mode change made a control inactive). Never raised concurrently for
    /// the same source; a handler must not block.
    /// </summary>
    event EventHandler<CameraControlsChangedEventArgs>? ControlsChanged;

    /// <summary>Every control of the camera with its current value, in the source's order.</summary>
    /// <param name="stableId">The camera's stable id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<CameraControlInfo>> GetControlsAsync(string stableId, CancellationToken cancellationToken);

    /// <summary>
    /// Sets controls. With <see cref="CameraControlApplyMode.AllOrNothing"/> every value is checked first (by the
    /// source and, where it can, by the device) and nothing changes unless every value is accepted. With
    /// <see cref="CameraControlApplyMode.Restore"/> values are applied in dependency order (automatic modes first) and
    /// what the camera does not accept now (inactive, out of range after a firmware change) is skipped and reported.
    /// </summary>
    /// <param name="stableId">The camera's stable id.</param>
    /// <param name="values">Values by control name; booleans are 0/1, menus the entry's index.</param>
    /// <param name="mode">How to apply.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<CameraControlSetResult> SetControlsAsync(
        string stableId,
        IReadOnlyDictionary<string, long> values,
        CameraControlApplyMode mode,
        CancellationToken cancellationToken);

    /// <summary>Restores every writable, non-relative control to the driver's default, automatic modes first.</summary>
    /// <param name="stableId">The camera's stable id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<CameraControlSetResult> ResetControlsAsync(string stableId, CancellationToken cancellationToken);
}

#pragma warning disable CA1720 // The members are the API's type names (integer, boolean, menu, button).

/// <summary>The kind of value a control holds.</summary>
public enum CameraControlType
{
    /// <summary>An integer between <see cref="CameraControlInfo.Minimum"/> and <see cref="CameraControlInfo.Maximum"/> in steps of <see cref="CameraControlInfo.Step"/>.</summary>
    Integer,

    /// <summary>0 (off) or 1 (on).</summary>
    Boolean,

    /// <summary>The index of one of <see cref="CameraControlInfo.Menu"/>.</summary>
    Menu,

    /// <summary>An action without a value: any write triggers it.</summary>
    Button,
}
#pragma warning restore CA1720

/// <summary>How <see cref="ICameraControls.SetControlsAsync"/> applies values.</summary>
public enum CameraControlApplyMode
{
    /// <summary>Validate everything, then apply everything or nothing (a client's request).</summary>
    AllOrNothing,

    /// <summary>Apply what the camera accepts now, in dependency order, and report the rest (re-applying persisted values).</summary>
    Restore,
}

/// <summary>One control of a camera.</summary>
public sealed record CameraControlInfo
{
    /// <summary>The stable snake_case name, e.g. <c>brightness</c>, <c>exposure_time_absolute</c>, <c>pan_relative</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The kind of value.</summary>
    public required CameraControlType Type { get; init; }

    /// <summary>The name the device gives, for display (e.g. <c>Exposure Time, Absolute</c>); may differ between drivers.</summary>
    public string? Label { get; init; }

    /// <summary>Smallest value.</summary>
    public long Minimum { get; init; }

    /// <summary>Largest value.</summary>
    public long Maximum { get; init; }

    /// <summary>Step between values (1 for booleans and menus).</summary>
    public long Step { get; init; } = 1;

    /// <summary>The driver's default.</summary>
    public long Default { get; init; }

    /// <summary>The current value; null for buttons, relative and write-only controls, or when it could not be read.</summary>
    public long? Value { get; init; }

    /// <summary>The entries of a <see cref="CameraControlType.Menu"/> control (indexes may have gaps); empty otherwise.</summary>
    public IReadOnlyList<CameraControlMenuItem> Menu { get; init; } = [];

    /// <summary>The value can be read but not set.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The control has no effect now (e.g. exposure time while automatic exposure is on); setting it is refused.</summary>
    public bool Inactive { get; init; }

    /// <summary>Another user holds the control (e.g. while streaming); setting it is refused until released.</summary>
    public bool Grabbed { get; init; }

    /// <summary>The control moves by an amount (<c>pan_relative</c>, <c>zoom_continuous</c>): it holds no value and is never persisted.</summary>
    public bool Relative { get; init; }

    /// <summary>The control is an automatic mode that other controls depend on (<c>auto_exposure</c>, <c>white_balance_automatic</c>).</summary>
    public bool AutoMode { get; init; }
}

/// <summary>An entry of a menu control.</summary>
public sealed record CameraControlMenuItem
{
    /// <summary>The value that selects the entry.</summary>
    public required long Value { get; init; }

    /// <summary>The entry's name (for an integer menu, the number as text).</summary>
    public required string Label { get; init; }
}

/// <summary>The outcome of <see cref="ICameraControls.SetControlsAsync"/> or <see cref="ICameraControls.ResetControlsAsync"/>.</summary>
public sealed record CameraControlSetResult
{
    /// <summary>The values now in effect for the controls that were written, as the device reports them.</summary>
    public required IReadOnlyDictionary<string, long> Applied { get; init; }

    /// <summary>Controls not applied in <see cref="CameraControlApplyMode.Restore"/> mode, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Skipped { get; init; } = new Dictionary<string, string>();

    /// <summary>Every control after the change.</summary>
    public required IReadOnlyList<CameraControlInfo> Controls { get; init; }
}

/// <summary>Event data of <see cref="ICameraControls.ControlsChanged"/>.</summary>
public sealed class CameraControlsChangedEventArgs : EventArgs
{
    /// <summary>The camera's stable id.</summary>
    public required string StableId { get; init; }

    /// <summary>The new values by control name (a control whose flags changed carries its current value).</summary>
    public required IReadOnlyDictionary<string, long> Values { get; init; }
}

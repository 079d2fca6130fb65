namespace CameraService.Abstractions.Cameras;

/// <summary>
/// Everything a camera source knows about one camera. Immutable: a change is a new descriptor
/// (<c>descriptor with { State = CameraState.Error, Error = "…" }</c>).
/// </summary>
public sealed record CameraDescriptor
{
    /// <summary>
    /// Identity that survives replug and renumbering, unique within the source, e.g.
    /// <c>usb-046d_C920_ABC123</c> or <c>usb-0000:00:14.0-1.2</c>. The core binds it to a <c>camera&lt;N&gt;</c> id.
    /// </summary>
    public required string StableId { get; init; }

    /// <summary>The <see cref="ICameraSource.Name"/> of the source that reported it.</summary>
    public required string Source { get; init; }

    /// <summary>Human-readable name (the V4L2 card name).</summary>
    public required string Name { get; init; }

    /// <summary>The device node, e.g. <c>/dev/video0</c>, or null for non-device sources.</summary>
    public string? DevicePath { get; init; }

    /// <summary>Driver name, e.g. <c>uvcvideo</c>.</summary>
    public string? Driver { get; init; }

    /// <summary>Bus information, e.g. <c>usb-0000:00:14.0-1</c>.</summary>
    public string? BusInfo { get; init; }

    /// <summary>Whether the camera can be used.</summary>
    public CameraState State { get; init; } = CameraState.Available;

    /// <summary>Why the camera is in <see cref="CameraState.Error"/>, readable by a user; null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>Pixel formats with sizes and frame rates.</summary>
    public IReadOnlyList<CameraFormat> Formats { get; init; } = [];

    /// <summary>Device controls (brightness, exposure, …).</summary>
    public IReadOnlyList<CameraControl> Controls { get; init; } = [];

    /// <summary>What the camera captures by default, for a backend to open it; null when the camera cannot be opened.</summary>
    public CaptureInput? CaptureInput { get; init; }
}

/// <summary>Whether a camera reported by a source can be used.</summary>
public enum CameraState
{
    /// <summary>The camera is present and usable.</summary>
    Available,

    /// <summary>The camera is present but cannot be used (busy, no permission, driver error); see <see cref="CameraDescriptor.Error"/>.</summary>
    Error,
}

/// <summary>A pixel format with its frame sizes.</summary>
public sealed record CameraFormat
{
    /// <summary>The fourcc name, e.g. <c>MJPG</c>, <c>YUYV</c>, <c>H264</c> (see <see cref="PixelFormats"/>).</summary>
    public required string FourCc { get; init; }

    /// <summary>The driver's description, e.g. <c>Motion-JPEG</c>.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Whether the format is compressed.</summary>
    public bool Compressed { get; init; }

    /// <summary>Frame sizes offered in this format.</summary>
    public IReadOnlyList<FrameSize> Sizes { get; init; } = [];
}

/// <summary>A frame size and the frame rates offered at it.</summary>
public sealed record FrameSize
{
    /// <summary>Width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Frame rates in frames per second, descending, without duplicates.</summary>
    public IReadOnlyList<double> FrameRates { get; init; } = [];
}

/// <summary>A device control such as brightness.</summary>
public sealed record CameraControl
{
    /// <summary>The control id (V4L2 CID), or 0 for non-V4L2 sources.</summary>
    public uint Id { get; init; }

    /// <summary>Control name as reported by the driver, e.g. <c>Brightness</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Control type, one of <see cref="CameraControlTypes"/> (a later SDK version may add types).</summary>
    public required string Type { get; init; }

    /// <summary>Minimum value.</summary>
    public long Minimum { get; init; }

    /// <summary>Maximum value.</summary>
    public long Maximum { get; init; }

    /// <summary>Step between values.</summary>
    public long Step { get; init; }

    /// <summary>Default value.</summary>
    public long Default { get; init; }

    /// <summary>Current value, when it could be read.</summary>
    public long? Current { get; init; }
}

/// <summary>Well-known values of <see cref="CameraControl.Type"/>.</summary>
public static class CameraControlTypes
{
    /// <summary>An integer in a range.</summary>
    public const string Range = "int";

    /// <summary>On or off.</summary>
    public const string Boolean = "bool";

    /// <summary>One of a list of named entries.</summary>
    public const string Menu = "menu";

    /// <summary>An action without a value.</summary>
    public const string Button = "button";

    /// <summary>A 64-bit integer in a range.</summary>
    public const string Range64 = "int64";

    /// <summary>A compound control (an array or a structure) the SDK does not describe further.</summary>
    public const string Compound = "compound";

    /// <summary>A string value.</summary>
    public const string Text = "string";

    /// <summary>A set of bits.</summary>
    public const string Bitmask = "bitmask";

    /// <summary>One of a list of integers.</summary>
    public const string IntegerMenu = "integer_menu";
}

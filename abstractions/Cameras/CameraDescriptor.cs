namespace CameraService.Abstractions.Cameras;

/// <summary>
/// Everything a camera source knows about one camera. Immutable: a change is a new descriptor.
/// </summary>
/// <param name="StableId">
/// Identity that survives replug and renumbering, unique within the source, e.g.
/// <c>usb-046d_C920_ABC123</c> or <c>usb-0000:00:14.0-1.2</c>. The core binds it to a <c>camera&lt;N&gt;</c> id.
/// </param>
/// <param name="Source">The <see cref="ICameraSource.Name"/> of the source that reported it.</param>
/// <param name="Name">Human-readable name (the V4L2 card name).</param>
/// <param name="DevicePath">The device node, e.g. <c>/dev/video0</c>, or null for non-device sources.</param>
/// <param name="Driver">Driver name, e.g. <c>uvcvideo</c>.</param>
/// <param name="BusInfo">Bus information, e.g. <c>usb-0000:00:14.0-1</c>.</param>
/// <param name="State">Whether the camera can be used.</param>
/// <param name="Error">Why the camera is in <see cref="CameraState.Error"/>, readable by a user; null otherwise.</param>
/// <param name="Formats">Pixel formats with sizes and frame rates.</param>
/// <param name="Controls">Device controls (brightness, exposure, …).</param>
/// <param name="CaptureInput">How a media tool opens it; null when the camera cannot be opened.</param>
public sealed record CameraDescriptor(
    string StableId,
    string Source,
    string Name,
    string? DevicePath,
    string? Driver,
    string? BusInfo,
    CameraState State,
    string? Error,
    IReadOnlyList<CameraFormat> Formats,
    IReadOnlyList<CameraControl> Controls,
    CaptureInput? CaptureInput);

/// <summary>Whether a camera reported by a source can be used.</summary>
public enum CameraState
{
    /// <summary>The camera is present and usable.</summary>
    Available,

    /// <summary>The camera is present but cannot be used (busy, no permission, driver error); see <see cref="CameraDescriptor.Error"/>.</summary>
    Error,
}

/// <summary>A pixel format with its frame sizes.</summary>
/// <param name="FourCc">The fourcc name, e.g. <c>MJPG</c>, <c>YUYV</c>, <c>H264</c>.</param>
/// <param name="Description">The driver's description, e.g. <c>Motion-JPEG</c>.</param>
/// <param name="Compressed">Whether the format is compressed.</param>
/// <param name="Sizes">Frame sizes offered in this format.</param>
public sealed record CameraFormat(string FourCc, string Description, bool Compressed, IReadOnlyList<FrameSize> Sizes);

/// <summary>A frame size and the frame rates offered at it.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="FrameRates">Frame rates in frames per second, descending, without duplicates.</param>
public sealed record FrameSize(int Width, int Height, IReadOnlyList<double> FrameRates);

/// <summary>A device control such as brightness.</summary>
/// <param name="Id">The control id (V4L2 CID), or 0 for non-V4L2 sources.</param>
/// <param name="Name">Control name as reported by the driver, e.g. <c>Brightness</c>.</param>
/// <param name="Type">Control type: <c>int</c>, <c>bool</c>, <c>menu</c>, <c>button</c>, <c>int64</c>, <c>integer_menu</c>, …</param>
/// <param name="Minimum">Minimum value.</param>
/// <param name="Maximum">Maximum value.</param>
/// <param name="Step">Step between values.</param>
/// <param name="Default">Default value.</param>
/// <param name="Current">Current value, when it could be read.</param>
public sealed record CameraControl(uint Id, string Name, string Type, long Minimum, long Maximum, long Step, long Default, long? Current);

/// <summary>
/// How a media tool opens the camera, chosen by the source as the default capture mode.
/// </summary>
/// <param name="FfmpegInputArguments">
/// ffmpeg input arguments including the final <c>-i &lt;input&gt;</c>, e.g.
/// <c>-f v4l2 -input_format mjpeg -video_size 1280x720 -framerate 30 -i /dev/video0</c>.
/// </param>
/// <param name="PixelFormat">The fourcc of the chosen mode, e.g. <c>MJPG</c>.</param>
/// <param name="Width">Width of the chosen mode.</param>
/// <param name="Height">Height of the chosen mode.</param>
/// <param name="FrameRate">Frame rate of the chosen mode.</param>
/// <param name="IsH264">True when the input already delivers H.264, so a backend can copy the stream.</param>
/// <param name="IsLive">True when the input is a real-time device (ffmpeg must not be given <c>-re</c>).</param>
public sealed record CaptureInput(
    IReadOnlyList<string> FfmpegInputArguments,
    string PixelFormat,
    int Width,
    int Height,
    double FrameRate,
    bool IsH264,
    bool IsLive);

namespace CameraService.Abstractions.Cameras;

/// <summary>
/// Optional capability of a camera source: capture a camera in a mode other than the source's default (a client's
/// <c>set_camera_format</c>). The core discovers it on the source object; it validates the mode against the camera's
/// <see cref="CameraDescriptor.Formats"/>, persists it per stable id, and publishes the camera with the input this
/// capability returns.
/// </summary>
public interface ICameraCaptureModes
{
    /// <summary>
    /// How to capture the camera in <paramref name="mode"/>. Throws <see cref="InvalidParameterException"/> (param
    /// <c>format</c>, <c>resolution</c> or <c>fps</c>) when the camera does not offer it, and
    /// <see cref="ResourceNotFoundException"/> when the camera is not present.
    /// </summary>
    /// <param name="stableId">The camera's stable id.</param>
    /// <param name="mode">The mode; every member is set.</param>
    CaptureInput SelectCaptureInput(string stableId, CameraCaptureMode mode);
}

/// <summary>A capture mode: pixel format, frame size and rate.</summary>
public sealed record CameraCaptureMode
{
    /// <summary>The fourcc, e.g. <c>MJPG</c>.</summary>
    public required string Format { get; init; }

    /// <summary>Width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Frames per second.</summary>
    public required double FrameRate { get; init; }
}

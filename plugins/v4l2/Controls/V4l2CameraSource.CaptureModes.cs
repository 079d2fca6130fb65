using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Discovery;

namespace CameraService.Plugins.V4l2;

/// <summary>Capture modes chosen by a client (<c>set_camera_format</c>), built like a configured per-camera override.</summary>
internal sealed partial class V4l2CameraSource : ICameraCaptureModes
{
    public CaptureInput SelectCaptureInput(string stableId, CameraCaptureMode mode)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        ArgumentNullException.ThrowIfNull(mode);
        CameraDescriptor? camera;
        lock (_published)
        {
            _cameras.TryGetValue(stableId, out camera);
        }

        if (camera?.DevicePath is not { } path || camera.State != CameraState.Available)
        {
            throw new ResourceNotFoundException("camera", stableId, "The camera is not connected; plug it in and try again.");
        }

        var wanted = new V4l2CameraOptions { PixelFormat = mode.Format, Width = mode.Width, Height = mode.Height, Fps = mode.FrameRate };
        var (input, problem) = CaptureInputSelector.Select(path, camera.Formats, _options, wanted);
        return input is not null && problem is null
            ? input
            : throw new InvalidParameterException("format", "the camera offers no capturable mode " + mode.Format + " " + mode.Width + "x" + mode.Height + "@" + mode.FrameRate);
    }
}

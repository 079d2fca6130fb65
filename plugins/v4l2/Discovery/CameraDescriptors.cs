using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>The camera descriptor a probe outcome becomes: a capturable camera, or an error camera with a hint for the user.</summary>
internal static class CameraDescriptors
{
    /// <summary>The source name written into every descriptor.</summary>
    public const string SourceName = "v4l2";

    /// <summary>A capturable camera, with <paramref name="audio"/> (its paired microphone) unless its override turns audio off.</summary>
    public static CameraDescriptor Describe(string path, string stableId, DeviceInfo device, V4l2Options options, AudioInput? audio, ILogger logger)
    {
        var cameraOptions = options.CameraOverride(stableId);
        var (input, problem) = CaptureInputSelector.Select(path, device.Formats, options, cameraOptions);
        if (input is not null && audio is not null && cameraOptions?.Audio != false)
        {
            input = input with { Audio = audio };
        }

        if (problem is not null)
        {
            Log.OverrideIgnored(logger, stableId, problem);
        }

        var camera = new CameraDescriptor
        {
            StableId = stableId,
            Source = SourceName,
            Name = device.Card,
            DevicePath = path,
            Driver = device.Driver,
            BusInfo = device.BusInfo,
            State = CameraState.Available,
            Formats = device.Formats,
            Controls = device.Controls,
            CaptureInput = input,
        };
        if (input is not null)
        {
            return camera;
        }

        var offered = device.Formats.Count == 0 ? "none" : string.Join(", ", device.Formats.Select(f => f.FourCc));
        return camera with { State = CameraState.Error, Error = $"The camera offers no pixel format the media tools can capture (offered: {offered})." };
    }

    public static CameraDescriptor Error(string path, string stableId, string name, SyscallResult error) =>
        new CameraDescriptor { StableId = stableId, Source = SourceName, Name = name, DevicePath = path, State = CameraState.Error, Error = ErrorMessage(error), Formats = [], Controls = [] };

    /// <summary>The user-facing reason for a failed device; no server paths (the device path is a separate field).</summary>
    public static string ErrorMessage(SyscallResult error) => error.Failure switch
    {
        DeviceFailure.PermissionDenied =>
            "Permission denied opening the camera: add the service user to the 'video' group (sudo usermod -aG video <user>) and restart the service.",
        DeviceFailure.Busy =>
            "The camera is busy: another program is using it. Close that program; the service retries automatically.",
        DeviceFailure.NotReady or DeviceFailure.NoDevice =>
            "The camera's driver does not answer (not ready or disconnected). Reconnect the camera if this persists.",
        DeviceFailure.NotV4l2 =>
            "The device does not answer V4L2 requests; it is not a V4L2 camera or its driver is broken.",
        _ => $"Opening the camera failed ({error}); check the kernel log (dmesg) and reconnect the camera.",
    };
}

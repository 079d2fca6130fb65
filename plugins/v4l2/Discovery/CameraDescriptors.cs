using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>The camera descriptor a probe outcome becomes: a capturable camera, or an error camera with a hint for the user.</summary>
internal static class CameraDescriptors
{
    /// <summary>The source name written into every descriptor.</summary>
    public const string SourceName = "v4l2";

    public static CameraDescriptor Describe(string path, string stableId, DeviceInfo device, V4l2Options options, ILogger logger)
    {
        var (input, problem) = CaptureInputSelector.Select(path, device.Formats, options, options.CameraOverride(stableId));
        if (problem is not null)
        {
            Log.OverrideIgnored(logger, stableId, problem);
        }

        if (input is null)
        {
            var offered = device.Formats.Count == 0 ? "none" : string.Join(", ", device.Formats.Select(f => f.FourCc));
            return new CameraDescriptor
            {
                StableId = stableId,
                Source = SourceName,
                Name = device.Card,
                DevicePath = path,
                Driver = device.Driver,
                BusInfo = device.BusInfo,
                State = CameraState.Error,
                Error = $"The camera offers no pixel format the media tools can capture (offered: {offered}).",
                Formats = device.Formats,
                Controls = device.Controls,
            };
        }

        return new CameraDescriptor
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

using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.V4l2;

/// <summary>Log messages of the v4l2 plugin; event ids 4000–4099 belong to it.</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "V4L2 discovery found {CameraCount} camera(s) under {DeviceRoot} in {ElapsedMs} ms")]
    public static partial void DiscoveryFinished(ILogger logger, int cameraCount, string deviceRoot, long elapsedMs);

    [LoggerMessage(4001, LogLevel.Information, "Camera {StableId} added at {DevicePath} ({State})")]
    public static partial void CameraAdded(ILogger logger, string stableId, string? devicePath, string state);

    [LoggerMessage(4002, LogLevel.Information, "Camera {StableId} removed from {DevicePath}")]
    public static partial void CameraRemoved(ILogger logger, string stableId, string? devicePath);

    [LoggerMessage(4003, LogLevel.Information, "Camera {StableId} updated at {DevicePath} ({State})")]
    public static partial void CameraUpdated(ILogger logger, string stableId, string? devicePath, string state);

    [LoggerMessage(4004, LogLevel.Warning, "Camera {StableId} at {DevicePath} is in error: {Reason}")]
    public static partial void CameraError(ILogger logger, string stableId, string? devicePath, string reason);

    [LoggerMessage(4005, LogLevel.Debug, "Node {Node} not ready ({Errno}); retry {Attempt} in {DelayMs} ms")]
    public static partial void ProbeRetry(ILogger logger, string node, string errno, int attempt, long delayMs);

    [LoggerMessage(4006, LogLevel.Debug, "Node {Node} is not a video capture device; ignored")]
    public static partial void NotCapture(ILogger logger, string node);

    [LoggerMessage(4007, LogLevel.Warning, "Netlink uevent listener unavailable ({Errno}); hot-plug relies on inotify and the periodic reconcile")]
    public static partial void NetlinkUnavailable(ILogger logger, string errno);

    [LoggerMessage(4008, LogLevel.Warning, "Netlink uevent listener stopped; hot-plug relies on inotify and the periodic reconcile")]
    public static partial void NetlinkFailed(ILogger logger, Exception exception);

    [LoggerMessage(4009, LogLevel.Warning, "Watching {DeviceRoot} with inotify failed; hot-plug relies on netlink and the periodic reconcile")]
    public static partial void InotifyFailed(ILogger logger, string deviceRoot, Exception exception);

    [LoggerMessage(4010, LogLevel.Error, "V4L2 hot-plug processing failed; it continues with the next signal")]
    public static partial void ProcessingFailed(ILogger logger, Exception exception);

    [LoggerMessage(4011, LogLevel.Error, "A CameraChanged handler threw for camera {StableId}")]
    public static partial void HandlerFailed(ILogger logger, string stableId, Exception exception);

    [LoggerMessage(4012, LogLevel.Warning, "Device root {DeviceRoot} does not exist; no V4L2 cameras until it appears")]
    public static partial void DeviceRootMissing(ILogger logger, string deviceRoot);

    [LoggerMessage(4013, LogLevel.Warning, "Camera {StableId}: {Problem}")]
    public static partial void OverrideIgnored(ILogger logger, string stableId, string problem);

    [LoggerMessage(4014, LogLevel.Warning, "V4L2 plugin answers from fake devices in {FixturesDirectory} (test/demo mode)")]
    public static partial void FakeMode(ILogger logger, string fixturesDirectory);

    [LoggerMessage(4015, LogLevel.Error, "Probing node {Node} failed; the reconcile tries again")]
    public static partial void NodeFailed(ILogger logger, string node, Exception exception);
}

using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Controls;

/// <summary>
/// Camera controls of the V4L2 source: every available camera gets one descriptor (<see cref="ControlChannel"/>)
/// that is subscribed to V4L2_EVENT_CTRL and watched by a background loop (so a change made by another program is
/// seen), and that is also used for writes (the kernel does not echo a descriptor's own changes back). The source
/// exposes this as its <see cref="ICameraControls"/> and tells it when cameras come and go.
/// </summary>
/// <param name="syscalls">The device calls.</param>
/// <param name="findCamera">The published camera of a stable id, or null.</param>
/// <param name="changed">Called from a watcher loop with the values another program changed.</param>
internal sealed class V4l2Controls(
    IVideoSyscalls syscalls,
    Func<string, CameraDescriptor?> findCamera,
    Action<string, IReadOnlyDictionary<string, long>> changed)
{
    private readonly ConcurrentDictionary<string, ControlChannel> _channels = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<CameraControlInfo>> GetAsync(string stableId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        return Task.Run(() => WithDevice(stableId, (fd, device) => ControlOperations.Describe(fd, device, out _)), cancellationToken);
    }

    public Task<CameraControlSetResult> SetAsync(
        string stableId,
        IReadOnlyDictionary<string, long> values,
        CameraControlApplyMode mode,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        ArgumentNullException.ThrowIfNull(values);
        return Task.Run(
            () => WithDevice(stableId, (fd, device) => mode == CameraControlApplyMode.AllOrNothing
                ? ControlOperations.SetAllOrNothing(fd, device, values)
                : ControlOperations.Restore(fd, device, values)),
            cancellationToken);
    }

    public Task<CameraControlSetResult> ResetAsync(string stableId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        return Task.Run(
            () => WithDevice(stableId, (fd, device) =>
            {
                var controls = device.Enumerate(fd, out _);
                var defaults = controls.Where(c => c.Persistable).ToDictionary(c => c.Name, c => c.Default, StringComparer.Ordinal);
                return ControlOperations.Restore(fd, device, defaults);
            }),
            cancellationToken);
    }

    /// <summary>Opens or closes the control channel of a camera as it appears, changes or goes away.</summary>
    public void Track(CameraChangeKind kind, CameraDescriptor descriptor)
    {
        if (kind == CameraChangeKind.Removed || descriptor.State != CameraState.Available || descriptor.DevicePath is null)
        {
            if (_channels.TryRemove(descriptor.StableId, out var gone))
            {
                gone.Dispose();
            }

            return;
        }

        if (_channels.TryGetValue(descriptor.StableId, out var existing))
        {
            if (existing.Path == descriptor.DevicePath)
            {
                return;
            }

            _channels.TryRemove(descriptor.StableId, out _);
            existing.Dispose();
        }

        var channel = ControlChannel.Open(syscalls, descriptor.StableId, descriptor.DevicePath, changed);
        if (channel is not null && !_channels.TryAdd(descriptor.StableId, channel))
        {
            channel.Dispose();
        }
    }

    /// <summary>Closes every control channel (the source stops).</summary>
    public void Stop()
    {
        foreach (var id in _channels.Keys)
        {
            if (_channels.TryRemove(id, out var channel))
            {
                channel.Dispose();
            }
        }
    }

    private T WithDevice<T>(string stableId, Func<int, ControlDevice, T> action)
    {
        var camera = findCamera(stableId);
        if (camera?.DevicePath is not { } path || camera.State != CameraState.Available)
        {
            throw new ResourceNotFoundException("camera", stableId, "The camera is not connected; plug it in and try again.");
        }

        var device = new ControlDevice(syscalls);
        if (_channels.TryGetValue(stableId, out var channel) && channel.Path == path)
        {
            lock (channel.Gate)
            {
                if (!channel.Closed)
                {
                    return action(channel.Fd, device);
                }
            }
        }

        // No watcher descriptor (the camera was busy when it appeared): a short-lived one does the job.
        var open = syscalls.Open(path, out var fd);
        if (!open.Ok)
        {
            throw ControlOperations.DeviceError(open, "opening the camera");
        }

        try
        {
            return action(fd, device);
        }
        finally
        {
            syscalls.Close(fd);
        }
    }
}

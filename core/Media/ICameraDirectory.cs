using CameraService.Core.Cameras;

namespace CameraService.Core.Media;

/// <summary>What the media flows need to know about cameras, from the camera registry.</summary>
internal interface ICameraDirectory
{
    /// <summary>Looks a camera up by its id (<c>camera0</c>).</summary>
    CameraLookup Lookup(string cameraId);

    /// <summary>
    /// Sets the handler that runs when a known camera goes away (unplugged or in error), before the camera is
    /// unpublished from the stream backend: (camera id, wire status, reason).
    /// </summary>
    void OnCameraGone(Func<string, string, string, Task> handler);

    /// <summary>Sets the handler that runs after a camera was published to the stream backend: (camera id).</summary>
    void OnCameraPublished(Func<string, Task> handler);
}

/// <summary>The result of a camera lookup.</summary>
/// <param name="Known">The id is bound to a camera.</param>
/// <param name="Connected">The camera is present and usable.</param>
/// <param name="State">The camera's wire status (CONNECTED, DISCONNECTED, ERROR).</param>
/// <param name="HasAudio">The camera's capture input has audio (capabilities <c>audio</c>).</param>
/// <param name="Name">The camera name.</param>
internal readonly record struct CameraLookup(bool Known, bool Connected, string State, string? Name, bool HasAudio = false);

/// <summary><see cref="ICameraDirectory"/> over the camera registry.</summary>
internal sealed class RegistryCameraDirectory(CameraRegistry registry) : ICameraDirectory
{
    public CameraLookup Lookup(string cameraId) =>
        registry.TryGet(cameraId, out var view)
            ? new CameraLookup(true, view.Status == CameraStatus.Connected, view.StatusText, view.Binding.Name, view.Descriptor?.CaptureInput?.Audio is not null)
            : new CameraLookup(false, false, "UNKNOWN", null);

    public void OnCameraGone(Func<string, string, string, Task> handler) => registry.BeforeUnpublish = handler;

    public void OnCameraPublished(Func<string, Task> handler) => registry.AfterPublish = handler;
}

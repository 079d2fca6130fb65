using CameraService.Abstractions.Cameras;

namespace CameraService.Tests.Fixtures;

/// <summary>A camera source without cameras; <see cref="Name"/> is what the loader tests look for.</summary>
internal abstract class FixtureCameraSource : ICameraSource
{
    public abstract string Name { get; }

#pragma warning disable CS0067 // the fixture has no cameras, so it never raises the event
    public event EventHandler<CameraChangedEventArgs>? CameraChanged;
#pragma warning restore CS0067

    public virtual Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<CameraDescriptor> GetCameras() => [];
}

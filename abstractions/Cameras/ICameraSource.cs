namespace CameraService.Abstractions.Cameras;

/// <summary>
/// A source of cameras (V4L2 devices, synthetic test patterns, network cameras, …).
/// </summary>
/// <remarks>
/// Lifecycle: the core subscribes to <see cref="CameraChanged"/>, then calls <see cref="StartAsync"/>
/// once, and <see cref="StopAsync"/> once at shutdown. From the moment <see cref="StartAsync"/> is called
/// the source raises <see cref="CameraChanged"/> for every camera it finds (including those of the first
/// discovery) and for every later change. <see cref="StartAsync"/> completes when the first discovery has
/// finished. Events may be raised on any thread but never concurrently for the same source; a handler
/// must not block. A source never throws out of an event or a background loop: failures become
/// cameras in <see cref="CameraState.Error"/> or log entries.
/// </remarks>
public interface ICameraSource
{
    /// <summary>The source's name, unique among sources (e.g. <c>v4l2</c>, <c>testpattern</c>).</summary>
    string Name { get; }

    /// <summary>Raised when a camera appears, changes or disappears.</summary>
    event EventHandler<CameraChangedEventArgs>? CameraChanged;

    /// <summary>Runs the first discovery and starts watching for changes (hot-plug).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops watching. No event is raised after this completes.</summary>
    /// <param name="cancellationToken">Cancels the stop.</param>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>The cameras currently present, as last reported through <see cref="CameraChanged"/>.</summary>
    IReadOnlyList<CameraDescriptor> GetCameras();
}

/// <summary>What happened to a camera.</summary>
public enum CameraChangeKind
{
    /// <summary>The camera appeared.</summary>
    Added,

    /// <summary>The camera's description or state changed.</summary>
    Updated,

    /// <summary>The camera disappeared; the descriptor is its last known description.</summary>
    Removed,

    /// <summary>
    /// The camera was taken away for good, e.g. an operator removed its network stream. Unlike
    /// <see cref="Removed"/> (unplugged: listed as DISCONNECTED until it returns) the core stops listing it; its id
    /// stays reserved, so the same stable id reported again later gets the same <c>camera&lt;N&gt;</c>.
    /// </summary>
    Deleted,
}

/// <summary>Event data of <see cref="ICameraSource.CameraChanged"/>.</summary>
public sealed class CameraChangedEventArgs : EventArgs
{
    /// <summary>What happened.</summary>
    public required CameraChangeKind Kind { get; init; }

    /// <summary>The camera's (new or last) description.</summary>
    public required CameraDescriptor Camera { get; init; }
}

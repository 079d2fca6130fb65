namespace CameraService.Abstractions.Streaming;

/// <summary>
/// Optional interface of an <see cref="IStreamBackend"/>: decoded, scaled greyscale frames of a camera's stream for
/// analysis in the service (motion detection). A backend that does not implement it has no frame analysis; the core
/// then refuses the features that need it with -32030. Since SDK 2.2.
/// </summary>
public interface IVideoFrameSource
{
    /// <summary>
    /// Frames of the camera's stream, scaled to the requested size, 8-bit luma only, at most
    /// <see cref="VideoFrameRequest.FrameRate"/> per second, until <paramref name="cancellationToken"/> is cancelled
    /// or the stream ends. Reading keeps the camera's stream running like any reader of it.
    /// </summary>
    /// <param name="request">Which camera, at what size and rate.</param>
    /// <param name="cancellationToken">Ends the reading.</param>
    /// <returns>The frames; each one's <see cref="VideoFrame.Luma"/> is valid until the next frame is asked for.</returns>
    /// <exception cref="ResourceNotFoundException">The backend does not know the camera.</exception>
    /// <exception cref="DependencyFailedException">The decoder could not be started or the stream could not be read.</exception>
    IAsyncEnumerable<VideoFrame> ReadFramesAsync(VideoFrameRequest request, CancellationToken cancellationToken);
}

/// <summary>What frames to deliver.</summary>
public sealed record VideoFrameRequest
{
    /// <summary>The camera id.</summary>
    public required string CameraId { get; init; }

    /// <summary>Width in pixels of the delivered frames.</summary>
    public int Width { get; init; } = 640;

    /// <summary>Height in pixels of the delivered frames.</summary>
    public int Height { get; init; } = 480;

    /// <summary>Frames per second at most.</summary>
    public double FrameRate { get; init; } = 5;
}

/// <summary>One decoded frame: <see cref="Width"/> × <see cref="Height"/> bytes of luma, row by row, no padding.</summary>
/// <param name="Luma">The pixels (0 = black, 255 = white).</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Time">When the frame arrived.</param>
public sealed record VideoFrame(ReadOnlyMemory<byte> Luma, int Width, int Height, DateTimeOffset Time);

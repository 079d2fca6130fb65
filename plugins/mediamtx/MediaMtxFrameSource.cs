using System.Globalization;
using System.Runtime.CompilerServices;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// <see cref="IVideoFrameSource"/> of the MediaMTX backend: ffmpeg reads the camera's path over RTSP from the local
/// MediaMTX (like snapshots) and decodes it to small grey frames (<see cref="FfmpegFrameReader"/>). Reading is one
/// more RTSP reader of the path, so the camera's stream runs while frames are read.
/// </summary>
internal static class MediaMtxFrameSource
{
    /// <summary>How long ffmpeg waits for RTSP data before it gives up (the reader's caller retries).</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    public static async IAsyncEnumerable<VideoFrame> ReadAsync(
        MediaMtxOptions options,
        PathTable paths,
        TimeProvider time,
        VideoFrameRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(request);
        paths.EnsurePublished(request.CameraId); // ResourceNotFoundException for a camera the backend does not serve
        var url = $"rtsp://{PathConfigBuilder.UserInfo(options)}{options.RtspHost}:{options.RtspPort.ToString(CultureInfo.InvariantCulture)}/{request.CameraId}";
        string[] input =
        [
            "-nostdin", "-rtsp_transport", "tcp",
            "-timeout", ((long)ReadTimeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture),
            "-fflags", "nobuffer", "-i", url,
        ];
        var frames = FfmpegFrameReader.ReadAsync(
            options.FfmpegPath, input, request, time,
            $"ffmpeg could not be started ({options.FfmpegPath}); install ffmpeg or set Plugins:MediaMtx:FfmpegPath.",
            stdin: null, cancellationToken);
        await foreach (var frame in frames.ConfigureAwait(false))
        {
            yield return frame;
        }
    }
}

using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// Takes the audio track out of the segments of a recording started with <c>audio: false</c> on a camera whose stream
/// carries audio. MediaMTX records every track of a path and has no setting to leave one out, and the path must keep its
/// audio for the viewers; so each finished segment is remuxed without audio (stream copy, no re-encoding) into a
/// <c>.partial</c> file beside it, which then replaces it atomically. A segment that cannot be remuxed is kept as it is
/// (nothing is lost) and logged.
/// </summary>
internal sealed partial class SegmentAudioRemover(MediaMtxOptions options, TimeProvider time, ILogger logger)
{
    // A stream copy of even an hour-long segment takes seconds; this bounds a hung ffmpeg, not the work.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>The files, each without its audio track where the remux succeeded, with their new sizes.</summary>
    public async Task<IReadOnlyList<RecordedFile>> RemoveAudioAsync(string cameraId, IReadOnlyList<RecordedFile> files, CancellationToken cancellationToken)
    {
        var result = new List<RecordedFile>(files.Count);
        foreach (var file in files)
        {
            result.Add(await RemoveAsync(cameraId, file, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    private async Task<RecordedFile> RemoveAsync(string cameraId, RecordedFile file, CancellationToken cancellationToken)
    {
        var partial = file.Path + ".partial";
        string[] args =
        [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-i", file.Path,
            "-map", "0", "-map", "-0:a", "-c", "copy",
            "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-y", partial,
        ];
        string reason;
        try
        {
            var run = await FfmpegOneShot.RunAsync(
                options.FfmpegPath, args, Timeout, time,
                $"ffmpeg could not be started ({options.FfmpegPath}); install ffmpeg or set Plugins:MediaMtx:FfmpegPath.",
                running: null, cancellationToken).ConfigureAwait(false);
            if (run.Succeeded && File.Exists(partial) && new FileInfo(partial).Length > 0)
            {
                File.Move(partial, file.Path, overwrite: true);
                return file with { Size = new FileInfo(file.Path).Length };
            }

            reason = run.TimedOut ? "ffmpeg timed out" : run.LastError.Length > 0 ? run.LastError : "ffmpeg failed";
        }
        catch (Exception ex) when (ex is DependencyFailedException or IOException or UnauthorizedAccessException)
        {
            reason = ex.Message;
        }

        TryDelete(partial);
        LogAudioNotRemoved(logger, cameraId, file.Path, reason);
        return file;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a leftover partial file; the segment itself is intact.
        }
    }

    [LoggerMessage(5030, LogLevel.Warning, "The audio track of {CameraId}'s segment {File} (a recording with audio: false) could not be removed ({Reason}); the segment is kept with its audio")]
    private static partial void LogAudioNotRemoved(ILogger logger, string cameraId, string file, string reason);
}

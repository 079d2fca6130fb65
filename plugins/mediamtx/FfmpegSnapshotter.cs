using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// Takes one frame with ffmpeg, from an RTSP URL or from the newest GOP of an open reader, and writes it atomically
/// where the media store asked. The output arguments, the run and the image size are the ones the ffmpeg backend uses
/// too (plugins/Shared).
/// </summary>
internal sealed class FfmpegSnapshotter(IOptions<MediaMtxOptions> options, TimeProvider timeProvider, MediaMtxMetrics? metrics = null)
{
    private readonly MediaMtxOptions _options = options.Value;

    /// <summary>Takes the first frame ffmpeg reads from the RTSP <paramref name="url"/> (a new connection).</summary>
    public Task<SnapshotResult> CaptureAsync(string url, SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var timeout = Timeout(request);
        return RunAsync(
            ["-rtsp_transport", "tcp", "-timeout", ((long)timeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture), "-i", url],
            [], request, timeout, null, "new_connection", cancellationToken);
    }

    /// <summary>
    /// Decodes the newest picture of a <see cref="GopPicture"/> from an open reader (<see cref="LiveSnapshotReaders"/>):
    /// with the reader's <paramref name="prepared"/> encoder when there is one, otherwise with a new ffmpeg that gets
    /// the GOP on stdin and encodes only its last picture.
    /// </summary>
    public async Task<SnapshotResult> CaptureAsync(GopPicture picture, SnapshotRequest request, PreparedSnapshotEncoder? prepared, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (prepared is null)
        {
            return await RunAsync(
                ["-f", "h264", "-i", "pipe:0"],
                ["-vf", string.Create(CultureInfo.InvariantCulture, $"select=gte(n\\,{picture.Pictures - 1})")],
                request, Timeout(request), picture.Bytes, "open_reader", cancellationToken).ConfigureAwait(false);
        }

        using var owned = prepared;
        CheckFormat(request);
        byte[] image;
        try
        {
            image = await prepared.EncodeAsync(picture.Bytes, Timeout(request), cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            metrics?.Snapshot("open_reader", false);
            throw;
        }

        metrics?.Snapshot("open_reader", true);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!);
        var partial = request.OutputPath + ".partial";
        await File.WriteAllBytesAsync(partial, image, cancellationToken).ConfigureAwait(false);
        return Finish(partial, request.OutputPath);
    }

    private TimeSpan Timeout(SnapshotRequest request) =>
        request.Timeout > TimeSpan.Zero && request.Timeout < _options.SnapshotTimeout ? request.Timeout : _options.SnapshotTimeout;

    private async Task<SnapshotResult> RunAsync(
        string[] input, string[] filter, SnapshotRequest request, TimeSpan timeout, byte[]? standardInput, string source, CancellationToken cancellationToken)
    {
        var png = CheckFormat(request);

        var dir = Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!;
        Directory.CreateDirectory(dir);
        var partial = request.OutputPath + ".partial";
        var args = new List<string> { "-hide_banner", "-loglevel", "error" };
        if (standardInput is null)
        {
            args.Add("-nostdin");
        }

        args.AddRange(input);
        args.AddRange(filter);
        FfmpegSnapshot.AddOutput(args, partial, png ? SnapshotFormats.Png : SnapshotFormats.Jpeg, request.Quality);

        var result = await FfmpegOneShot.RunAsync(
            _options.FfmpegPath, args, timeout, timeProvider,
            $"ffmpeg could not be started ({_options.FfmpegPath}); install ffmpeg or set Plugins:MediaMtx:FfmpegPath.",
            running: null, cancellationToken, standardInput).ConfigureAwait(false);
        metrics?.Snapshot(source, result.Succeeded);
        if (result.TimedOut)
        {
            TryDelete(partial);
            throw new DependencyFailedException("ffmpeg", $"no frame from the camera's stream within {timeout.TotalSeconds:0.#} s; check that the camera delivers video.");
        }

        if (result.ExitCode != 0 || !File.Exists(partial) || new FileInfo(partial).Length == 0)
        {
            TryDelete(partial);
            throw new DependencyFailedException("ffmpeg", $"snapshot failed: {(result.LastError.Length > 0 ? result.LastError : "ffmpeg exited with code " + result.ExitCode.ToString(CultureInfo.InvariantCulture))}");
        }

        return Finish(partial, request.OutputPath);
    }

    /// <summary>True for PNG, false for JPEG; anything else is an invalid parameter.</summary>
    private static bool CheckFormat(SnapshotRequest request)
    {
        var png = string.Equals(request.Format, "png", StringComparison.OrdinalIgnoreCase);
        if (!png && !string.Equals(request.Format, "jpg", StringComparison.OrdinalIgnoreCase) && !string.Equals(request.Format, "jpeg", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidParameterException("format", "must be jpg or png");
        }

        return png;
    }

    private static SnapshotResult Finish(string partial, string outputPath)
    {
        File.Move(partial, outputPath, overwrite: true);
        var (w, h) = ImageInfo.ReadSize(outputPath);
        return new SnapshotResult { Path = outputPath, Size = new FileInfo(outputPath).Length, Width = w, Height = h };
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Leftover partial file: harmless, overwritten by the next attempt.
        }
    }
}

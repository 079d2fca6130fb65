using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx;

/// <summary>Takes one frame from an RTSP URL with ffmpeg and writes it atomically where the media store asked.</summary>
internal sealed class FfmpegSnapshotter(IOptions<MediaMtxOptions> options, TimeProvider timeProvider)
{
    private readonly MediaMtxOptions _options = options.Value;

    public async Task<SnapshotResult> CaptureAsync(string url, SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var png = string.Equals(request.Format, "png", StringComparison.OrdinalIgnoreCase);
        if (!png && !string.Equals(request.Format, "jpg", StringComparison.OrdinalIgnoreCase) && !string.Equals(request.Format, "jpeg", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidParameterException("format", "must be jpg or png");
        }

        var timeout = request.Timeout > TimeSpan.Zero && request.Timeout < _options.SnapshotTimeout ? request.Timeout : _options.SnapshotTimeout;
        var dir = Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!;
        Directory.CreateDirectory(dir);
        var partial = request.OutputPath + ".partial";
        var psi = new ProcessStartInfo(_options.FfmpegPath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var args = new List<string>
        {
            "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-rtsp_transport", "tcp", "-timeout", ((long)timeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture),
            "-i", url, "-frames:v", "1", "-an", "-f", "image2",

            // -update 1: write exactly this one file; without it image2 treats the name as a pattern and expands %d.
            "-update", "1", "-c:v", png ? "png" : "mjpeg",
        };
        if (!png)
        {
            // JPEG quality 1–100 → ffmpeg qscale 31 (worst) … 2 (best); mjpeg needs full-range input.
            var q = (int)Math.Round(31 - ((Math.Clamp(request.Quality, 1, 100) - 1) * 29.0 / 99.0));
            args.AddRange(["-q:v", q.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuvj420p"]);
        }

        args.Add(partial);
        args.ForEach(psi.ArgumentList.Add);

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new DependencyFailedException("ffmpeg", $"ffmpeg could not be started ({_options.FfmpegPath}); install ffmpeg or set Plugins:MediaMtx:FfmpegPath.", ex);
        }

        using (process)
        {
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (!string.IsNullOrWhiteSpace(e.Data))
                {
                    lock (stderr)
                    {
                        stderr.AppendLine(e.Data);
                    }
                }
            };
            process.BeginErrorReadLine();
            using var timeoutCts = new CancellationTokenSource(timeout, timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                TryDelete(partial);
                cancellationToken.ThrowIfCancellationRequested();
                throw new DependencyFailedException("ffmpeg", $"no frame from the camera's stream within {timeout.TotalSeconds:0.#} s; check that the camera delivers video.");
            }

            string reason;
            lock (stderr)
            {
                reason = stderr.ToString().Trim().Split('\n').LastOrDefault(l => l.Length > 0)?.Trim() ?? string.Empty;
            }

            if (process.ExitCode != 0 || !File.Exists(partial) || new FileInfo(partial).Length == 0)
            {
                TryDelete(partial);
                throw new DependencyFailedException("ffmpeg", $"snapshot failed: {(reason.Length > 0 ? reason : "ffmpeg exited with code " + process.ExitCode.ToString(CultureInfo.InvariantCulture))}");
            }
        }

        File.Move(partial, request.OutputPath, overwrite: true);
        var (w, h) = ReadImageSize(request.OutputPath);
        return new SnapshotResult { Path = request.OutputPath, Size = new FileInfo(request.OutputPath).Length, Width = w, Height = h };
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

    /// <summary>Width and height from a JPEG SOF or PNG IHDR header; (0, 0) when unknown.</summary>
    internal static (int Width, int Height) ReadImageSize(string file)
    {
        var b = File.ReadAllBytes(file);
        if (b.Length > 24 && b[0] == 0x89 && b[1] == (byte)'P')
        {
            return (BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20)));
        }

        var i = 2;
        while (i + 9 < b.Length && b[0] == 0xFF && b[1] == 0xD8)
        {
            if (b[i] != 0xFF)
            {
                break;
            }

            var marker = b[i + 1];
            var len = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2));
            if (marker is >= 0xC0 and <= 0xC3)
            {
                return (BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 7)), BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 5)));
            }

            i += 2 + len;
        }

        return (0, 0);
    }
}

using System.ComponentModel;
using System.Diagnostics;
using CameraService.Abstractions;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// An ffmpeg started before it is needed, waiting on stdin for a GOP of H.264 (Annex B), which it decodes and
/// encodes the newest picture of (<c>-vf reverse -frames:v 1</c>: the last decoded picture comes out first) to stdout.
/// Starting ffmpeg is most of a snapshot's time on a small box (about 0.3 s at load 15 on 2 cores, <c>ffmpeg
/// -version</c> alone), so a camera's open reader keeps one ready for the format and quality of its last snapshot.
/// <c>reverse</c> holds every decoded picture of the GOP in memory: the caller uses it only for GOPs whose pictures
/// fit in <see cref="MaxDecodedBytes"/>. Process rather than CliWrap: the process must exist before its input does.
/// </summary>
internal sealed class PreparedSnapshotEncoder : IDisposable
{
    /// <summary>Upper bound of the decoded pictures <c>reverse</c> may hold.</summary>
    public const long MaxDecodedBytes = 64L << 20;

    private readonly Process _process;
    private readonly Task<string> _stderr;
    private int _disposed;

    private PreparedSnapshotEncoder(Process process, string format, int quality)
    {
        _process = process;
        Format = format;
        Quality = quality;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string Format { get; }

    public int Quality { get; }

    /// <summary>Starts ffmpeg for <paramref name="format"/> at <paramref name="quality"/>; null when it cannot be started.</summary>
    public static PreparedSnapshotEncoder? TryStart(string ffmpeg, string format, int quality)
    {
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-f", "h264", "-i", "pipe:0", "-vf", "reverse" };
        FfmpegSnapshot.AddEncoding(args, format, quality);
        args.AddRange(["-f", "image2pipe", "pipe:1"]);
        var info = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        try
        {
            return Process.Start(info) is { } process ? new PreparedSnapshotEncoder(process, format, quality) : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Whether a GOP of <paramref name="pictures"/> pictures of <paramref name="width"/>×<paramref name="height"/> fits the bound.</summary>
    public static bool Fits(int pictures, int width, int height) =>
        width > 0 && height > 0 && (long)pictures * width * height * 3 / 2 <= MaxDecodedBytes;

    /// <summary>Encodes the newest picture of <paramref name="gop"/>; the image's bytes. Used once.</summary>
    public async Task<byte[]> EncodeAsync(byte[] gop, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var output = new MemoryStream();
            var reading = _process.StandardOutput.BaseStream.CopyToAsync(output, cts.Token);
            var stdin = _process.StandardInput.BaseStream;
            await stdin.WriteAsync(gop, cts.Token).ConfigureAwait(false);
            stdin.Close();
            await reading.ConfigureAwait(false);
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            if (_process.ExitCode != 0 || output.Length == 0)
            {
                var error = (await _stderr.ConfigureAwait(false)).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
                throw new DependencyFailedException("ffmpeg", $"snapshot failed: {error ?? "ffmpeg exited with code " + _process.ExitCode}");
            }

            return output.ToArray();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new DependencyFailedException("ffmpeg", $"snapshot failed: {ex.Message}", ex);
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}

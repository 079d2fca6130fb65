using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Shared;

/// <summary>
/// Decoded, scaled 8-bit luma frames of any ffmpeg input (an RTSP URL, a device, a stream written to ffmpeg's stdin),
/// for <see cref="IVideoFrameSource"/> in every ffmpeg-based backend (compiled into each, as plugins reference nothing
/// but the abstractions). ffmpeg runs <c>-i … -an -vf fps=R,scale=W:H,format=gray -f rawvideo pipe:1</c>; exactly
/// W×H bytes per frame are read from its stdout into one reused buffer. Cancelling (or leaving the enumeration) kills
/// ffmpeg. An ffmpeg that ends before the first frame is a <see cref="DependencyFailedException"/> with its last
/// stderr lines. <see cref="Process"/> rather than CliWrap, because the frames are pulled from stdout at the reader's
/// pace (CliWrap pushes output into a pipe target).
/// </summary>
internal static class FfmpegFrameReader
{
    /// <summary>How many of ffmpeg's last stderr lines are kept for the error message.</summary>
    private const int KeptErrorLines = 3;

    /// <summary>The ffmpeg arguments: <paramref name="inputArguments"/> (ending with <c>-i &lt;input&gt;</c>) and the raw grey output.</summary>
    public static List<string> Arguments(IReadOnlyList<string> inputArguments, VideoFrameRequest request)
    {
        ArgumentNullException.ThrowIfNull(inputArguments);
        ArgumentNullException.ThrowIfNull(request);
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-nostats" };
        args.AddRange(inputArguments);
        args.AddRange(
        [
            "-an", "-sn", "-dn",
            "-vf", string.Create(CultureInfo.InvariantCulture, $"fps={request.FrameRate:0.###},scale={request.Width}:{request.Height},format=gray"),
            "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
        ]);
        return args;
    }

    /// <summary>
    /// Runs <paramref name="executable"/> on <paramref name="inputArguments"/> and yields its frames until
    /// <paramref name="cancellationToken"/> is cancelled or ffmpeg ends. With <paramref name="stdin"/>, that stream is
    /// copied to ffmpeg's stdin (input <c>pipe:0</c>). <paramref name="installHint"/> is what the user is told when
    /// ffmpeg cannot be started. Each frame's buffer is valid until the next one is asked for.
    /// </summary>
    public static async IAsyncEnumerable<VideoFrame> ReadAsync(
        string executable,
        IReadOnlyList<string> inputArguments,
        VideoFrameRequest request,
        TimeProvider time,
        string installHint,
        Stream? stdin = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(time);
        if (request.Width is < 8 or > 4096 || request.Height is < 8 or > 4096 || request.Width % 2 != 0 || request.Height % 2 != 0)
        {
            throw new InvalidParameterException("width", "frame size must be even and between 8 and 4096 pixels");
        }

        if (!(request.FrameRate > 0 && request.FrameRate <= 60))
        {
            throw new InvalidParameterException("frame_rate", "must be more than 0 and at most 60 frames per second");
        }

        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in Arguments(inputArguments, request))
        {
            info.ArgumentList.Add(a);
        }

        var errors = new Queue<string>();
        using var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                lock (errors)
                {
                    errors.Enqueue(e.Data.Trim());
                    while (errors.Count > KeptErrorLines)
                    {
                        errors.Dequeue();
                    }
                }
            }
        };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            throw new DependencyFailedException("ffmpeg", installHint, ex);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task feeding = Task.CompletedTask;
        try
        {
            process.BeginErrorReadLine();
            if (stdin is not null)
            {
                feeding = FeedAsync(stdin, process.StandardInput.BaseStream, stop.Token);
            }

            var output = process.StandardOutput.BaseStream;
            var buffer = new byte[request.Width * request.Height];
            var frames = 0L;
            while (true)
            {
                var complete = await ReadFrameAsync(output, buffer, stop.Token).ConfigureAwait(false);
                if (!complete)
                {
                    break;
                }

                frames++;
                yield return new VideoFrame(buffer, request.Width, request.Height, time.GetUtcNow());
            }

            if (frames == 0 && !cancellationToken.IsCancellationRequested)
            {
                // Ended before the first frame: a bad input, an unreachable stream, a missing decoder.
                try
                {
                    await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Closed its output but lingers: it is killed below; the message has what stderr said so far.
                }

                string detail;
                lock (errors)
                {
                    detail = errors.Count > 0 ? string.Join(" | ", errors)
                        : process.HasExited ? "ffmpeg exited with code " + process.ExitCode.ToString(CultureInfo.InvariantCulture) : "ffmpeg closed its output";
                }

                throw new DependencyFailedException("ffmpeg", $"no video frame from the camera's stream: {detail}");
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Kill(process);
            try
            {
                await feeding.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The feed ends with ffmpeg.
            }
        }
    }

    /// <summary>Fills <paramref name="buffer"/> completely; false when the stream ended first (a partial frame is dropped).</summary>
    private static async Task<bool> ReadFrameAsync(Stream output, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            var read = await output.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return read == buffer.Length;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task FeedAsync(Stream source, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            await source.CopyToAsync(stdin, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stdin.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using CameraService.Abstractions;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// One running ffmpeg: its stderr goes to the log (rate-limited, the last lines kept for crash reports),
/// its <c>-progress</c> output on stdout tells whether frames flow.
/// </summary>
internal sealed class FfmpegProcess : IDisposable
{
    private const int KeptLines = 8;

    private readonly Process process;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly string cameraId;
    private readonly int linesPerMinute;
    private readonly Queue<string> recentLines = new();
    private readonly TaskCompletionSource firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task pumps;
    private long lastProgressTicks;
    private long windowStartTicks;
    private int linesInWindow;
    private int suppressed;
    private int stopRequested;

    private FfmpegProcess(Process process, ILogger logger, TimeProvider time, string cameraId, int linesPerMinute)
    {
        this.process = process;
        this.logger = logger;
        this.time = time;
        this.cameraId = cameraId;
        this.linesPerMinute = linesPerMinute;
        StartedAt = time.GetUtcNow();
        lastProgressTicks = StartedAt.UtcTicks;
        windowStartTicks = StartedAt.UtcTicks;
        Id = process.Id;
        pumps = Task.WhenAll(PumpProgressAsync(), PumpStderrAsync());
    }

    public int Id { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the first frame was written; null until then.</summary>
    public DateTimeOffset? ReadyAt { get; private set; }

    public DateTimeOffset LastProgress => new(Interlocked.Read(ref lastProgressTicks), TimeSpan.Zero);

    /// <summary>Completes when the first frame was written.</summary>
    public Task FirstFrame => firstFrame.Task;

    public bool HasExited => process.HasExited;

    /// <summary>Whether the exit was asked for (stop, reconfiguration) rather than a crash.</summary>
    public bool StopRequested => Volatile.Read(ref stopRequested) != 0;

    public int ExitCode => process.HasExited ? process.ExitCode : 0;

    public string RecentOutput
    {
        get
        {
            lock (recentLines)
            {
                return recentLines.Count == 0 ? "(none)" : string.Join(" | ", recentLines);
            }
        }
    }

    /// <summary>Starts ffmpeg; a missing executable becomes the contract's dependency failure with the install hint.</summary>
    public static FfmpegProcess Start(string executable, IReadOnlyList<string> arguments, ILogger logger, TimeProvider time, string cameraId, int linesPerMinute)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new DependencyFailedException("ffmpeg", FfmpegLocator.InstallHint, ex);
        }

        return new FfmpegProcess(process, logger, time, cameraId, linesPerMinute);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

    public bool WaitForExit(int milliseconds) => process.WaitForExit(milliseconds);

    /// <summary>SIGINT so ffmpeg finalizes its outputs, then SIGKILL after <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref stopRequested, 1);
        if (process.HasExited)
        {
            await pumps.ConfigureAwait(false);
            return;
        }

        _ = NativeMethods.Kill(Id, NativeMethods.SigInt);
        using var timeoutCts = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.ProcessKilled(logger, cameraId, Id, timeout);
            Kill();
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await pumps.ConfigureAwait(false);
    }

    /// <summary>Marks the exit as intended and sends SIGINT without waiting (process exit of the service).</summary>
    public void Interrupt()
    {
        Interlocked.Exchange(ref stopRequested, 1);
        if (!process.HasExited)
        {
            _ = NativeMethods.Kill(Id, NativeMethods.SigInt);
        }
    }

    /// <summary>SIGKILL (stalled process, or one that ignored SIGINT).</summary>
    public void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited: nothing to kill.
        }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private async Task PumpProgressAsync()
    {
        var reader = process.StandardOutput;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            Interlocked.Exchange(ref lastProgressTicks, time.GetUtcNow().UtcTicks);
            if (ReadyAt is null && line.StartsWith("frame=", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(6), out var frames) && frames > 0)
            {
                ReadyAt = time.GetUtcNow();
                firstFrame.TrySetResult();
            }
        }
    }

    private async Task PumpStderrAsync()
    {
        var reader = process.StandardError;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            // swscale warns on every start about the JPEG (full-range) pixel format of the live frame: harmless noise.
            if (line.Length == 0 || line.Contains("deprecated pixel format used", StringComparison.Ordinal))
            {
                continue;
            }

            lock (recentLines)
            {
                recentLines.Enqueue(line.Length > 300 ? line[..300] : line);
                while (recentLines.Count > KeptLines)
                {
                    recentLines.Dequeue();
                }
            }

            LogRateLimited(line);
        }

        if (suppressed > 0)
        {
            Log.StderrSuppressed(logger, cameraId, suppressed);
        }
    }

    private void LogRateLimited(string line)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (now - windowStartTicks >= TimeSpan.TicksPerMinute)
        {
            if (suppressed > 0)
            {
                Log.StderrSuppressed(logger, cameraId, suppressed);
            }

            windowStartTicks = now;
            linesInWindow = 0;
            suppressed = 0;
        }

        if (linesInWindow < linesPerMinute)
        {
            linesInWindow++;
            Log.StderrLine(logger, cameraId, line);
        }
        else
        {
            suppressed++;
        }
    }
}

/// <summary>Finds the ffmpeg executable.</summary>
internal static class FfmpegLocator
{
    public const string InstallHint = "ffmpeg is not installed; install it with: apt-get install -y ffmpeg";

    /// <summary>The full path of the configured ffmpeg, or null when it does not exist.</summary>
    public static string? Resolve(string configured)
    {
        if (configured.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, configured);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

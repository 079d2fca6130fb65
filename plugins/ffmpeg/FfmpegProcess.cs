using System.ComponentModel;
using System.Diagnostics;
using CameraService.Abstractions;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// One running ffmpeg: its stderr goes to the log (rate-limited, the last lines kept for crash reports),
/// its <c>-progress</c> output on stdout tells whether frames flow.
/// </summary>
internal sealed class FfmpegProcess : IDisposable
{
    private const int KeptLines = 8;

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _cameraId;
    private readonly int _linesPerMinute;
    private readonly Queue<string> _recentLines = new();
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputsWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pumps;
    private long _lastProgressTicks;
    private long _windowStartTicks;
    private int _linesInWindow;
    private int _suppressed;
    private int _stopRequested;

    private FfmpegProcess(Process process, ILogger logger, TimeProvider time, string cameraId, int linesPerMinute, Func<FfmpegProcess, Stream, Task>? output)
    {
        _process = process;
        _logger = logger;
        _time = time;
        _cameraId = cameraId;
        _linesPerMinute = linesPerMinute;
        StartedAt = time.GetUtcNow();
        _lastProgressTicks = StartedAt.UtcTicks;
        _windowStartTicks = StartedAt.UtcTicks;
        Id = process.Id;
        _pumps = Task.WhenAll(output is null ? PumpProgressAsync() : output(this, process.StandardOutput.BaseStream), PumpStderrAsync());
    }

    public int Id { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the first frame was written; null until then.</summary>
    public DateTimeOffset? ReadyAt { get; private set; }

    public DateTimeOffset LastProgress => new(Interlocked.Read(ref _lastProgressTicks), TimeSpan.Zero);

    /// <summary>Completes when the first frame was written.</summary>
    public Task FirstFrame => _firstFrame.Task;

    public bool HasExited => _process.HasExited;

    /// <summary>Whether the exit was asked for (stop, reconfiguration) rather than a crash.</summary>
    public bool StopRequested => Volatile.Read(ref _stopRequested) != 0;

    public int ExitCode => _process.HasExited ? _process.ExitCode : 0;

    public string RecentOutput
    {
        get
        {
            lock (_recentLines)
            {
                return _recentLines.Count == 0 ? "(none)" : string.Join(" | ", _recentLines);
            }
        }
    }

    /// <summary>The process's standard input (a recorder is fed through it); null unless started with <c>input: true</c>.</summary>
    public Stream? Input { get; private init; }

    /// <summary>
    /// Starts ffmpeg; a missing executable becomes the contract's dependency failure with the install hint.
    /// <paramref name="output"/>, when given, consumes standard output instead of the <c>-progress</c> reader (the camera
    /// process's MPEG-TS feed) and reports progress itself (<see cref="NoteProgress"/>, <see cref="NoteFrame"/>);
    /// <paramref name="input"/> opens standard input for writing (<see cref="Input"/>).
    /// </summary>
    public static FfmpegProcess Start(
        string executable, IReadOnlyList<string> arguments, ILogger logger, TimeProvider time, string cameraId, int linesPerMinute,
        Func<FfmpegProcess, Stream, Task>? output = null, bool input = false)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input,
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

        return new FfmpegProcess(process, logger, time, cameraId, linesPerMinute, output) { Input = input ? process.StandardInput.BaseStream : null };
    }

    /// <summary>Output arrived (the stall watch sees the process alive).</summary>
    public void NoteProgress() => Interlocked.Exchange(ref _lastProgressTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>A frame arrived: the first one makes the process ready.</summary>
    public void NoteFrame()
    {
        NoteProgress();
        if (ReadyAt is null)
        {
            ReadyAt = _time.GetUtcNow();
            _firstFrame.TrySetResult();
        }
    }

    /// <summary>
    /// Closes standard input so that ffmpeg reads to the end and finalizes its output; returns as soon as its outputs are
    /// written (its <c>-progress</c> says <c>progress=end</c> after the trailers, before ffmpeg's own teardown and exit —
    /// tens to hundreds of milliseconds less on a loaded machine) or it exited. SIGINT when neither happened after
    /// <paramref name="timeout"/>, SIGKILL after another one. The returned task completes with the exit.
    /// </summary>
    public async Task<Task> CloseInputAndWaitForOutputsAsync(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        try
        {
            Input?.Dispose();
        }
        catch (IOException)
        {
            // The reader is gone already (it exited): nothing to close.
        }

        var exited = ExitedAsync();
        try
        {
            await Task.WhenAny(_outputsWritten.Task, exited).WaitAsync(timeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await StopAsync(timeout, CancellationToken.None).ConfigureAwait(false);
        }

        return exited;
    }

    private async Task ExitedAsync()
    {
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await _pumps.ConfigureAwait(false);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public bool WaitForExit(int milliseconds) => _process.WaitForExit(milliseconds);

    /// <summary>SIGINT so ffmpeg finalizes its outputs, then SIGKILL after <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        if (_process.HasExited)
        {
            await _pumps.ConfigureAwait(false);
            return;
        }

        _ = NativeMethods.Kill(Id, NativeMethods.SigInt);
        using var timeoutCts = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
        try
        {
            await _process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.ProcessKilled(_logger, _cameraId, Id, timeout);
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await _pumps.ConfigureAwait(false);
    }

    /// <summary>Marks the exit as intended and sends SIGINT without waiting (process exit of the service).</summary>
    public void Interrupt()
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        if (!_process.HasExited)
        {
            _ = NativeMethods.Kill(Id, NativeMethods.SigInt);
        }
    }

    /// <summary>SIGKILL (stalled process, or one that ignored SIGINT).</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited: nothing to kill.
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // Killing a process tree reads the whole process table: not for one that is gone already (a crash's restart waits for this).
            Kill();
        }

        _process.Dispose();
    }

    private async Task PumpProgressAsync()
    {
        var reader = _process.StandardOutput;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } raw)
        {
            // A network camera's input URL carries its credentials, and ffmpeg prints a failing input's URL as given.
            var line = FfmpegInput.RedactCredentials(raw);
            Interlocked.Exchange(ref _lastProgressTicks, _time.GetUtcNow().UtcTicks);
            if (line == "progress=end")
            {
                // Printed after every output's trailer was written (a recorder's file is complete).
                _outputsWritten.TrySetResult();
            }

            if (ReadyAt is null && line.StartsWith("frame=", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(6), out var frames) && frames > 0)
            {
                ReadyAt = _time.GetUtcNow();
                _firstFrame.TrySetResult();
            }
        }
    }

    private async Task PumpStderrAsync()
    {
        var reader = _process.StandardError;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            // swscale warns on every start about the JPEG (full-range) pixel format of the live frame: harmless noise.
            if (line.Length == 0 || line.Contains("deprecated pixel format used", StringComparison.Ordinal))
            {
                continue;
            }

            lock (_recentLines)
            {
                _recentLines.Enqueue(line.Length > 300 ? line[..300] : line);
                while (_recentLines.Count > KeptLines)
                {
                    _recentLines.Dequeue();
                }
            }

            LogRateLimited(line);
        }

        if (_suppressed > 0)
        {
            Log.StderrSuppressed(_logger, _cameraId, _suppressed);
        }
    }

    private void LogRateLimited(string line)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now - _windowStartTicks >= TimeSpan.TicksPerMinute)
        {
            if (_suppressed > 0)
            {
                Log.StderrSuppressed(_logger, _cameraId, _suppressed);
            }

            _windowStartTicks = now;
            _linesInWindow = 0;
            _suppressed = 0;
        }

        if (_linesInWindow < _linesPerMinute)
        {
            _linesInWindow++;
            Log.StderrLine(_logger, _cameraId, line);
        }
        else
        {
            _suppressed++;
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

using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// One ffmpeg process of a camera pipeline and what it produces: started for a set of outputs, watched while it runs
/// (a stalled process killed) and stopped so that its outputs are finalized. Its encoded stream arrives in
/// <see cref="Feed"/>, which recordings listen to. The <see cref="CameraPipeline"/> decides when; this class knows how.
/// </summary>
internal sealed class PipelineRun
{
    private readonly PipelineContext _context;
    private readonly string _cameraId;

    private PipelineRun(PipelineContext context, string cameraId, FfmpegProcess process, bool hls, CameraFeed feed)
    {
        _context = context;
        _cameraId = cameraId;
        Process = process;
        Hls = hls;
        Feed = feed;
    }

    public FfmpegProcess Process { get; }

    public bool Hls { get; }

    /// <summary>The encoded stream (MPEG-TS on the process's standard output) and its pre-event buffer.</summary>
    public CameraFeed Feed { get; }

    public Task? Monitor { get; set; }

    /// <summary>
    /// Starts ffmpeg for <paramref name="camera"/> with the wanted outputs in a fresh <paramref name="work"/> directory
    /// and waits for its first frame; a process that exits or shows no frame within the start timeout is stopped and
    /// reported as the contract's dependency failure.
    /// </summary>
    public static async Task<PipelineRun> StartAsync(
        PipelineContext context, StreamCamera camera, bool hls, string work, CancellationToken cancellationToken)
    {
        var ffmpeg = context.RequireFfmpeg();
        var options = context.Options;
        PrepareWorkDirectory(work);
        var outputs = new PipelineOutputs(hls ? work : null, Path.Combine(work, FfmpegCommand.LiveFrameName));
        var args = FfmpegCommand.BuildPipeline(camera.Input, options, outputs);
        var feed = new CameraFeed(context.Time, options.PreEventBuffer);
        var process = FfmpegProcess.Start(ffmpeg, args, context.Logger, context.Time, camera.CameraId, options.StderrLinesPerMinute, feed.RunAsync);
        context.Processes.Track(process);
        var r = new PipelineRun(context, camera.CameraId, process, hls, feed);
        Log.ProcessStarted(context.Logger, camera.CameraId, process.Id, hls, false);

        using var timeout = new CancellationTokenSource(options.StartTimeout, context.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var exited = process.WaitForExitAsync(linked.Token);
            await Task.WhenAny(process.FirstFrame, exited).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Start timeout: handled below like an early exit.
        }
        catch (OperationCanceledException)
        {
            await r.StopAsync().ConfigureAwait(false);
            throw;
        }

        if (!process.FirstFrame.IsCompleted)
        {
            var exitCode = process.HasExited ? process.ExitCode : -1;
            var output = process.RecentOutput;
            await r.StopAsync().ConfigureAwait(false);
            Log.ProcessCrashed(context.Logger, camera.CameraId, process.Id, exitCode, output);
            throw new DependencyFailedException("ffmpeg",
                exitCode == -1
                    ? $"ffmpeg delivered no frame of camera {camera.CameraId} within {options.StartTimeout.TotalSeconds:0} s; check the camera and the service log."
                    : $"ffmpeg could not start the stream of camera {camera.CameraId} (exit code {exitCode}); check the camera and the service log.");
        }

        return r;
    }

    /// <summary>Stops the process so that its outputs are finalized; its feed ends with it.</summary>
    public async Task StopAsync()
    {
        // Never cancelled by the caller: an interrupted stop would leave the HLS playlist unfinished.
        await Process.StopAsync(_context.Options.StopTimeout, CancellationToken.None).ConfigureAwait(false);
        _context.Processes.Untrack(Process);
        Log.ProcessStopped(_context.Logger, _cameraId, Process.Id, Process.ExitCode);
        Process.Dispose();
    }

    /// <summary>
    /// Until the process exits: every 500 ms, kills a process whose progress (its feed) stalled
    /// past <see cref="FfmpegOptions.StallTimeout"/>. Returns true when the exit was not asked for (a crash).
    /// </summary>
    public async Task<bool> WatchAsync()
    {
        var exited = Process.WaitForExitAsync(CancellationToken.None);
        while (true)
        {
            var finished = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMilliseconds(500), _context.Time)).ConfigureAwait(false);
            if (finished == exited)
            {
                break;
            }

            if (!Process.StopRequested && _context.Time.GetUtcNow() - Process.LastProgress > _context.Options.StallTimeout)
            {
                Log.ProcessStalled(_context.Logger, _cameraId, Process.Id, _context.Options.StallTimeout);
                Process.Kill();
            }
        }

        return !Process.StopRequested;
    }

    /// <summary>The running process's live frame (the snapshot source), waiting for the first one up to <paramref name="timeout"/>.</summary>
    private async Task<string> WaitForLiveFrameAsync(string work, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(work, FfmpegCommand.LiveFrameName);
        var deadline = _context.Time.GetUtcNow() + timeout;
        while (true)
        {
            if (File.Exists(path))
            {
                return path;
            }

            if (Process.HasExited || _context.Time.GetUtcNow() > deadline)
            {
                throw new DependencyFailedException("ffmpeg",
                    $"The stream of camera {_cameraId} delivered no frame within {timeout.TotalSeconds:0.#} s; try again.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _context.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A snapshot from the running process's live frame, re-encoded to the requested format and quality into <paramref name="temp"/>.</summary>
    public async Task SnapshotFromLiveFrameAsync(string work, string ffmpeg, string temp, SnapshotRequest request, CancellationToken cancellationToken)
    {
        var live = await WaitForLiveFrameAsync(work, request.Timeout, cancellationToken).ConfigureAwait(false);
        var args = FfmpegCommand.BuildSnapshotFromFile(live, temp, request.Format, request.Quality);
        await RunSnapshotAsync(_context, _cameraId, ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
        Log.SnapshotFromLiveFrame(_context.Logger, _cameraId);
    }

    /// <summary>A snapshot by a short-lived process that opens the camera itself (only while no process runs for it).</summary>
    public static async Task SnapshotFromInputAsync(
        PipelineContext context, StreamCamera camera, string ffmpeg, string temp, SnapshotRequest request, CancellationToken cancellationToken)
    {
        var args = FfmpegCommand.BuildSnapshotFromInput(camera.Input, temp, request.Format, request.Quality);
        await RunSnapshotAsync(context, camera.CameraId, ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
        Log.SnapshotOneShot(context.Logger, camera.CameraId);
    }

    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still in use or vanished meanwhile: the next start cleans up again.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: leftovers in a temp directory are harmless.
        }
    }

    private static void PrepareWorkDirectory(string work)
    {
        // A fresh process starts a fresh playlist: old segments would confuse players and fill the disk.
        TryDeleteDirectory(work);
        Directory.CreateDirectory(work);
    }

    /// <summary>A one-shot snapshot run (from the device, or from the running process's live frame).</summary>
    private static async Task RunSnapshotAsync(PipelineContext context, string cameraId, string ffmpeg, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await FfmpegOneShot.RunAsync(ffmpeg, args, timeout, context.Time, FfmpegLocator.InstallHint, context.Processes.OneShot, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut)
        {
            throw new DependencyFailedException("ffmpeg",
                $"No frame of camera {cameraId} within {timeout.TotalSeconds:0.#} s; check the camera and try again.");
        }

        if (result.ExitCode != 0)
        {
            Log.ProcessCrashed(context.Logger, cameraId, 0, result.ExitCode, result.LastError);
            throw new DependencyFailedException("ffmpeg",
                $"ffmpeg could not capture a frame of camera {cameraId} (exit code {result.ExitCode}); check the camera and the service log.");
        }
    }
}

/// <summary>Consecutive failures of a camera's pipeline and the exponential backoff before its next start.</summary>
internal sealed class RestartBackoff(FfmpegOptions options)
{
    /// <summary>A process that ran this long after its first frame resets the failure count.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(30);

    private int _failures;

    /// <summary>Counts a failure; returns how many in a row.</summary>
    public int Failed() => ++_failures;

    /// <summary>A process ended: a long, healthy run forgives the failures before it.</summary>
    public void Exited(DateTimeOffset? readyAt, DateTimeOffset now)
    {
        if (readyAt is { } ready && now - ready >= StableRun)
        {
            _failures = 0;
        }
    }

    /// <summary>
    /// <see cref="FfmpegOptions.RestartBackoff"/> doubled per failure in a row, at most <see cref="FfmpegOptions.MaxRestartBackoff"/>,
    /// minus the time the failed process <paramref name="ran"/> after its first frame: a camera process that crashes after
    /// running a while is restarted at once (a crash loses only the restart, issue 22), while one that keeps failing still
    /// waits the backoff between two starts.
    /// </summary>
    public TimeSpan NextDelay(TimeSpan ran)
    {
        var factor = Math.Pow(2, Math.Min(_failures - 1, 20));
        var backoff = TimeSpan.FromTicks((long)Math.Min(options.RestartBackoff.Ticks * factor, options.MaxRestartBackoff.Ticks));
        return ran >= backoff ? TimeSpan.Zero : backoff - ran;
    }
}

/// <summary>What the HLS endpoint served for a camera: bytes (the stream's <c>bytes_sent</c>) and whether someone watched lately.</summary>
internal sealed class HlsViewers(TimeProvider time)
{
    private long _bytesServed;
    private long _lastAccessTicks;

    public long BytesServed => Interlocked.Read(ref _bytesServed);

    /// <summary>A playlist or segment was fetched within the last 15 s.</summary>
    public bool Recent => time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastAccessTicks) < TimeSpan.TicksPerSecond * 15;

    public void Served(long bytes)
    {
        Interlocked.Add(ref _bytesServed, bytes);
        Interlocked.Exchange(ref _lastAccessTicks, time.GetUtcNow().UtcTicks);
    }
}

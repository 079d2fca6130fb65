using System.Diagnostics.CodeAnalysis;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// The one ffmpeg process of one camera and what it must produce now (HLS, recording, both). All changes go
/// through <see cref="gate"/>, so at most one process per camera exists and a one-shot snapshot never runs
/// beside it. A change of outputs restarts the process; a recording then continues in a new segment.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification =
    "Background restarts may still touch the gate and token after close; neither holds an unmanaged resource here (no wait handle, no timer).")]
internal sealed class CameraPipeline
{
    /// <summary>A process that ran this long after its first frame resets the failure count.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(30);

    private readonly FfmpegStreamBackend owner;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly CancellationTokenSource lifetime = new();
    private readonly SegmentNamer namer;
    private volatile Run? run;
    private volatile RecordingSession? recording;
    private volatile bool hlsWanted;
    private volatile bool failing;
    private volatile string? failure;
    private int consecutiveFailures;
    private bool closed;
    private long hlsBytesServed;
    private long lastHlsAccessTicks;

    public CameraPipeline(FfmpegStreamBackend owner, StreamCamera camera)
    {
        this.owner = owner;
        Camera = camera;
        namer = new SegmentNamer(camera.CameraId, owner.Logger);
    }

    public StreamCamera Camera { get; private set; }

    public string CameraId => Camera.CameraId;

    /// <summary>Per-camera working directory: HLS playlist and segments, live frame.</summary>
    public string WorkDirectory => Path.Combine(owner.HlsRoot, CameraId);

    /// <summary>The HLS directory when the running process produces HLS, else null.</summary>
    public string? ServingHlsDirectory => run is { Hls: true } ? WorkDirectory : null;

    /// <summary>Whether HLS was asked for (it may still be starting).</summary>
    public bool HlsWanted => hlsWanted;

    /// <summary>The failure the camera is recovering from, null when fine.</summary>
    public string? Failure => failing ? failure : null;

    public BackendRecording? ActiveRecording => recording?.ToBackendRecording(null);

    /// <summary>The pid of the running ffmpeg (diagnostics and tests).</summary>
    public int? ProcessId => run?.Process.Id;

    public void NoteHlsServed(long bytes)
    {
        Interlocked.Add(ref hlsBytesServed, bytes);
        Interlocked.Exchange(ref lastHlsAccessTicks, owner.Time.GetUtcNow().UtcTicks);
    }

    public StreamInfo GetInfo()
    {
        var r = run;
        var wanted = hlsWanted || recording is not null;
        var state = r is null
            ? (failing && wanted ? StreamState.Error : wanted ? StreamState.Starting : StreamState.Inactive)
            : r.Process.ReadyAt is null ? StreamState.Starting : StreamState.Active;
        var recentViewer = owner.Time.GetUtcNow().UtcTicks - Interlocked.Read(ref lastHlsAccessTicks) < TimeSpan.TicksPerSecond * 15;
        var readers = (recording is not null ? 1 : 0) + (r is { Hls: true } && recentViewer ? 1 : 0);
        return new StreamInfo
        {
            CameraId = CameraId,
            Name = CameraId,
            Source = "ffmpeg",
            State = state,
            Ready = r?.Process.ReadyAt is not null,
            Readers = readers,
            BytesSent = Interlocked.Read(ref hlsBytesServed),
            StartTime = r?.Process.ReadyAt,
        };
    }

    /// <summary>Takes a new description of the camera; a running process is restarted when its input changed.</summary>
    public async Task UpdateCameraAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var inputChanged = !Equals(Camera.Input, camera.Input);
            Camera = camera;
            if (recording is null)
            {
                // Segments a killed service left behind get their final names, so they are not lost.
                var recovered = namer.Sweep(camera.RecordingDirectory, namer.CameraTempPrefix, owner.Time);
                if (recovered.Count > 0)
                {
                    Log.OrphanSegmentsRecovered(owner.Logger, recovered.Count, CameraId);
                }
            }

            if (inputChanged && run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
                await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }

        owner.Raise(events);
    }

    public async Task<StreamInfo> StartStreamingAsync(CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            hlsWanted = true;
            if (run is { Hls: true })
            {
                return GetInfo();
            }

            if (run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            try
            {
                await StartRunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException)
            {
                hlsWanted = false;
                if (recording is not null)
                {
                    // The recording lost its process with the failed restart: recover it with backoff.
                    HandleFailure(ex.Message, events);
                }

                throw;
            }

            return GetInfo();
        }
        finally
        {
            gate.Release();
            owner.Raise(events);
        }
    }

    public async Task<StreamInfo> StopStreamingAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            hlsWanted = false;
            // While recording, the HLS output stays in the running process (dropped at its next restart):
            // restarting only to remove it would cut the recording into one more segment for nothing.
            if (recording is null && run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
                TryDeleteDirectory(WorkDirectory);
            }

            failing = failing && recording is not null;
            return GetInfo();
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            if (recording is { } active)
            {
                throw new InvalidStateException("already_recording", "RECORDING",
                    $"Camera {CameraId} is already recording (session {active.SessionId}); stop it first.");
            }

            Directory.CreateDirectory(request.OutputDirectory);
            var session = new RecordingSession(CameraId, request.SessionId, request.Format, request.OutputDirectory, owner.Time.GetUtcNow());
            recording = session;
            if (run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            try
            {
                await StartRunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException)
            {
                recording = null;
                if (hlsWanted)
                {
                    HandleFailure(ex.Message, events);
                }

                throw;
            }

            return session.ToBackendRecording(null);
        }
        finally
        {
            gate.Release();
            owner.Raise(events);
        }
    }

    public async Task<BackendRecording> StopRecordingAsync(CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (recording is not { } session)
            {
                throw new InvalidStateException("not_recording", "STOPPED", $"Camera {CameraId} is not recording.");
            }

            recording = null;
            if (run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            var result = session.ToBackendRecording(owner.Time.GetUtcNow());
            if (hlsWanted && !closed)
            {
                // The live stream goes on without the recording output (a new process, see docs).
                await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                failing = false;
            }

            return result;
        }
        finally
        {
            gate.Release();
            owner.Raise(events);
        }
    }

    public async Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        var ffmpeg = owner.RequireFfmpeg();
        var temp = Path.Combine(Path.GetDirectoryName(request.OutputPath)!, "." + Path.GetFileName(request.OutputPath) + ".tmp");
        Run? r;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            r = run;
            if (r is null)
            {
                // Nothing holds the device: a short-lived process may open it; the gate keeps a stream from
                // starting meanwhile.
                var args = FfmpegCommand.BuildSnapshotFromInput(Camera.Input, temp, request.Format, request.Quality);
                await RunOneShotAsync(ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
                Log.SnapshotOneShot(owner.Logger, CameraId);
            }
        }
        finally
        {
            gate.Release();
        }

        if (r is not null)
        {
            var live = await WaitForLiveFrameAsync(r, request.Timeout, cancellationToken).ConfigureAwait(false);
            var args = FfmpegCommand.BuildSnapshotFromFile(live, temp, request.Format, request.Quality);
            await RunOneShotAsync(ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
            Log.SnapshotFromLiveFrame(owner.Logger, CameraId);
        }

        File.Move(temp, request.OutputPath, overwrite: true);
        var (width, height) = ImageInfo.ReadSize(request.OutputPath);
        return new SnapshotResult { Path = request.OutputPath, Size = new FileInfo(request.OutputPath).Length, Width = width, Height = height };
    }

    /// <summary>Stops everything (unpublish, shutdown); a recording is finalized first.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        await lifetime.CancelAsync().ConfigureAwait(false);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            closed = true;
            hlsWanted = false;
            recording = null;
            failing = false;
            if (run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            TryDeleteDirectory(WorkDirectory);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Sends SIGINT to the running process without waiting (the service process is exiting).</summary>
    public void Interrupt() => run?.Process.Interrupt();

    private void ThrowIfClosed()
    {
        if (closed)
        {
            throw new ResourceNotFoundException("camera", CameraId, $"Camera {CameraId} is not published.");
        }
    }

    /// <summary>Under the gate: starts a process for the wanted outputs; a failure is retried with backoff.</summary>
    private async Task StartOrScheduleAsync(List<StreamBackendEventArgs> events, CancellationToken cancellationToken)
    {
        try
        {
            await StartRunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException ex)
        {
            HandleFailure(ex.Message, events);
        }
    }

    /// <summary>Under the gate: starts ffmpeg for what is wanted now and waits for its first frame.</summary>
    private async Task StartRunAsync(CancellationToken cancellationToken)
    {
        var ffmpeg = owner.RequireFfmpeg();
        var options = owner.Options;
        var session = recording;
        var hls = hlsWanted;
        var work = WorkDirectory;
        PrepareWorkDirectory(work);
        RecordingTarget? target = null;
        if (session is not null)
        {
            Directory.CreateDirectory(session.Directory);
            target = new RecordingTarget(session.Directory, session.Format, namer.CameraTempPrefix + Guid.NewGuid().ToString("N")[..8] + "-");
        }

        var outputs = new PipelineOutputs(hls ? work : null, target, Path.Combine(work, FfmpegCommand.LiveFrameName));
        var args = FfmpegCommand.BuildPipeline(Camera.Input, options, outputs);
        var process = FfmpegProcess.Start(ffmpeg, args, owner.Logger, owner.Time, CameraId, options.StderrLinesPerMinute);
        owner.Track(process);
        var r = new Run(process, hls, session, target?.TempPrefix);
        Log.ProcessStarted(owner.Logger, CameraId, process.Id, hls, session is not null);

        using var timeout = new CancellationTokenSource(options.StartTimeout, owner.Time);
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
            await StopRunAsync(r).ConfigureAwait(false);
            throw;
        }

        if (!process.FirstFrame.IsCompleted)
        {
            var exitCode = process.HasExited ? process.ExitCode : -1;
            var output = process.RecentOutput;
            await StopRunAsync(r).ConfigureAwait(false);
            Log.ProcessCrashed(owner.Logger, CameraId, process.Id, exitCode, output);
            throw new DependencyFailedException("ffmpeg",
                exitCode == -1
                    ? $"ffmpeg delivered no frame of camera {CameraId} within {options.StartTimeout.TotalSeconds:0} s; check the camera and the service log."
                    : $"ffmpeg could not start the stream of camera {CameraId} (exit code {exitCode}); check the camera and the service log.");
        }

        SweepSegments(r);
        run = r;
        failing = false;
        r.Monitor = MonitorAsync(r);
    }

    /// <summary>Under the gate: stops a process so that its outputs are finalized, and collects its segments.</summary>
    private async Task StopRunAsync(Run r)
    {
        if (ReferenceEquals(run, r))
        {
            run = null;
        }

        // Never cancelled by the caller: an interrupted stop would leave an MP4 without its trailer.
        await r.Process.StopAsync(owner.Options.StopTimeout, CancellationToken.None).ConfigureAwait(false);
        SweepSegments(r);
        owner.Untrack(r.Process);
        Log.ProcessStopped(owner.Logger, CameraId, r.Process.Id, r.Process.ExitCode);
        r.Process.Dispose();
    }

    private async Task MonitorAsync(Run r)
    {
        var options = owner.Options;
        var exited = r.Process.WaitForExitAsync(CancellationToken.None);
        while (true)
        {
            var finished = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMilliseconds(500), owner.Time)).ConfigureAwait(false);
            SweepSegments(r);
            if (finished == exited)
            {
                break;
            }

            if (!r.Process.StopRequested && owner.Time.GetUtcNow() - r.Process.LastProgress > options.StallTimeout)
            {
                Log.ProcessStalled(owner.Logger, CameraId, r.Process.Id, options.StallTimeout);
                r.Process.Kill();
            }
        }

        SweepSegments(r);
        if (r.Process.StopRequested)
        {
            return;
        }

        var exitCode = r.Process.ExitCode;
        Log.ProcessCrashed(owner.Logger, CameraId, r.Process.Id, exitCode, r.Process.RecentOutput);
        var events = new List<StreamBackendEventArgs>();
        try
        {
            await gate.WaitAsync(lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (!ReferenceEquals(run, r))
            {
                return;
            }

            run = null;
            owner.Untrack(r.Process);
            if (r.Process.ReadyAt is { } ready && owner.Time.GetUtcNow() - ready >= StableRun)
            {
                consecutiveFailures = 0;
            }

            r.Process.Dispose();
            HandleFailure($"ffmpeg for camera {CameraId} exited unexpectedly (exit code {exitCode})", events);
        }
        finally
        {
            gate.Release();
        }

        owner.Raise(events);
    }

    /// <summary>Under the gate: counts a failure, gives up a recording after too many, schedules a restart.</summary>
    private void HandleFailure(string error, List<StreamBackendEventArgs> events)
    {
        if (owner.ShuttingDown)
        {
            // SIGINT/SIGTERM reach our children too (same process group / cgroup): their exit is the shutdown,
            // not a failure; StopAsync finalizes the rest.
            return;
        }

        consecutiveFailures++;
        failure = error;
        failing = true;
        owner.ReportError(error);
        var options = owner.Options;
        if (recording is { } session && consecutiveFailures > options.MaxRestartAttempts)
        {
            recording = null;
            Log.RecordingFailed(owner.Logger, CameraId, options.MaxRestartAttempts);
            events.Add(new StreamBackendEventArgs
            {
                Kind = StreamBackendEventKind.RecordingFailed,
                CameraId = CameraId,
                Reason = $"ffmpeg failed {consecutiveFailures} times in a row; the recording was stopped. Last error: {error}",
                Recording = session.ToBackendRecording(owner.Time.GetUtcNow()),
            });
        }

        events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = error });
        if (recording is null && !hlsWanted)
        {
            return;
        }

        var factor = Math.Pow(2, Math.Min(consecutiveFailures - 1, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(options.RestartBackoff.Ticks * factor, options.MaxRestartBackoff.Ticks));
        Log.RestartScheduled(owner.Logger, CameraId, delay, consecutiveFailures);
        _ = RestartLaterAsync(delay);
    }

    private async Task RestartLaterAsync(TimeSpan delay)
    {
        var events = new List<StreamBackendEventArgs>();
        try
        {
            await Task.Delay(delay, owner.Time, lifetime.Token).ConfigureAwait(false);
            await gate.WaitAsync(lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (closed || run is not null || (recording is null && !hlsWanted))
            {
                return;
            }

            try
            {
                await StartRunAsync(lifetime.Token).ConfigureAwait(false);
                failing = false;
                events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = "ffmpeg restarted" });
                if (recording is { } session)
                {
                    Log.RecordingRecovered(owner.Logger, CameraId);
                    events.Add(new StreamBackendEventArgs
                    {
                        Kind = StreamBackendEventKind.RecordingRecovered,
                        CameraId = CameraId,
                        Reason = "ffmpeg was restarted after a failure; the recording continues in a new segment.",
                        Recording = session.ToBackendRecording(null),
                    });
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (DependencyFailedException ex)
            {
                Log.RestartFailed(owner.Logger, ex, CameraId);
                HandleFailure(ex.Message, events);
            }
        }
        finally
        {
            gate.Release();
        }

        owner.Raise(events);
    }

    private void SweepSegments(Run r)
    {
        if (r.Recording is { } session && r.TempPrefix is { } prefix)
        {
            session.Add(namer.Sweep(session.Directory, prefix, owner.Time));
        }
    }

    private async Task<string> WaitForLiveFrameAsync(Run r, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(WorkDirectory, FfmpegCommand.LiveFrameName);
        var deadline = owner.Time.GetUtcNow() + timeout;
        while (true)
        {
            if (File.Exists(path))
            {
                return path;
            }

            if (r.Process.HasExited || owner.Time.GetUtcNow() > deadline)
            {
                throw new DependencyFailedException("ffmpeg",
                    $"The stream of camera {CameraId} delivered no frame within {timeout.TotalSeconds:0.#} s; try again.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), owner.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunOneShotAsync(string ffmpeg, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = FfmpegProcess.Start(ffmpeg, args, owner.Logger, owner.Time, CameraId, owner.Options.StderrLinesPerMinute);
        owner.Track(process);
        try
        {
            using var timeoutCts = new CancellationTokenSource(timeout, owner.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw new DependencyFailedException("ffmpeg",
                    $"No frame of camera {CameraId} within {timeout.TotalSeconds:0.#} s; check the camera and try again.");
            }

            if (process.ExitCode != 0)
            {
                Log.ProcessCrashed(owner.Logger, CameraId, process.Id, process.ExitCode, process.RecentOutput);
                throw new DependencyFailedException("ffmpeg",
                    $"ffmpeg could not capture a frame of camera {CameraId} (exit code {process.ExitCode}); check the camera and the service log.");
            }
        }
        finally
        {
            owner.Untrack(process);
        }
    }

    private static void PrepareWorkDirectory(string work)
    {
        // A fresh process starts a fresh playlist: old segments would confuse players and fill the disk.
        TryDeleteDirectory(work);
        Directory.CreateDirectory(work);
    }

    private static void TryDeleteDirectory(string path)
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

    /// <summary>One process run and what it produces.</summary>
    private sealed class Run(FfmpegProcess process, bool hls, RecordingSession? recording, string? tempPrefix)
    {
        public FfmpegProcess Process { get; } = process;

        public bool Hls { get; } = hls;

        public RecordingSession? Recording { get; } = recording;

        public string? TempPrefix { get; } = tempPrefix;

        public Task? Monitor { get; set; }
    }
}

using System.Diagnostics.CodeAnalysis;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// The one ffmpeg process of one camera and what it must produce now (HLS, recording, both). All changes go
/// through <see cref="_gate"/>, so at most one process per camera exists and a one-shot snapshot never runs
/// beside it. A change of outputs restarts the process; a recording then continues in a new segment.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification =
    "Background restarts may still touch the gate and token after close; neither holds an unmanaged resource here (no wait handle, no timer).")]
internal sealed class CameraPipeline
{
    /// <summary>A process that ran this long after its first frame resets the failure count.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(30);

    private readonly FfmpegStreamBackend _owner;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SegmentNamer _namer;
    private volatile Run? _run;
    private volatile RecordingSession? _recording;
    private volatile bool _hlsWanted;
    private volatile bool _failing;
    private volatile string? _failure;
    private int _consecutiveFailures;
    private bool _closed;
    private long _hlsBytesServed;
    private long _lastHlsAccessTicks;

    public CameraPipeline(FfmpegStreamBackend owner, StreamCamera camera)
    {
        _owner = owner;
        Camera = camera;
        _namer = new SegmentNamer(camera.CameraId, owner.Logger);
    }

    public StreamCamera Camera { get; private set; }

    public string CameraId => Camera.CameraId;

    /// <summary>Per-camera working directory: HLS playlist and segments, live frame.</summary>
    public string WorkDirectory => Path.Combine(_owner.HlsRoot, CameraId);

    /// <summary>The HLS directory when the running process produces HLS, else null.</summary>
    public string? ServingHlsDirectory => _run is { Hls: true } ? WorkDirectory : null;

    /// <summary>Whether HLS was asked for (it may still be starting).</summary>
    public bool HlsWanted => _hlsWanted;

    /// <summary>The failure the camera is recovering from, null when fine.</summary>
    public string? Failure => _failing ? _failure : null;

    public BackendRecording? ActiveRecording => _recording?.ToBackendRecording(null);

    /// <summary>The pid of the running ffmpeg (diagnostics and tests).</summary>
    public int? ProcessId => _run?.Process.Id;

    public void NoteHlsServed(long bytes)
    {
        Interlocked.Add(ref _hlsBytesServed, bytes);
        Interlocked.Exchange(ref _lastHlsAccessTicks, _owner.Time.GetUtcNow().UtcTicks);
    }

    public StreamInfo GetInfo()
    {
        var r = _run;
        var wanted = _hlsWanted || _recording is not null;
        var state = r is null
            ? (_failing && wanted ? StreamState.Error : wanted ? StreamState.Starting : StreamState.Inactive)
            : r.Process.ReadyAt is null ? StreamState.Starting : StreamState.Active;
        var recentViewer = _owner.Time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastHlsAccessTicks) < TimeSpan.TicksPerSecond * 15;
        var readers = (_recording is not null ? 1 : 0) + (r is { Hls: true } && recentViewer ? 1 : 0);
        return new StreamInfo
        {
            CameraId = CameraId,
            Name = CameraId,
            Source = "ffmpeg",
            State = state,
            Ready = r?.Process.ReadyAt is not null,
            Readers = readers,
            BytesSent = Interlocked.Read(ref _hlsBytesServed),
            StartTime = r?.Process.ReadyAt,
        };
    }

    /// <summary>Takes a new description of the camera; a running process is restarted when its input changed.</summary>
    public async Task UpdateCameraAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var inputChanged = !Equals(Camera.Input, camera.Input);
            Camera = camera;
            if (_recording is null)
            {
                // Segments a killed service left behind get their final names, so they are not lost.
                var recovered = _namer.Sweep(camera.RecordingDirectory, _namer.CameraTempPrefix, _owner.Time);
                if (recovered.Count > 0)
                {
                    Log.OrphanSegmentsRecovered(_owner.Logger, recovered.Count, CameraId);
                }
            }

            if (inputChanged && _run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
                await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }

        _owner.Raise(events);
    }

    public async Task<StreamInfo> StartStreamingAsync(CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            _hlsWanted = true;
            if (_run is { Hls: true })
            {
                return GetInfo();
            }

            if (_run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            try
            {
                await StartRunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException)
            {
                _hlsWanted = false;
                if (_recording is not null)
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
            _gate.Release();
            _owner.Raise(events);
        }
    }

    public async Task<StreamInfo> StopStreamingAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _hlsWanted = false;
            // While recording, the HLS output stays in the running process (dropped at its next restart):
            // restarting only to remove it would cut the recording into one more segment for nothing.
            if (_recording is null && _run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
                TryDeleteDirectory(WorkDirectory);
            }

            _failing = _failing && _recording is not null;
            return GetInfo();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            if (_recording is { } active)
            {
                throw new InvalidStateException("already_recording", "RECORDING",
                    $"Camera {CameraId} is already recording (session {active.SessionId}); stop it first.");
            }

            Directory.CreateDirectory(request.OutputDirectory);
            var session = new RecordingSession(CameraId, request.SessionId, request.Format, request.OutputDirectory, _owner.Time.GetUtcNow());
            _recording = session;
            if (_run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            try
            {
                await StartRunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException)
            {
                _recording = null;
                if (_hlsWanted)
                {
                    HandleFailure(ex.Message, events);
                }

                throw;
            }

            return session.ToBackendRecording(null);
        }
        finally
        {
            _gate.Release();
            _owner.Raise(events);
        }
    }

    public async Task<BackendRecording> StopRecordingAsync(CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_recording is not { } session)
            {
                throw new InvalidStateException("not_recording", "STOPPED", $"Camera {CameraId} is not recording.");
            }

            _recording = null;
            if (_run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            var result = session.ToBackendRecording(_owner.Time.GetUtcNow());
            if (_hlsWanted && !_closed)
            {
                // The live stream goes on without the recording output (a new process, see docs).
                await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _failing = false;
            }

            return result;
        }
        finally
        {
            _gate.Release();
            _owner.Raise(events);
        }
    }

    public async Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        var ffmpeg = _owner.RequireFfmpeg();
        var temp = Path.Combine(Path.GetDirectoryName(request.OutputPath)!, "." + Path.GetFileName(request.OutputPath) + ".tmp");
        Run? r;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            r = _run;
            if (r is null)
            {
                // Nothing holds the device: a short-lived process may open it; the gate keeps a stream from
                // starting meanwhile.
                var args = FfmpegCommand.BuildSnapshotFromInput(Camera.Input, temp, request.Format, request.Quality);
                await RunOneShotAsync(ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
                Log.SnapshotOneShot(_owner.Logger, CameraId);
            }
        }
        finally
        {
            _gate.Release();
        }

        if (r is not null)
        {
            var live = await WaitForLiveFrameAsync(r, request.Timeout, cancellationToken).ConfigureAwait(false);
            var args = FfmpegCommand.BuildSnapshotFromFile(live, temp, request.Format, request.Quality);
            await RunOneShotAsync(ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
            Log.SnapshotFromLiveFrame(_owner.Logger, CameraId);
        }

        File.Move(temp, request.OutputPath, overwrite: true);
        var (width, height) = ImageInfo.ReadSize(request.OutputPath);
        return new SnapshotResult { Path = request.OutputPath, Size = new FileInfo(request.OutputPath).Length, Width = width, Height = height };
    }

    /// <summary>Stops everything (unpublish, shutdown); a recording is finalized first.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _closed = true;
            _hlsWanted = false;
            _recording = null;
            _failing = false;
            if (_run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            TryDeleteDirectory(WorkDirectory);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends SIGINT to the running process without waiting (the service process is exiting).</summary>
    public void Interrupt() => _run?.Process.Interrupt();

    private void ThrowIfClosed()
    {
        if (_closed)
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
        var ffmpeg = _owner.RequireFfmpeg();
        var options = _owner.Options;
        var session = _recording;
        var hls = _hlsWanted;
        var work = WorkDirectory;
        PrepareWorkDirectory(work);
        RecordingTarget? target = null;
        if (session is not null)
        {
            Directory.CreateDirectory(session.Directory);
            target = new RecordingTarget(session.Directory, session.Format, _namer.CameraTempPrefix + Guid.NewGuid().ToString("N")[..8] + "-");
        }

        var outputs = new PipelineOutputs(hls ? work : null, target, Path.Combine(work, FfmpegCommand.LiveFrameName));
        var args = FfmpegCommand.BuildPipeline(Camera.Input, options, outputs);
        var process = FfmpegProcess.Start(ffmpeg, args, _owner.Logger, _owner.Time, CameraId, options.StderrLinesPerMinute);
        _owner.Track(process);
        var r = new Run(process, hls, session, target?.TempPrefix);
        Log.ProcessStarted(_owner.Logger, CameraId, process.Id, hls, session is not null);

        using var timeout = new CancellationTokenSource(options.StartTimeout, _owner.Time);
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
            Log.ProcessCrashed(_owner.Logger, CameraId, process.Id, exitCode, output);
            throw new DependencyFailedException("ffmpeg",
                exitCode == -1
                    ? $"ffmpeg delivered no frame of camera {CameraId} within {options.StartTimeout.TotalSeconds:0} s; check the camera and the service log."
                    : $"ffmpeg could not start the stream of camera {CameraId} (exit code {exitCode}); check the camera and the service log.");
        }

        SweepSegments(r);
        _run = r;
        _failing = false;
        r.Monitor = MonitorAsync(r);
    }

    /// <summary>Under the gate: stops a process so that its outputs are finalized, and collects its segments.</summary>
    private async Task StopRunAsync(Run r)
    {
        if (ReferenceEquals(_run, r))
        {
            _run = null;
        }

        // Never cancelled by the caller: an interrupted stop would leave an MP4 without its trailer.
        await r.Process.StopAsync(_owner.Options.StopTimeout, CancellationToken.None).ConfigureAwait(false);
        SweepSegments(r);
        _owner.Untrack(r.Process);
        Log.ProcessStopped(_owner.Logger, CameraId, r.Process.Id, r.Process.ExitCode);
        r.Process.Dispose();
    }

    private async Task MonitorAsync(Run r)
    {
        var options = _owner.Options;
        var exited = r.Process.WaitForExitAsync(CancellationToken.None);
        while (true)
        {
            var finished = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMilliseconds(500), _owner.Time)).ConfigureAwait(false);
            SweepSegments(r);
            if (finished == exited)
            {
                break;
            }

            if (!r.Process.StopRequested && _owner.Time.GetUtcNow() - r.Process.LastProgress > options.StallTimeout)
            {
                Log.ProcessStalled(_owner.Logger, CameraId, r.Process.Id, options.StallTimeout);
                r.Process.Kill();
            }
        }

        SweepSegments(r);
        if (r.Process.StopRequested)
        {
            return;
        }

        var exitCode = r.Process.ExitCode;
        Log.ProcessCrashed(_owner.Logger, CameraId, r.Process.Id, exitCode, r.Process.RecentOutput);
        var events = new List<StreamBackendEventArgs>();
        try
        {
            await _gate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (!ReferenceEquals(_run, r))
            {
                return;
            }

            _run = null;
            _owner.Untrack(r.Process);
            if (r.Process.ReadyAt is { } ready && _owner.Time.GetUtcNow() - ready >= StableRun)
            {
                _consecutiveFailures = 0;
            }

            r.Process.Dispose();
            HandleFailure($"ffmpeg for camera {CameraId} exited unexpectedly (exit code {exitCode})", events);
        }
        finally
        {
            _gate.Release();
        }

        _owner.Raise(events);
    }

    /// <summary>Under the gate: counts a failure, gives up a recording after too many, schedules a restart.</summary>
    private void HandleFailure(string error, List<StreamBackendEventArgs> events)
    {
        if (_owner.ShuttingDown)
        {
            // SIGINT/SIGTERM reach our children too (same process group / cgroup): their exit is the shutdown,
            // not a failure; StopAsync finalizes the rest.
            return;
        }

        _consecutiveFailures++;
        _failure = error;
        _failing = true;
        _owner.ReportError(error);
        var options = _owner.Options;
        if (_recording is { } session && _consecutiveFailures > options.MaxRestartAttempts)
        {
            _recording = null;
            Log.RecordingFailed(_owner.Logger, CameraId, options.MaxRestartAttempts);
            events.Add(new StreamBackendEventArgs
            {
                Kind = StreamBackendEventKind.RecordingFailed,
                CameraId = CameraId,
                Reason = $"ffmpeg failed {_consecutiveFailures} times in a row; the recording was stopped. Last error: {error}",
                Recording = session.ToBackendRecording(_owner.Time.GetUtcNow()),
            });
        }

        events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = error });
        if (_recording is null && !_hlsWanted)
        {
            return;
        }

        var factor = Math.Pow(2, Math.Min(_consecutiveFailures - 1, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(options.RestartBackoff.Ticks * factor, options.MaxRestartBackoff.Ticks));
        Log.RestartScheduled(_owner.Logger, CameraId, delay, _consecutiveFailures);
        _ = RestartLaterAsync(delay);
    }

    private async Task RestartLaterAsync(TimeSpan delay)
    {
        var events = new List<StreamBackendEventArgs>();
        try
        {
            await Task.Delay(delay, _owner.Time, _lifetime.Token).ConfigureAwait(false);
            await _gate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (_closed || _run is not null || (_recording is null && !_hlsWanted))
            {
                return;
            }

            try
            {
                await StartRunAsync(_lifetime.Token).ConfigureAwait(false);
                _failing = false;
                events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = "ffmpeg restarted" });
                if (_recording is { } session)
                {
                    Log.RecordingRecovered(_owner.Logger, CameraId);
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
                Log.RestartFailed(_owner.Logger, ex, CameraId);
                HandleFailure(ex.Message, events);
            }
        }
        finally
        {
            _gate.Release();
        }

        _owner.Raise(events);
    }

    private void SweepSegments(Run r)
    {
        if (r.Recording is { } session && r.TempPrefix is { } prefix)
        {
            session.Add(_namer.Sweep(session.Directory, prefix, _owner.Time));
        }
    }

    private async Task<string> WaitForLiveFrameAsync(Run r, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(WorkDirectory, FfmpegCommand.LiveFrameName);
        var deadline = _owner.Time.GetUtcNow() + timeout;
        while (true)
        {
            if (File.Exists(path))
            {
                return path;
            }

            if (r.Process.HasExited || _owner.Time.GetUtcNow() > deadline)
            {
                throw new DependencyFailedException("ffmpeg",
                    $"The stream of camera {CameraId} delivered no frame within {timeout.TotalSeconds:0.#} s; try again.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _owner.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunOneShotAsync(string ffmpeg, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = FfmpegProcess.Start(ffmpeg, args, _owner.Logger, _owner.Time, CameraId, _owner.Options.StderrLinesPerMinute);
        _owner.Track(process);
        try
        {
            using var timeoutCts = new CancellationTokenSource(timeout, _owner.Time);
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
                Log.ProcessCrashed(_owner.Logger, CameraId, process.Id, process.ExitCode, process.RecentOutput);
                throw new DependencyFailedException("ffmpeg",
                    $"ffmpeg could not capture a frame of camera {CameraId} (exit code {process.ExitCode}); check the camera and the service log.");
            }
        }
        finally
        {
            _owner.Untrack(process);
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

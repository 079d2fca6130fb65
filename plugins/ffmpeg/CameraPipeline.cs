using System.Diagnostics.CodeAnalysis;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

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
    private readonly PipelineContext _context;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly PipelineRecording _recording;
    private volatile PipelineRun? _run;
    private volatile bool _hlsWanted;
    private volatile bool _failing;
    private volatile string? _failure;
    private bool _closed;
    private readonly PipelineFrameReaders _frameReaders;
    private readonly RestartBackoff _backoff;
    private readonly HlsViewers _viewers;

    public CameraPipeline(PipelineContext context, StreamCamera camera)
    {
        _context = context;
        Camera = camera;
        _recording = new PipelineRecording(this, context, camera.CameraId);
        _frameReaders = new PipelineFrameReaders(this);
        _backoff = new RestartBackoff(context.Options);
        _viewers = new HlsViewers(context.Time);
    }

    public StreamCamera Camera { get; private set; }

    /// <summary>The running process, null when none runs.</summary>
    internal PipelineRun? Run => _run;

    /// <summary>Whether something besides a recording needs the process (HLS, the pre-event buffer, a frame reader).</summary>
    internal bool WantsProcessWithoutRecording => _hlsWanted || KeepRunning;

    /// <summary>Whether a recording runs.</summary>
    internal bool Recording => _recording.Session is not null;

    public string CameraId => Camera.CameraId;

    /// <summary>Per-camera working directory: HLS playlist and segments, live frame.</summary>
    public string WorkDirectory => Path.Combine(_context.HlsRoot, CameraId);

    /// <summary>The HLS directory when the running process produces HLS, else null.</summary>
    public string? ServingHlsDirectory => _run is { Hls: true } ? WorkDirectory : null;

    /// <summary>Whether HLS was asked for (it may still be starting).</summary>
    public bool HlsWanted => _hlsWanted;

    /// <summary>The failure the camera is recovering from, null when fine.</summary>
    public string? Failure => _failing ? _failure : null;

    /// <summary>The running recording, its bytes including the segment being written.</summary>
    public BackendRecording? ActiveRecording => _recording.Current;

    /// <summary>The feed of the running process (tests: its pre-event buffer), null when none runs.</summary>
    internal CameraFeed? Feed => _run?.Feed;

    /// <summary>
    /// With a pre-event buffer the process runs as long as the camera is published ("the running stream keeps a rolling
    /// buffer"); while frames are read from it (motion detection), too.
    /// </summary>
    private bool KeepRunning => (_context.Options.PreEventBuffer > TimeSpan.Zero || _frameReaders.Count > 0) && !_closed;

    /// <summary>The pid of the running ffmpeg (diagnostics and tests).</summary>
    public int? ProcessId => _run?.Process.Id;

    public void NoteHlsServed(long bytes) => _viewers.Served(bytes);

    public StreamInfo GetInfo()
    {
        var r = _run;
        var wanted = _hlsWanted || _recording.Session is not null;
        var state = r is null
            ? (_failing && wanted ? StreamState.Error : wanted ? StreamState.Starting : StreamState.Inactive)
            : r.Process.ReadyAt is null ? StreamState.Starting : StreamState.Active;
        var readers = (_recording.Session is not null ? 1 : 0) + (r is { Hls: true } && _viewers.Recent ? 1 : 0);
        return new StreamInfo
        {
            CameraId = CameraId,
            Name = CameraId,
            Source = "ffmpeg",
            State = state,
            Ready = r?.Process.ReadyAt is not null,
            Readers = readers,
            BytesSent = _viewers.BytesServed,
            StartTime = r?.Process.ReadyAt,
        };
    }

    /// <summary>Takes a new description of the camera; a running process is restarted when its input changed.</summary>
    public Task UpdateCameraAsync(StreamCamera camera, CancellationToken cancellationToken) =>
        LockedAsync(async events =>
        {
            var inputChanged = !Equals(Camera.Input, camera.Input);
            Camera = camera;
            _recording.RecoverOrphans(camera.RecordingDirectory);
            if (inputChanged && _run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
                await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
            }
            else if (KeepRunning && _run is null && !_failing)
            {
                // In the background: publishing does not wait for the camera's first frame (a failure is retried with backoff).
                _ = StartInBackgroundAsync();
            }

            return true;
        }, cancellationToken);

    public Task<StreamInfo> StartStreamingAsync(CancellationToken cancellationToken) =>
        LockedAsync(async events =>
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
            catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException or IOException or UnauthorizedAccessException)
            {
                _hlsWanted = false;
                if (_recording.Session is not null)
                {
                    // The recording lost its process with the failed restart: recover it with backoff.
                    HandleFailure(ex.Message, events);
                }

                throw;
            }

            return GetInfo();
        }, cancellationToken);

    public Task<StreamInfo> StopStreamingAsync(CancellationToken cancellationToken) =>
        LockedAsync(async events =>
        {
            _hlsWanted = false;
            // While recording, the HLS output stays in the running process (dropped at its next restart):
            // restarting only to remove it would cut the recording into one more segment for nothing.
            if (_recording.Session is null && _run is { } r && (r.Hls || !KeepRunning))
            {
                await StopRunAsync(r).ConfigureAwait(false);
                PipelineRun.TryDeleteDirectory(WorkDirectory);
                if (KeepRunning)
                {
                    // The pre-event buffer keeps the camera's process running, now without HLS.
                    await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
                }
            }

            _failing = _failing && (_recording.Session is not null || KeepRunning);
            return GetInfo();
        }, cancellationToken);

    public Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken) =>
        LockedAsync(events =>
        {
            ThrowIfClosed();
            return _recording.StartAsync(request, events, cancellationToken);
        }, cancellationToken);

    public Task<BackendRecording> StopRecordingAsync(CancellationToken cancellationToken) =>
        LockedAsync(_ => _recording.StopAsync(), cancellationToken);

    public async Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        var ffmpeg = _context.RequireFfmpeg();
        var temp = Path.Combine(Path.GetDirectoryName(request.OutputPath)!, "." + Path.GetFileName(request.OutputPath) + ".tmp");
        var r = await LockedAsync(async _ =>
        {
            ThrowIfClosed();
            if (_run is null)
            {
                // Nothing holds the device: a short-lived process may open it; the gate keeps a stream from starting meanwhile.
                await PipelineRun.SnapshotFromInputAsync(_context, Camera, ffmpeg, temp, request, cancellationToken).ConfigureAwait(false);
            }

            return _run;
        }, cancellationToken).ConfigureAwait(false);
        if (r is not null)
        {
            await r.SnapshotFromLiveFrameAsync(WorkDirectory, ffmpeg, temp, request, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, request.OutputPath, overwrite: true);
        var (width, height) = ImageInfo.ReadSize(request.OutputPath);
        return new SnapshotResult { Path = request.OutputPath, Size = new FileInfo(request.OutputPath).Length, Width = width, Height = height };
    }

    /// <summary>Stops everything (unpublish, shutdown); a recording is finalized first.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await LockedAsync(async _ =>
        {
            _closed = true;
            _hlsWanted = false;
            _recording.Drop();
            _failing = false;
            if (_run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }

            await _recording.FinishWriterAsync(stop: true).ConfigureAwait(false);
            await _recording.WaitForRecordersAsync().ConfigureAwait(false);
            PipelineRun.TryDeleteDirectory(WorkDirectory);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A decoder's view of the camera's feed (frame analysis): the process is started if none runs and kept running until
    /// <see cref="CloseFrameReaderAsync"/>. A process restart ends the stream (the reader then opens a new one).
    /// </summary>
    public Task<FeedStream> OpenFrameReaderAsync(CancellationToken cancellationToken) =>
        LockedAsync(_ =>
        {
            ThrowIfClosed();
            return _frameReaders.OpenAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>The reader is done: it leaves the feed, and a process nothing else wants is stopped.</summary>
    public Task CloseFrameReaderAsync(FeedStream stream) =>
        LockedAsync(async _ =>
        {
            await _frameReaders.CloseAsync(stream).ConfigureAwait(false);
            return true;
        }, CancellationToken.None);

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
    internal async Task StartRunAsync(CancellationToken cancellationToken)
    {
        var r = await PipelineRun.StartAsync(_context, Camera, _hlsWanted, WorkDirectory, cancellationToken).ConfigureAwait(false);
        _run = r;
        _failing = false;
        _recording.JoinNewRun(r);
        r.Monitor = MonitorAsync(r);
    }

    /// <summary>Under the gate: stops the process when nothing wants it any more (no HLS, no pre-event buffer, no reader).</summary>
    internal async Task StopIfUnwantedAsync(bool clearFailure)
    {
        if (_hlsWanted || KeepRunning)
        {
            return;
        }

        if (_run is { } r)
        {
            await StopRunAsync(r).ConfigureAwait(false);
        }

        // Nothing of the camera runs on: neither do the recorders that are still exiting.
        await _recording.WaitForRecordersAsync().ConfigureAwait(false);
        _failing = _failing && !clearFailure;
    }

    /// <summary>Runs <paramref name="action"/> under the gate; the events it collects are raised after.</summary>
    private async Task<T> LockedAsync<T>(Func<List<StreamBackendEventArgs>, Task<T>> action, CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(events).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
            _context.Raise(events);
        }
    }

    /// <summary>Background work: after <paramref name="before"/>, runs <paramref name="action"/> under the gate (not once the pipeline closed).</summary>
    internal async Task InBackgroundAsync(Task before, Func<List<StreamBackendEventArgs>, Task> action)
    {
        var events = new List<StreamBackendEventArgs>();
        if (!await EnterAfterAsync(before).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await action(events).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        _context.Raise(events);
    }

    /// <summary>For background work: waits for <paramref name="before"/>, then enters the gate; false when the pipeline closed meanwhile.</summary>
    private async Task<bool> EnterAfterAsync(Task before)
    {
        try
        {
            await before.ConfigureAwait(false);
            await _gate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Starts the process of a camera whose pre-event buffer must run, without making the caller wait.</summary>
    private Task StartInBackgroundAsync() =>
        InBackgroundAsync(Task.CompletedTask, async events =>
        {
            try
            {
                if (KeepRunning && _run is null && !_failing)
                {
                    await StartOrScheduleAsync(events, _lifetime.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Closed meanwhile.
            }
        });

    /// <summary>Under the gate: stops a process so that its outputs are finalized; a recording's writer finalizes its segment.</summary>
    private async Task StopRunAsync(PipelineRun r)
    {
        if (ReferenceEquals(_run, r))
        {
            _run = null;
        }

        await r.StopAsync().ConfigureAwait(false);
        await _recording.FinishWriterAsync(stop: false).ConfigureAwait(false);
    }

    private async Task MonitorAsync(PipelineRun r)
    {
        if (!await r.WatchAsync().ConfigureAwait(false))
        {
            return;
        }

        var exitCode = r.Process.ExitCode;
        Log.ProcessCrashed(_context.Logger, CameraId, r.Process.Id, exitCode, r.Process.RecentOutput);
        await InBackgroundAsync(Task.CompletedTask, async events =>
        {
            if (!ReferenceEquals(_run, r))
            {
                return;
            }

            _run = null;
            _context.Processes.Untrack(r.Process);
            _backoff.Exited(r.Process.ReadyAt, _context.Time.GetUtcNow());

            // The writer ends with the feed (after the last bytes of the process's output) and finalizes its segment meanwhile:
            // the restart does not wait for it (a stop does).
            _recording.LetWriterFinish();
            r.Process.Dispose();
            var ran = r.Process.ReadyAt is { } ready ? _context.Time.GetUtcNow() - ready : TimeSpan.Zero;
            HandleFailure($"ffmpeg for camera {CameraId} exited unexpectedly (exit code {exitCode})", events, ran);
        }).ConfigureAwait(false);
    }

    /// <summary>Under the gate: counts a failure, gives up a recording after too many, schedules a restart.</summary>
    internal void HandleFailure(string error, List<StreamBackendEventArgs> events, TimeSpan ran = default)
    {
        if (_context.ShuttingDown())
        {
            // SIGINT/SIGTERM reach our children too (same process group / cgroup): their exit is the shutdown,
            // not a failure; StopAsync finalizes the rest.
            return;
        }

        var failures = _backoff.Failed();
        _failure = error;
        _failing = true;
        _context.ReportError(error);
        var options = _context.Options;
        if (_recording.Session is { } session && failures > options.MaxRestartAttempts)
        {
            _recording.Drop();
            Log.RecordingFailed(_context.Logger, CameraId, options.MaxRestartAttempts);
            events.Add(session.ToEvent(StreamBackendEventKind.RecordingFailed, $"ffmpeg failed {failures} times in a row; the recording was stopped. Last error: {error}", _context.Time.GetUtcNow()));
        }

        events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = error });
        if (_recording.Session is null && !_hlsWanted && !KeepRunning)
        {
            return;
        }

        var delay = _backoff.NextDelay(ran);
        Log.RestartScheduled(_context.Logger, CameraId, delay, failures);
        _ = RestartLaterAsync(delay);
    }

    private Task RestartLaterAsync(TimeSpan delay) =>
        InBackgroundAsync(Task.Delay(delay, _context.Time, _lifetime.Token), async events =>
        {
            if (_closed || _run is not null || (_recording.Session is null && !_hlsWanted && !KeepRunning))
            {
                return;
            }

            try
            {
                await StartRunAsync(_lifetime.Token).ConfigureAwait(false);
                _failing = false;
                events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = "ffmpeg restarted" });
                if (_recording.Session is { } session)
                {
                    Log.RecordingRecovered(_context.Logger, CameraId);
                    events.Add(session.ToEvent(StreamBackendEventKind.RecordingRecovered, "ffmpeg was restarted after a failure; the recording continues in a new segment.", null));
                }
            }
            catch (OperationCanceledException)
            {
                // Closed meanwhile.
            }
            catch (DependencyFailedException ex)
            {
                Log.RestartFailed(_context.Logger, ex, CameraId);
                HandleFailure(ex.Message, events);
            }
        });
}

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
    private readonly SegmentNamer _namer;
    private volatile PipelineRun? _run;
    private volatile RecordingSession? _recording;
    private RecordingWriter? _writer;
    private volatile bool _hlsWanted;
    private volatile bool _failing;
    private volatile string? _failure;
    private bool _closed;
    private int _frameReaders;
    private readonly RestartBackoff _backoff;
    private readonly HlsViewers _viewers;

    public CameraPipeline(PipelineContext context, StreamCamera camera)
    {
        _context = context;
        Camera = camera;
        _namer = new SegmentNamer(camera.CameraId, context.Logger);
        _backoff = new RestartBackoff(context.Options);
        _viewers = new HlsViewers(context.Time);
    }

    public StreamCamera Camera { get; private set; }

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
    public BackendRecording? ActiveRecording => _recording?.ToBackendRecording(null);

    /// <summary>The feed of the running process (tests: its pre-event buffer), null when none runs.</summary>
    internal CameraFeed? Feed => _run?.Feed;

    /// <summary>
    /// With a pre-event buffer the process runs as long as the camera is published ("the running stream keeps a rolling
    /// buffer"); while frames are read from it (motion detection), too.
    /// </summary>
    private bool KeepRunning => (_context.Options.PreEventBuffer > TimeSpan.Zero || Volatile.Read(ref _frameReaders) > 0) && !_closed;

    /// <summary>The pid of the running ffmpeg (diagnostics and tests).</summary>
    public int? ProcessId => _run?.Process.Id;

    public void NoteHlsServed(long bytes) => _viewers.Served(bytes);

    public StreamInfo GetInfo()
    {
        var r = _run;
        var wanted = _hlsWanted || _recording is not null;
        var state = r is null
            ? (_failing && wanted ? StreamState.Error : wanted ? StreamState.Starting : StreamState.Inactive)
            : r.Process.ReadyAt is null ? StreamState.Starting : StreamState.Active;
        var readers = (_recording is not null ? 1 : 0) + (r is { Hls: true } && _viewers.Recent ? 1 : 0);
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
                var recovered = _namer.Sweep(camera.RecordingDirectory, _namer.CameraTempPrefix, _context.Time);
                if (recovered.Count > 0)
                {
                    Log.OrphanSegmentsRecovered(_context.Logger, recovered.Count, CameraId);
                }
            }

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
        }
        finally
        {
            _gate.Release();
        }

        _context.Raise(events);
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
            _context.Raise(events);
        }
    }

    public async Task<StreamInfo> StopStreamingAsync(CancellationToken cancellationToken)
    {
        var events = new List<StreamBackendEventArgs>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _hlsWanted = false;
            // While recording, the HLS output stays in the running process (dropped at its next restart):
            // restarting only to remove it would cut the recording into one more segment for nothing.
            if (_recording is null && _run is { } r && (r.Hls || !KeepRunning))
            {
                await StopRunAsync(r).ConfigureAwait(false);
                PipelineRun.TryDeleteDirectory(WorkDirectory);
                if (KeepRunning)
                {
                    // The pre-event buffer keeps the camera's process running, now without HLS.
                    await StartOrScheduleAsync(events, cancellationToken).ConfigureAwait(false);
                }
            }

            _failing = _failing && (_recording is not null || KeepRunning);
            return GetInfo();
        }
        finally
        {
            _gate.Release();
            _context.Raise(events);
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

            var options = _context.Options;
            if (request.PreEvent > TimeSpan.Zero && options.PreEventBuffer <= TimeSpan.Zero)
            {
                throw new UnsupportedFeatureException("pre_event_buffer",
                    "The ffmpeg backend keeps no pre-event buffer; set Plugins:Ffmpeg:PreEventBuffer (e.g. 00:00:30) and restart the service to record seconds from before the call.");
            }

            if (request.Audio && FfmpegInput.AudioStream(Camera.Input) is null)
            {
                throw new UnsupportedFeatureException("audio", $"Camera {CameraId} has no audio input; record without audio.");
            }

            Directory.CreateDirectory(request.OutputDirectory);
            var session = new RecordingSession(CameraId, request.SessionId, request.Format, request.OutputDirectory, _context.Time.GetUtcNow())
            {
                Audio = request.Audio,
                SegmentMaxBytes = request.SegmentMaxBytes,
            };
            _recording = session;
            if (_run is { } r)
            {
                // The camera's process runs: the recording joins its feed, nothing is restarted.
                Attach(r, session, request.PreEvent > TimeSpan.Zero ? _context.Time.GetUtcNow() - request.PreEvent : null);
                return session.ToBackendRecording(null);
            }

            try
            {
                await StartRunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException)
            {
                _recording = null;
                if (_hlsWanted || KeepRunning)
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
            _context.Raise(events);
        }
    }

    public async Task<BackendRecording> StopRecordingAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_recording is not { } session)
            {
                throw new InvalidStateException("not_recording", "STOPPED", $"Camera {CameraId} is not recording.");
            }

            _recording = null;
            // The recording ends now (its last frame is the feed's latest); the interval in progress is written too and the
            // last segment finalized before the answer.
            var end = _context.Time.GetUtcNow();
            await FinishWriterAsync(stop: true).ConfigureAwait(false);
            var result = session.ToBackendRecording(end);
            if (!_hlsWanted && !KeepRunning)
            {
                if (_run is { } r)
                {
                    await StopRunAsync(r).ConfigureAwait(false);
                }

                _failing = false;
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        var ffmpeg = _context.RequireFfmpeg();
        var temp = Path.Combine(Path.GetDirectoryName(request.OutputPath)!, "." + Path.GetFileName(request.OutputPath) + ".tmp");
        PipelineRun? r;
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
                await PipelineRun.RunSnapshotAsync(_context, CameraId, ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
                Log.SnapshotOneShot(_context.Logger, CameraId);
            }
        }
        finally
        {
            _gate.Release();
        }

        if (r is not null)
        {
            var live = await r.WaitForLiveFrameAsync(WorkDirectory, request.Timeout, cancellationToken).ConfigureAwait(false);
            var args = FfmpegCommand.BuildSnapshotFromFile(live, temp, request.Format, request.Quality);
            await PipelineRun.RunSnapshotAsync(_context, CameraId, ffmpeg, args, request.Timeout, cancellationToken).ConfigureAwait(false);
            Log.SnapshotFromLiveFrame(_context.Logger, CameraId);
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

            await FinishWriterAsync(stop: true).ConfigureAwait(false);
            PipelineRun.TryDeleteDirectory(WorkDirectory);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A decoder's view of the camera's feed (frame analysis): the process is started if none runs and kept running until
    /// <see cref="CloseFrameReaderAsync"/>. A process restart ends the stream (the reader then opens a new one).
    /// </summary>
    public async Task<FeedStream> OpenFrameReaderAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            Interlocked.Increment(ref _frameReaders);
            try
            {
                if (_run is null)
                {
                    await StartRunAsync(cancellationToken).ConfigureAwait(false);
                }

                var stream = new FeedStream(_run!.Feed);
                _run.Feed.Listen(stream, null);
                return stream;
            }
            catch
            {
                Interlocked.Decrement(ref _frameReaders);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The reader is done: it leaves the feed, and a process nothing else wants is stopped.</summary>
    public async Task CloseFrameReaderAsync(FeedStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _run?.Feed.Leave(stream);
            Interlocked.Decrement(ref _frameReaders);
            if (_recording is null && !_hlsWanted && !KeepRunning && _run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }
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
        var r = await PipelineRun.StartAsync(_context, Camera, _hlsWanted, WorkDirectory, cancellationToken).ConfigureAwait(false);
        _run = r;
        _failing = false;
        if (_recording is { } session)
        {
            // A recording (new, or going on after a restart) starts a new segment with the new process's first keyframe.
            Attach(r, session, null);
        }

        r.Monitor = MonitorAsync(r);
    }

    /// <summary>Under the gate: the recording joins the feed of <paramref name="r"/> (from <paramref name="from"/> in its pre-event buffer).</summary>
    private void Attach(PipelineRun r, RecordingSession session, DateTimeOffset? from)
    {
        var (writer, start) = RecordingWriter.Start(_context, _namer, CameraId, session, r.Feed, from, OnRecorderGaveUp);
        _writer = writer;
        if (!session.Joined)
        {
            // The first feed the recording joins says when it starts; after a restart it goes on (new segment).
            session.StartTime = start;
            session.Joined = true;
        }
    }

    /// <summary>Under the gate: waits until the recording's writer has finalized its last segment (<paramref name="stop"/>: it leaves the feed first).</summary>
    private async Task FinishWriterAsync(bool stop)
    {
        if (_writer is not { } writer)
        {
            return;
        }

        _writer = null;
        if (stop)
        {
            await writer.StopAsync().ConfigureAwait(false);
        }
        else
        {
            await writer.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>The recorder kept failing: the recording ends (<see cref="StreamBackendEventKind.RecordingFailed"/>) with every file so far.</summary>
    private void OnRecorderGaveUp(RecordingWriter writer, string error) => _ = GiveUpAsync(writer, error);

    private async Task GiveUpAsync(RecordingWriter writer, string error)
    {
        var events = new List<StreamBackendEventArgs>();
        if (!await EnterAfterAsync(writer.Completion).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (!ReferenceEquals(_writer, writer) || !ReferenceEquals(_recording, writer.Session))
            {
                return;
            }

            _writer = null;
            _recording = null;
            Log.RecordingFailed(_context.Logger, CameraId, _context.Options.MaxRestartAttempts);
            events.Add(writer.Session.ToEvent(StreamBackendEventKind.RecordingFailed, error, _context.Time.GetUtcNow()));
            if (!_hlsWanted && !KeepRunning && _run is { } r)
            {
                await StopRunAsync(r).ConfigureAwait(false);
            }
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
    private async Task StartInBackgroundAsync()
    {
        var events = new List<StreamBackendEventArgs>();
        if (!await EnterAfterAsync(Task.CompletedTask).ConfigureAwait(false))
        {
            return;
        }

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
        finally
        {
            _gate.Release();
        }

        _context.Raise(events);
    }

    /// <summary>Under the gate: stops a process so that its outputs are finalized; a recording's writer finalizes its segment.</summary>
    private async Task StopRunAsync(PipelineRun r)
    {
        if (ReferenceEquals(_run, r))
        {
            _run = null;
        }

        await r.StopAsync().ConfigureAwait(false);
        await FinishWriterAsync(stop: false).ConfigureAwait(false);
    }

    private async Task MonitorAsync(PipelineRun r)
    {
        if (!await r.WatchAsync().ConfigureAwait(false))
        {
            return;
        }

        var exitCode = r.Process.ExitCode;
        Log.ProcessCrashed(_context.Logger, CameraId, r.Process.Id, exitCode, r.Process.RecentOutput);
        var events = new List<StreamBackendEventArgs>();
        if (!await EnterAfterAsync(Task.CompletedTask).ConfigureAwait(false))
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
            _context.Processes.Untrack(r.Process);
            _backoff.Exited(r.Process.ReadyAt, _context.Time.GetUtcNow());

            // The writer ends with the feed (after the last bytes of the process's output): its segment is finalized.
            await FinishWriterAsync(stop: false).ConfigureAwait(false);
            r.Process.Dispose();
            HandleFailure($"ffmpeg for camera {CameraId} exited unexpectedly (exit code {exitCode})", events);
        }
        finally
        {
            _gate.Release();
        }

        _context.Raise(events);
    }

    /// <summary>Under the gate: counts a failure, gives up a recording after too many, schedules a restart.</summary>
    private void HandleFailure(string error, List<StreamBackendEventArgs> events)
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
        if (_recording is { } session && failures > options.MaxRestartAttempts)
        {
            _recording = null;
            Log.RecordingFailed(_context.Logger, CameraId, options.MaxRestartAttempts);
            events.Add(session.ToEvent(StreamBackendEventKind.RecordingFailed, $"ffmpeg failed {failures} times in a row; the recording was stopped. Last error: {error}", _context.Time.GetUtcNow()));
        }

        events.Add(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, CameraId = CameraId, Reason = error });
        if (_recording is null && !_hlsWanted && !KeepRunning)
        {
            return;
        }

        var delay = _backoff.NextDelay();
        Log.RestartScheduled(_context.Logger, CameraId, delay, failures);
        _ = RestartLaterAsync(delay);
    }

    private async Task RestartLaterAsync(TimeSpan delay)
    {
        var events = new List<StreamBackendEventArgs>();
        if (!await EnterAfterAsync(Task.Delay(delay, _context.Time, _lifetime.Token)).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (_closed || _run is not null || (_recording is null && !_hlsWanted && !KeepRunning))
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
                    Log.RecordingRecovered(_context.Logger, CameraId);
                    events.Add(session.ToEvent(StreamBackendEventKind.RecordingRecovered, "ffmpeg was restarted after a failure; the recording continues in a new segment.", null));
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (DependencyFailedException ex)
            {
                Log.RestartFailed(_context.Logger, ex, CameraId);
                HandleFailure(ex.Message, events);
            }
        }
        finally
        {
            _gate.Release();
        }

        _context.Raise(events);
    }
}

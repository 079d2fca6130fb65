using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// The recording half of a <see cref="CameraPipeline"/>: the camera's running recording (at most one) and its writer on
/// the current process's feed — how a recording starts (joining a running feed, or starting the process), stops (its last
/// segment finalized), continues after a process restart and ends when its recorder keeps failing. Every method runs
/// under the pipeline's gate; the process itself (start, stop, restart with backoff) stays the pipeline's.
/// </summary>
internal sealed class PipelineRecording(CameraPipeline pipeline, PipelineContext context, string cameraId)
{
    private readonly SegmentNamer _namer = new(cameraId, context.Logger);
    private volatile RecordingSession? _session;
    private RecordingWriter? _writer;
    private readonly List<Task> _finishing = [];
    private readonly List<Task> _exiting = [];

    /// <summary>The running recording, null when none.</summary>
    public RecordingSession? Session => _session;

    /// <summary>The running recording, its bytes including the segment being written.</summary>
    public BackendRecording? Current => _session?.ToBackendRecording(null);

    /// <summary>Segments a killed service left behind get their final names, so they are not lost (not while recording).</summary>
    public void RecoverOrphans(string directory)
    {
        if (_session is not null)
        {
            return;
        }

        var recovered = _namer.Sweep(directory, _namer.CameraTempPrefix, context.Time);
        if (recovered.Count > 0)
        {
            Log.OrphanSegmentsRecovered(context.Logger, recovered.Count, cameraId);
        }
    }

    /// <summary>Starts a recording: it joins the running process's feed, or the process is started for it.</summary>
    public async Task<BackendRecording> StartAsync(RecordingRequest request, List<StreamBackendEventArgs> events, CancellationToken cancellationToken)
    {
        if (_session is { } active)
        {
            throw new InvalidStateException("already_recording", "RECORDING",
                $"Camera {cameraId} is already recording (session {active.SessionId}); stop it first.");
        }

        if (request.PreEvent > TimeSpan.Zero && context.Options.PreEventBuffer <= TimeSpan.Zero)
        {
            throw new UnsupportedFeatureException("pre_event_buffer",
                "The ffmpeg backend keeps no pre-event buffer; set Plugins:Ffmpeg:PreEventBuffer (e.g. 00:00:30) and restart the service to record seconds from before the call.");
        }

        if (request.Audio && FfmpegInput.AudioStream(pipeline.Camera.Input) is null)
        {
            throw new UnsupportedFeatureException("audio", $"Camera {cameraId} has no audio input; record without audio.");
        }

        Directory.CreateDirectory(request.OutputDirectory);
        var session = new RecordingSession(cameraId, request.SessionId, request.Format, request.OutputDirectory, context.Time.GetUtcNow())
        {
            Audio = request.Audio,
            SegmentMaxBytes = request.SegmentMaxBytes,
        };
        _session = session;
        if (pipeline.Run is { } r)
        {
            // The camera's process runs: the recording joins its feed, nothing is restarted.
            Attach(r, session, request.PreEvent > TimeSpan.Zero ? context.Time.GetUtcNow() - request.PreEvent : null);
            return session.ToBackendRecording(null);
        }

        try
        {
            await pipeline.StartRunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DependencyFailedException or OperationCanceledException or IOException or UnauthorizedAccessException)
        {
            _session = null;
            if (pipeline.WantsProcessWithoutRecording)
            {
                pipeline.HandleFailure(ex.Message, events);
            }

            throw;
        }

        return session.ToBackendRecording(null);
    }

    /// <summary>Stops the recording: the interval in progress is written too and the last segment finalized before the answer.</summary>
    public async Task<BackendRecording> StopAsync()
    {
        if (_session is not { } session)
        {
            throw new InvalidStateException("not_recording", "STOPPED", $"Camera {cameraId} is not recording.");
        }

        _session = null;
        // The recording ends now (its last frame is the feed's latest).
        var end = context.Time.GetUtcNow();
        await FinishWriterAsync(stop: true).ConfigureAwait(false);
        var result = session.ToBackendRecording(end);
        await pipeline.StopIfUnwantedAsync(clearFailure: true).ConfigureAwait(false);
        return result;
    }

    /// <summary>A new process runs: a recording (new, or going on after a restart) starts a new segment with its first keyframe.</summary>
    public void JoinNewRun(PipelineRun r)
    {
        if (_session is { } session)
        {
            Attach(r, session, null);
        }
    }

    /// <summary>The recording ends without a stop (closed, or given up after too many failures); returns it, or null when none ran.</summary>
    public RecordingSession? Drop()
    {
        var session = _session;
        _session = null;
        return session;
    }

    /// <summary>
    /// Waits until the recording's writer has finalized its last segment (<paramref name="stop"/>: it leaves the feed first),
    /// and the writers of earlier processes theirs.
    /// </summary>
    public async Task FinishWriterAsync(bool stop)
    {
        if (_writer is { } writer)
        {
            _writer = null;
            await (stop ? writer.StopAsync() : writer.Completion).ConfigureAwait(false);
            _exiting.RemoveAll(t => t.IsCompleted);
            _exiting.Add(writer.Exited);
        }

        await Task.WhenAll(_finishing).ConfigureAwait(false);
        _finishing.Clear();
    }

    /// <summary>
    /// Waits until the recorders of finished writers have exited. A stop does not wait for that (their files are complete
    /// before they exit); stopping the camera's process and closing the pipeline do, so no recorder outlives them.
    /// </summary>
    public async Task WaitForRecordersAsync()
    {
        await Task.WhenAll(_exiting).ConfigureAwait(false);
        _exiting.Clear();
    }

    /// <summary>The process ended (crash): its writer finalizes its segment in the background while the process restarts.</summary>
    public void LetWriterFinish()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            _finishing.RemoveAll(t => t.IsCompleted);
            _finishing.Add(writer.Completion);
            _exiting.RemoveAll(t => t.IsCompleted);
            _exiting.Add(ExitedAsync(writer));
        }
    }

    private static async Task ExitedAsync(RecordingWriter writer)
    {
        await writer.Completion.ConfigureAwait(false);
        await writer.Exited.ConfigureAwait(false);
    }

    private void Attach(PipelineRun r, RecordingSession session, DateTimeOffset? from)
    {
        var (writer, start) = RecordingWriter.Start(context, _namer, cameraId, session, r.Feed, from, OnRecorderGaveUp);
        _writer = writer;
        if (!session.Joined)
        {
            // The first feed the recording joins says when it starts; after a restart it goes on (new segment).
            session.StartTime = start;
            session.Joined = true;
        }
    }

    /// <summary>The recorder kept failing: the recording ends (<see cref="StreamBackendEventKind.RecordingFailed"/>) with every file so far.</summary>
    private void OnRecorderGaveUp(RecordingWriter writer, string error) =>
        _ = pipeline.InBackgroundAsync(writer.Completion, events => GiveUpAsync(writer, error, events));

    private async Task GiveUpAsync(RecordingWriter writer, string error, List<StreamBackendEventArgs> events)
    {
        if (!ReferenceEquals(_writer, writer) || !ReferenceEquals(_session, writer.Session))
        {
            return;
        }

        _writer = null;
        _session = null;
        Log.RecordingFailed(context.Logger, cameraId, context.Options.MaxRestartAttempts);
        events.Add(writer.Session.ToEvent(StreamBackendEventKind.RecordingFailed, error, context.Time.GetUtcNow()));
        await pipeline.StopIfUnwantedAsync(clearFailure: false).ConfigureAwait(false);
    }
}

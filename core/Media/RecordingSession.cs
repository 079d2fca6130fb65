using CameraService.Abstractions.Streaming;

namespace CameraService.Core.Media;

/// <summary>Where a recording session is; the wire names are <see cref="RecordingStatusNames.Wire"/>.</summary>
internal enum RecordingStatus
{
    /// <summary>Recording now (also while a session re-adopted after a restart waits for its camera).</summary>
    Recording,

    /// <summary>Stopped on request, by its duration limit or by the storage guard.</summary>
    Stopped,

    /// <summary>Ended by a fault around it (camera gone, the backend no longer recording on a stop).</summary>
    Error,

    /// <summary>The backend's recording failed, or it could not be resumed after a restart.</summary>
    Failed,
}

/// <summary>The API's names of <see cref="RecordingStatus"/> (api-contract.md: RECORDING, STOPPED, ERROR, FAILED).</summary>
internal static class RecordingStatusNames
{
    public static string Wire(this RecordingStatus status) => status switch
    {
        RecordingStatus.Recording => "RECORDING",
        RecordingStatus.Stopped => "STOPPED",
        RecordingStatus.Error => "ERROR",
        RecordingStatus.Failed => "FAILED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}

/// <summary>
/// One recording session, immutable: every change is a named transition that returns the next state, and the
/// transitions that only make sense while recording refuse a finished session. <see cref="RecordingManager"/> swaps
/// states under the camera's gate.
/// </summary>
internal sealed record RecordingSession
{
    private RecordingSession(string cameraId, string sessionId, DateTimeOffset startTime, int? durationLimitSeconds, string format)
    {
        CameraId = cameraId;
        SessionId = sessionId;
        StartTime = startTime;
        DurationLimitSeconds = durationLimitSeconds;
        Format = format;
    }

    /// <summary>Whether the camera's audio is recorded too.</summary>
    public bool Audio { get; private init; }

    /// <summary>
    /// Seconds of the pre-event buffer at the start of the recording (<see cref="StartTime"/> is that much before the
    /// request); the duration limit counts from the request.
    /// </summary>
    public double PreEventSeconds { get; private init; }

    /// <summary>When the duration limit stops the session, null for none.</summary>
    public DateTimeOffset? StopsAt => DurationLimitSeconds is { } limit ? StartTime.AddSeconds(PreEventSeconds + limit) : null;

    public string CameraId { get; }

    public string SessionId { get; }

    public DateTimeOffset StartTime { get; }

    public int? DurationLimitSeconds { get; }

    public string Format { get; }

    public RecordingStatus Status { get; private init; } = RecordingStatus.Recording;

    public DateTimeOffset? EndTime { get; private init; }

    public string? Reason { get; private init; }

    public BackendRecording? Backend { get; private init; }

    /// <summary>What started the session: null for a client's <c>start_recording</c>, <c>"schedule"</c> for a recording schedule.</summary>
    public string? Trigger { get; private init; }

    /// <summary>Active before a restart, not running in the backend yet: re-applied once the camera is published.</summary>
    public bool PendingReapply { get; private init; }

    /// <summary>Re-applied after a restart as a new backend recording (earlier segments are on disk, not in <see cref="Backend"/>).</summary>
    public bool Resumed { get; private init; }

    public IReadOnlyList<RecordedFile> Files => Backend?.Files ?? [];

    public long BytesWritten => Backend?.BytesWritten ?? 0;

    public string? FirstFileName => Files.Count > 0 ? Path.GetFileName(Files[0].Path) : null;

    /// <summary>A session the backend has just started.</summary>
    public static RecordingSession Started(string cameraId, string sessionId, DateTimeOffset requested, RecordingStart start, BackendRecording backend)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(backend);
        var first = backend.StartTime == default || backend.StartTime > requested ? requested : backend.StartTime;
        return new(cameraId, sessionId, first, start.DurationSeconds, start.Format)
        {
            Backend = backend,
            Trigger = start.Trigger,
            Audio = start.Audio,
            PreEventSeconds = Math.Round((requested - first).TotalSeconds, 3),
        };
    }

    /// <summary>The session as the state directory keeps it.</summary>
    public PersistedSession ToPersisted() => new(CameraId, SessionId, StartTime, DurationLimitSeconds, Format, Trigger, Audio, PreEventSeconds);

    /// <summary>
    /// A session that was active before a restart: <paramref name="running"/> is the backend's recording when it
    /// still runs; otherwise the session waits for its camera to be re-applied (<paramref name="pendingReapply"/>)
    /// or for the backend to return.
    /// </summary>
    public static RecordingSession Adopted(PersistedSession persisted, BackendRecording? running, bool pendingReapply)
    {
        ArgumentNullException.ThrowIfNull(persisted);
        return new(persisted.CameraId, persisted.SessionId, persisted.StartTime, persisted.DurationLimitSeconds, persisted.Format)
        {
            Backend = running,
            PendingReapply = pendingReapply,
            Trigger = persisted.Trigger,
            Audio = persisted.Audio,
            PreEventSeconds = persisted.PreEventSeconds,
        };
    }

    /// <summary>The backend's current view of the running recording (bytes, files).</summary>
    public RecordingSession WithProgress(BackendRecording current) => Recording() with { Backend = current };

    /// <summary>Re-applied after a restart as the backend recording <paramref name="backend"/>.</summary>
    public RecordingSession Reapplied(BackendRecording backend) => Recording() with { Backend = backend, PendingReapply = false, Resumed = true };

    /// <summary>Re-applying failed or is abandoned; the session is about to finish.</summary>
    public RecordingSession ReapplyAbandoned() => Recording() with { PendingReapply = false };

    /// <summary>
    /// The session ended with <paramref name="status"/> at <paramref name="endTime"/>; <paramref name="final"/> is the
    /// backend's last word on the files (null: keep what is known).
    /// </summary>
    public RecordingSession Finished(RecordingStatus status, string? reason, DateTimeOffset endTime, BackendRecording? final)
    {
        if (status == RecordingStatus.Recording)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "a finished session has an end status");
        }

        return Recording() with { Status = status, Reason = reason, EndTime = endTime, Backend = final ?? Backend };
    }

    /// <summary>The complete file list of a finished session (the segments written before a restart added).</summary>
    public RecordingSession WithAllFiles(IReadOnlyList<RecordedFile> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        var bytes = all.Sum(f => f.Size);
        return this with
        {
            Backend = Backend is { } b
                ? b with { Files = all, BytesWritten = bytes }
                : new BackendRecording { CameraId = CameraId, SessionId = SessionId, Format = Format, StartTime = StartTime, EndTime = EndTime, Files = all, BytesWritten = bytes },
        };
    }

    public double ElapsedSeconds(TimeProvider time) =>
        Math.Round(((EndTime ?? time.GetUtcNow()) - StartTime).TotalSeconds, 3);

    private RecordingSession Recording() => Status == RecordingStatus.Recording
        ? this
        : throw new InvalidOperationException($"recording session {SessionId} of {CameraId} already ended {Status.Wire()}");
}

/// <summary>A session as persisted in the state directory.</summary>
/// <remarks>
/// <see cref="Trigger"/>, <see cref="Audio"/> and <see cref="PreEventSeconds"/> were added in v1.1; files written before
/// read as a client's recording without audio or pre-event buffer.
/// </remarks>
internal sealed record PersistedSession(
    string CameraId, string SessionId, DateTimeOffset StartTime, int? DurationLimitSeconds, string Format, string? Trigger = null, bool Audio = false, double PreEventSeconds = 0);

/// <summary>What a start of a recording asks for.</summary>
/// <param name="Format">The container (<c>fmp4</c>, <c>mp4</c>, <c>mkv</c>).</param>
/// <param name="DurationSeconds">Stop after this many seconds from the request, null for no limit.</param>
/// <param name="Audio">Record the camera's audio too.</param>
/// <param name="PreSeconds">Include this many seconds before the request (pre-event buffer), 0–30.</param>
/// <param name="Trigger">What started it: null for a client, <c>schedule</c>, <c>motion</c>.</param>
internal sealed record RecordingStart(string Format = "fmp4", int? DurationSeconds = null, bool Audio = false, int PreSeconds = 0, string? Trigger = null);

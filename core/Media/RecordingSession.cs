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
    public static RecordingSession Started(string cameraId, string sessionId, DateTimeOffset startTime, int? durationLimitSeconds, string format, BackendRecording backend, string? trigger = null) =>
        new(cameraId, sessionId, startTime, durationLimitSeconds, format) { Backend = backend, Trigger = trigger };

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
/// <remarks><see cref="Trigger"/> was added in v1.1; files written before it read as null (a client's recording).</remarks>
internal sealed record PersistedSession(string CameraId, string SessionId, DateTimeOffset StartTime, int? DurationLimitSeconds, string Format, string? Trigger = null);

using System.Collections.Concurrent;

namespace CameraService.Core.Media;

/// <summary>The recording fields of the contract's camera object (api-contract.md §8.1).</summary>
/// <param name="Recording">Whether the camera records now.</param>
/// <param name="RecordingSession">The running session's id, null when idle.</param>
/// <param name="CurrentFile">The newest segment of the running session the service knows of (null when idle or before
/// the first segment is on disk).</param>
/// <param name="ElapsedTime">Seconds since the running session started, null when idle.</param>
internal readonly record struct CameraRecordingFields(bool Recording, string? RecordingSession, string? CurrentFile, double? ElapsedTime)
{
    public static CameraRecordingFields Idle => default;
}

/// <summary>
/// The cameras' running recording sessions, by camera id. <see cref="RecordingManager"/> owns and changes them; the camera
/// objects (<c>get_camera_list</c>, <c>get_camera_status</c>, <c>camera_status_update</c>) read them from here, which
/// keeps the camera registry independent of the recording manager (that depends on the registry).
/// </summary>
internal sealed class RecordingBoard(TimeProvider time)
{
    /// <summary>The running sessions; written only by <see cref="RecordingManager"/>.</summary>
    internal ConcurrentDictionary<string, RecordingSession> Active { get; } = new(StringComparer.Ordinal);

    /// <summary>The camera's recording fields now.</summary>
    public CameraRecordingFields Of(string cameraId)
    {
        if (!Active.TryGetValue(cameraId, out var session) || session.Status != RecordingStatus.Recording)
        {
            return CameraRecordingFields.Idle;
        }

        var files = session.Files;
        var current = files.Count > 0 ? Path.GetFileName(files[^1].Path) : null;
        return new CameraRecordingFields(true, session.SessionId, current, session.ElapsedSeconds(time));
    }
}

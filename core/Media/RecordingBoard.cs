using System.Collections.Concurrent;
using CameraService.Abstractions;
using CameraService.Core.Plugins;

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
internal sealed class RecordingBoard(ActiveComponents components, TimeProvider time)
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

    /// <summary>
    /// Refreshes every running session from the backend with one call (best effort: on a backend failure the sessions
    /// are answered as last known) and returns them.
    /// </summary>
    public async Task<IReadOnlyList<RecordingSession>> RefreshAllAsync(CancellationToken cancellationToken)
    {
        if (components.StreamBackend is { } backend && !Active.IsEmpty)
        {
            try
            {
                var running = (await backend.GetActiveRecordingsAsync(cancellationToken).ConfigureAwait(false))
                    .GroupBy(r => r.CameraId, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                foreach (var session in Active.Values)
                {
                    if (session.Status == RecordingStatus.Recording && running.TryGetValue(session.CameraId, out var current))
                    {
                        // Only the session that is still the camera's active one; a stop may have finished it meanwhile.
                        Active.TryUpdate(session.CameraId, session.WithProgress(current), session);
                    }
                }
            }
            catch (CameraServiceException)
            {
                // Progress is answered from what is known; the backend being down is reported by health.
            }
        }

        return [.. Active.Values.Where(s => s.Status == RecordingStatus.Recording).OrderBy(s => s.CameraId, StringComparer.Ordinal)];
    }
}

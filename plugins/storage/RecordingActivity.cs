using System.Collections.Concurrent;
using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Which recordings are still being written: the cameras the core reports as recording
/// (<see cref="IMediaStore.SetRecordingActive"/>) and the recent-write window <c>Storage:InProgressWindow</c>.
/// A recording in progress is never deleted, neither on request nor by retention.
/// </summary>
internal sealed class RecordingActivity(MediaCatalog recordings, TimeSpan inProgressWindow)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _activeCameras = new(StringComparer.Ordinal);

    public void SetActive(string cameraId, bool active, DateTimeOffset now)
    {
        if (active)
        {
            _activeCameras[cameraId] = now;
        }
        else
        {
            _activeCameras.TryRemove(cameraId, out _);
        }
    }

    /// <summary>
    /// A recording is in progress when its camera is recording and it is that camera's newest file, or when it
    /// was modified within <c>Storage:InProgressWindow</c> (covers recordings the core does not know about, e.g.
    /// after a restart or a segment switch the watcher has not reported yet).
    /// </summary>
    public bool IsInProgress(MediaKind kind, CatalogEntry entry, DateTimeOffset now)
    {
        if (kind != MediaKind.Recording)
        {
            return false;
        }

        if (now - entry.Modified < inProgressWindow)
        {
            return true;
        }

        return _activeCameras.ContainsKey(entry.CameraId)
            && string.Equals(recordings.NewestOf(entry.CameraId)?.FileName, entry.FileName, StringComparison.Ordinal);
    }
}

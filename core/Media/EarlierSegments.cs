using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media;

/// <summary>The segments a resumed session wrote before a restart, added back to its file list when it ends.</summary>
internal static class EarlierSegments
{
    /// <summary>
    /// A session resumed after a restart was re-applied as a new backend recording, which knows only the files it
    /// wrote itself. The segments written before the restart are still the session's: they are the camera's
    /// recordings from the session's start on that the backend did not report.
    /// </summary>
    public static async Task<RecordingSession> AddToAsync(RecordingSession session, IMediaStore? store, ILogger logger, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return session;
        }

        try
        {
            var known = session.Files.Select(f => Path.GetFileName(f.Path)).ToHashSet(StringComparer.Ordinal);
            var earlier = new List<RecordedFile>();
            var page = await store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 1000, CameraId = session.CameraId }, cancellationToken).ConfigureAwait(false);
            foreach (var f in page.Files)
            {
                // A second of slack: the first segment's name (its creation time) can precede the session's start time.
                if (f.Created >= session.StartTime.AddSeconds(-1) && !known.Contains(f.FileName))
                {
                    earlier.Add(new RecordedFile { Path = f.Path, Size = f.Size });
                }
            }

            return earlier.Count == 0
                ? session
                : session.WithAllFiles([.. earlier.Concat(session.Files).OrderBy(f => Path.GetFileName(f.Path), StringComparer.Ordinal)]);
        }
        catch (CameraServiceException ex)
        {
            // The listing is best effort: the session still ends with the files the backend reported.
            RecordingLog.EarlierFilesUnknown(logger, ex, session.CameraId, session.SessionId);
            return session;
        }
    }
}

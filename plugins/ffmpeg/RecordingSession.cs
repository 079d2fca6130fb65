using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>One recording as the backend keeps it: survives process restarts, collects every segment written.</summary>
internal sealed class RecordingSession(string cameraId, string sessionId, string format, string directory, DateTimeOffset startTime)
{
    private readonly Lock _sync = new();
    private readonly List<string> _files = [];

    public string CameraId { get; } = cameraId;

    public string SessionId { get; } = sessionId;

    public string Format { get; } = format;

    public string Directory { get; } = directory;

    /// <summary>The time of the recording's first frame (set when it joins the camera's feed; earlier than the request with a pre-event buffer).</summary>
    public DateTimeOffset StartTime { get; set; } = startTime;

    /// <summary>Whether the recording has joined a camera feed (its <see cref="StartTime"/> is then the first frame's).</summary>
    public bool Joined { get; set; }

    /// <summary>Record the camera's audio with the video.</summary>
    public bool Audio { get; init; }

    /// <summary>The largest a segment may grow, in bytes; 0 for no limit.</summary>
    public long SegmentMaxBytes { get; init; }

    public int FileCount
    {
        get
        {
            lock (_sync)
            {
                return _files.Count;
            }
        }
    }

    public void Add(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            return;
        }

        lock (_sync)
        {
            _files.AddRange(paths);
        }
    }

    /// <summary>Forgets a file (a redundant segment that was removed).</summary>
    public void Remove(string path)
    {
        lock (_sync)
        {
            _files.Remove(path);
        }
    }

    /// <summary>
    /// The recording with the current sizes of its files (files deleted meanwhile are left out); <paramref name="inProgressBytes"/>
    /// (the segment being written) counts in <see cref="BackendRecording.BytesWritten"/> but is not a file yet.
    /// </summary>
    public BackendRecording ToBackendRecording(DateTimeOffset? endTime, long inProgressBytes = 0)
    {
        string[] paths;
        lock (_sync)
        {
            paths = [.. _files];
        }

        var recorded = new List<RecordedFile>(paths.Length);
        foreach (var path in paths)
        {
            var info = new FileInfo(path);
            if (info.Exists)
            {
                recorded.Add(new RecordedFile { Path = path, Size = info.Length });
            }
        }

        return new BackendRecording { CameraId = CameraId, SessionId = SessionId, Format = Format, StartTime = StartTime, EndTime = endTime, Files = recorded, BytesWritten = recorded.Sum(f => f.Size) + inProgressBytes };
    }

    /// <summary>A backend event about this recording, with its files so far (and its end when it ended).</summary>
    public StreamBackendEventArgs ToEvent(StreamBackendEventKind kind, string reason, DateTimeOffset? endTime) =>
        new() { Kind = kind, CameraId = CameraId, Reason = reason, Recording = ToBackendRecording(endTime) };
}

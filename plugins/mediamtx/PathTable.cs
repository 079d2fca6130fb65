using System.Text.Json.Nodes;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// The MediaMTX backend's desired state: the published cameras with their pinned and recording state, and the
/// recordings adopted from MediaMTX after a service restart that no camera has claimed yet. Each transition is one
/// method that runs under one lock and answers the path config MediaMTX should have afterwards; the backend does the
/// I/O. The ownership registry is updated here too, so the persisted state never disagrees with the table.
/// </summary>
internal sealed class PathTable(MediaMtxOptions options, OwnershipRegistry registry)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _cameras = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RecordingSession> _adopted = new(StringComparer.Ordinal);

    // Cameras whose recording is being stopped (BeginStop … Stopped): their desired config has record off from the
    // moment the stop begins, so an apply or a reconciliation that runs during the stop never switches it back on —
    // also when the camera is published (re-claiming an adopted recording) while its stop is under way.
    private readonly HashSet<string> _stopping = new(StringComparer.Ordinal);

    private sealed class Entry(StreamCamera camera)
    {
        public StreamCamera Camera { get; set; } = camera;

        public bool Pinned { get; set; }

        public RecordingSession? Recording { get; set; }

        public bool KeepRunning(MediaMtxOptions options) => Pinned || Recording != null || options.RunMode == MediaMtxRunMode.OnInit;
    }

    /// <summary>Adds or updates a camera (re-claiming a recording adopted after a restart).</summary>
    public void Publish(StreamCamera camera)
    {
        lock (_gate)
        {
            if (!_cameras.TryGetValue(camera.CameraId, out var entry))
            {
                entry = new Entry(camera);
                _cameras[camera.CameraId] = entry;

                // A recording that survived a service restart belongs to the camera again.
                if (_adopted.Remove(camera.CameraId, out var adopted))
                {
                    entry.Recording = adopted;
                }
            }

            entry.Camera = camera;
            registry.Set(camera.CameraId, entry.Recording?.ToPersisted());
        }
    }

    /// <summary>True when the camera (published or only adopted) has a recording running.</summary>
    public bool IsRecording(string cameraId)
    {
        lock (_gate)
        {
            return (_cameras.TryGetValue(cameraId, out var e) && e.Recording != null) || _adopted.ContainsKey(cameraId);
        }
    }

    public void Remove(string cameraId)
    {
        lock (_gate)
        {
            _cameras.Remove(cameraId);
        }
    }

    /// <summary>Pins the publisher (runs without viewers) or releases it; whether MediaMTX's config must change.</summary>
    public bool Pin(string cameraId, bool pinned)
    {
        lock (_gate)
        {
            var entry = Find(cameraId);
            if (entry.Pinned == pinned)
            {
                return false;
            }

            entry.Pinned = pinned;

            // A recording keeps the publisher running: releasing the pin changes nothing in MediaMTX then.
            return pinned || entry.Recording is null;
        }
    }

    /// <summary>Whether the camera's publisher runs without viewers (pinned, recording or run mode OnInit).</summary>
    public bool KeepRunning(string cameraId)
    {
        lock (_gate)
        {
            return Find(cameraId).KeepRunning(options);
        }
    }

    /// <summary>Every published camera with whether its publisher runs without viewers, by id.</summary>
    public IReadOnlyList<(string CameraId, bool KeepRunning)> Published()
    {
        lock (_gate)
        {
            return _cameras.Values
                .Select(e => (e.Camera.CameraId, e.KeepRunning(options)))
                .OrderBy(c => c.CameraId, StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>Throws the contract's not-found error unless the camera is published.</summary>
    public void EnsurePublished(string cameraId)
    {
        lock (_gate)
        {
            _ = Find(cameraId);
        }
    }

    /// <summary>Starts a recording in the table (the camera's config has record on from now).</summary>
    public RecordingSession StartRecording(RecordingRequest request, DateTimeOffset now)
    {
        lock (_gate)
        {
            var entry = Find(request.CameraId);
            if (entry.Recording != null)
            {
                throw new InvalidStateException("already_recording", "RECORDING", $"Camera '{request.CameraId}' is already recording; stop the recording first.");
            }

            var dir = Path.GetFullPath(entry.Camera.RecordingDirectory);
            var session = new RecordingSession(
                request.CameraId, request.SessionId, request.Format, now, dir, SegmentCollector.ListSegmentFiles(dir, request.CameraId).ToHashSet(StringComparer.Ordinal),
                request.SegmentMaxBytes, RemoveAudio: !request.Audio && entry.Camera.Input.Audio is not null);
            entry.Recording = session;
            return session;
        }
    }

    /// <summary>The recording is running in MediaMTX: persist it so a restarted service re-adopts it.</summary>
    public void RecordingConfirmed(RecordingSession session) => registry.Set(session.CameraId, session.ToPersisted());

    /// <summary>Rolls back a start that MediaMTX did not accept, so reconciliation does not start it later.</summary>
    public void RecordingFailed(RecordingSession session)
    {
        lock (_gate)
        {
            if (_cameras.TryGetValue(session.CameraId, out var e) && ReferenceEquals(e.Recording, session))
            {
                e.Recording = null;
            }
        }
    }

    /// <summary>
    /// The recording to stop, and whether its camera is published (its whole config is applied with record off) — not
    /// for a recording adopted from MediaMTX whose camera is not published (yet): then only <c>record</c> is switched off.
    /// </summary>
    public (RecordingSession Session, bool Published) BeginStop(string cameraId)
    {
        lock (_gate)
        {
            if (_cameras.TryGetValue(cameraId, out var entry) && entry.Recording != null)
            {
                _stopping.Add(cameraId);
                return (entry.Recording, true);
            }

            if (_adopted.TryGetValue(cameraId, out var adopted))
            {
                _stopping.Add(cameraId);
                return (adopted, false);
            }

            throw new InvalidStateException("not_recording", "IDLE", $"Camera '{cameraId}' is not recording.");
        }
    }

    /// <summary>MediaMTX was told to stop recording <paramref name="session"/>: the table forgets it.</summary>
    public void Stopped(RecordingSession session)
    {
        lock (_gate)
        {
            if (_cameras.TryGetValue(session.CameraId, out var entry) && ReferenceEquals(entry.Recording, session))
            {
                entry.Recording = null;
            }

            _adopted.Remove(session.CameraId);
            _stopping.Remove(session.CameraId);
        }
    }

    /// <summary>A stop that MediaMTX did not accept: the recording goes on as before it (reconciliation keeps it on).</summary>
    public void StopFailed(string cameraId)
    {
        lock (_gate)
        {
            _stopping.Remove(cameraId);
        }
    }

    /// <summary>
    /// The camera's config as the table has it now, or null when it is not published: what an apply sends when it
    /// runs, so that applies queued behind one another never send a state older than the table's.
    /// </summary>
    public JsonObject? CurrentDesired(string cameraId)
    {
        lock (_gate)
        {
            return _cameras.TryGetValue(cameraId, out var entry) ? Desired(entry) : null;
        }
    }

    /// <summary>The stopped recording's files are collected: the registry forgets it (the path stays ours).</summary>
    public void Finalized(string cameraId)
    {
        if (registry.Contains(cameraId))
        {
            registry.Set(cameraId, null);
        }
    }

    /// <summary>Every running recording: the published cameras' and the adopted ones.</summary>
    public IReadOnlyList<RecordingSession> ActiveRecordings()
    {
        lock (_gate)
        {
            return _cameras.Values.Where(e => e.Recording != null).Select(e => e.Recording!).Concat(_adopted.Values).ToList();
        }
    }

    /// <summary>Every published camera's desired config and whether it records, for reconciliation.</summary>
    public IReadOnlyList<(string CameraId, JsonObject Desired, bool Recording)> DesiredConfigs()
    {
        lock (_gate)
        {
            return _cameras.Values.Select(e => (e.Camera.CameraId, Desired(e), e.Recording != null)).ToList();
        }
    }

    public bool IsPublished(string name)
    {
        lock (_gate)
        {
            return _cameras.ContainsKey(name);
        }
    }

    /// <summary>Adopts a recording MediaMTX is running for a path of ours that no camera has claimed yet.</summary>
    /// <returns>True when it was not adopted before.</returns>
    public bool Adopt(string name, Func<RecordingSession> create)
    {
        lock (_gate)
        {
            if (_cameras.ContainsKey(name) || _adopted.ContainsKey(name))
            {
                return false;
            }

            _adopted[name] = create();
            return true;
        }
    }

    private JsonObject Desired(Entry e)
    {
        var recording = e.Recording != null && !_stopping.Contains(e.Camera.CameraId);
        return PathConfigBuilder.Build(e.Camera, options, keepRunning: e.Pinned || recording, record: recording);
    }

    private Entry Find(string cameraId) =>
        _cameras.TryGetValue(cameraId, out var e) ? e : throw new ResourceNotFoundException("camera", cameraId, $"The camera '{cameraId}' is not published; connect it first.");
}

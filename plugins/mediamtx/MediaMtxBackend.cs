using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// <see cref="IStreamBackend"/> on MediaMTX: one path per camera (named by the camera id), applied and kept applied
/// through the Control API; recording by toggling <c>record</c>; snapshots with ffmpeg from the path's RTSP URL.
/// </summary>
internal sealed partial class MediaMtxBackend : IStreamBackend, IAsyncDisposable
{
    private static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(2);

    private readonly MediaMtxClient _client;
    private readonly MediaMtxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MediaMtxBackend> _logger;
    private readonly FfmpegSnapshotter _snapshotter;
    private readonly OwnershipRegistry _registry;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _reconcileLock = new(1, 1);
    private readonly Dictionary<string, CameraEntry> _cameras = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Session> _adopted = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastStarted;
    private DateTimeOffset _startedAt;
    private ComponentStatus _health = new ComponentStatus { State = ComponentState.Stopped, Message = "Not started." };
    private string? _lastError;
    private DateTimeOffset? _lastErrorTime;
    private CancellationTokenSource? _loopCts;
    private Task? _loop;

    public MediaMtxBackend(
        MediaMtxClient client,
        IOptions<MediaMtxOptions> options,
        TimeProvider timeProvider,
        ILogger<MediaMtxBackend> logger,
        FfmpegSnapshotter snapshotter)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _snapshotter = snapshotter;
        _registry = new OwnershipRegistry(_options.StateDirectory);
    }

    public string Name => "mediamtx";

    public event EventHandler<StreamBackendEventArgs>? BackendEvent;

    private sealed class CameraEntry(StreamCamera camera)
    {
        public StreamCamera Camera { get; set; } = camera;

        public bool Pinned { get; set; }

        public Session? Recording { get; set; }
    }

    private sealed record Session(string CameraId, string? SessionId, string Format, DateTimeOffset StartTime, string Directory, IReadOnlySet<string>? Preexisting);

    // ---- lifecycle ----

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _startedAt = _time.GetUtcNow();
        try
        {
            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            // MediaMTX may come up after us: health says so and the loop heals without operator action.
        }

        _loopCts = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_loopCts.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Recordings run inside MediaMTX, not in this process: they are left running so that a restarted service
        // re-adopts them (GetActiveRecordingsAsync). Only our own loop stops here.
        if (_loopCts is null)
        {
            return;
        }

        await _loopCts.CancelAsync().ConfigureAwait(false);
        try
        {
            await (_loop ?? Task.CompletedTask).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }

        _loopCts.Dispose();
        _loopCts = null;
        SetHealth(new ComponentStatus { State = ComponentState.Stopped, Message = "Stopped." }, raise: false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _reconcileLock.Dispose();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ReconcileInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await ReconcileAsync(ct).ConfigureAwait(false);
                }
                catch (DependencyFailedException)
                {
                    // Already reflected in health; the next tick tries again.
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // The loop must survive anything so that the backend heals; the failure is logged.
                    Log.LoopFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    // ---- reconciliation ----

    /// <summary>Compares desired state with MediaMTX and repairs it: missing or drifted paths, a restarted server, orphans.</summary>
    internal async Task ReconcileAsync(CancellationToken ct)
    {
        await _reconcileLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var info = await Guard(() => _client.GetInfoAsync(ct)).ConfigureAwait(false);
            var restarted = _lastStarted != null && info.Started != null && info.Started != _lastStarted;
            if (restarted)
            {
                Log.ServerRestarted(_logger, _lastStarted, info.Started);
            }

            _lastStarted = info.Started ?? _lastStarted;
            var configs = (await Guard(() => _client.ListPathConfigsAsync(ct)).ConfigureAwait(false))
                .Where(c => c["name"] != null)
                .GroupBy(c => c["name"]!.GetValue<string>(), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

            List<(string Id, JsonObject Desired, bool Recording)> desired;
            lock (_gate)
            {
                desired = _cameras.Values.Select(e => (e.Camera.CameraId, Desired(e), e.Recording != null)).ToList();
            }

            var repaired = new List<string>();
            var refused = new List<string>();
            foreach (var (id, want, recording) in desired)
            {
                var missing = !configs.TryGetValue(id, out var actual);
                var drift = missing ? [] : PathConfigBuilder.Drift(want, actual!);
                if (!missing && drift.Count == 0)
                {
                    continue;
                }

                if (missing)
                {
                    Log.PathMissing(_logger, id);
                }
                else
                {
                    Log.DriftRepaired(_logger, id, string.Join(',', drift));
                }

                try
                {
                    await Guard(() => _client.ReplacePathAsync(id, want, ct)).ConfigureAwait(false);
                }
                catch (DependencyFailedException ex) when (ex.InnerException is MediaMtxApiException)
                {
                    // This path's config is refused (e.g. an older MediaMTX): the others are still repaired.
                    Log.ReconcileFailed(_logger, ex.Detail, ex);
                    refused.Add($"{id} ({ex.Detail})");
                    continue;
                }

                repaired.Add(id);
                if (missing && recording)
                {
                    Raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.RecordingRecovered, CameraId = id, Reason = "MediaMTX lost the path; it was re-applied and recording continues in a new segment." });
                }
            }

            await AdoptAndCleanAsync(configs, ct).ConfigureAwait(false);
            SetHealth(
                refused.Count == 0
                    ? ComponentStatus.Running with { LastError = _lastError, LastErrorTime = _lastErrorTime }
                    : new ComponentStatus { State = ComponentState.Degraded, Message = "MediaMTX refused the config of " + string.Join(", ", refused), LastError = _lastError, LastErrorTime = _lastErrorTime },
                raise: true);
            if (restarted || repaired.Count > 0)
            {
                var reason = restarted
                    ? $"MediaMTX restarted; desired state re-applied ({repaired.Count} paths)."
                    : $"Drift repaired on {string.Join(", ", repaired)}.";
                Raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.StateReapplied, Reason = reason });
            }
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    private async Task AdoptAndCleanAsync(Dictionary<string, JsonObject> configs, CancellationToken ct)
    {
        var registered = _registry.Snapshot();
        foreach (var (name, conf) in configs)
        {
            if (!PathConfigBuilder.IsOurs(conf) && !registered.ContainsKey(name))
            {
                continue;
            }

            bool claimed;
            lock (_gate)
            {
                claimed = _cameras.ContainsKey(name);
            }

            if (claimed)
            {
                continue;
            }

            var recording = conf["record"]?.GetValue<bool>() == true;
            if (recording)
            {
                lock (_gate)
                {
                    if (!_adopted.ContainsKey(name))
                    {
                        var persisted = registered.TryGetValue(name, out var p) ? p.Recording : null;
                        var dir = DirectoryOf(conf);
                        _adopted[name] = new Session(name, persisted?.SessionId, persisted?.Format ?? "fmp4", persisted?.StartTime ?? _time.GetUtcNow(), dir, null);
                        Log.RecordingAdopted(_logger, name);
                    }
                }

                continue;
            }

            if (_time.GetUtcNow() - _startedAt >= _options.OrphanGracePeriod)
            {
                await Guard(() => _client.DeletePathAsync(name, ct)).ConfigureAwait(false);
                _registry.Remove(name);
                Log.OrphanRemoved(_logger, name);
            }
        }
    }

    private static string DirectoryOf(JsonObject conf)
    {
        var recordPath = conf["recordPath"]?.GetValue<string>() ?? string.Empty;
        return Path.GetDirectoryName(recordPath) ?? string.Empty;
    }

    private JsonObject Desired(CameraEntry e) =>
        PathConfigBuilder.Build(e.Camera, _options, keepRunning: e.Pinned || e.Recording != null, record: e.Recording != null);

    // ---- publish ----

    public async Task PublishAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);
        if (!ValidPathName().IsMatch(camera.CameraId) || camera.CameraId.Split('/').Any(s => s is "." or ".."))
        {
            throw new InvalidParameterException("camera_id", "must contain only letters, digits, '_', '-', '.' and '/' to be a MediaMTX path name");
        }

        JsonObject desired;
        lock (_gate)
        {
            if (!_cameras.TryGetValue(camera.CameraId, out var entry))
            {
                entry = new CameraEntry(camera);
                _cameras[camera.CameraId] = entry;

                // A recording that survived a service restart belongs to the camera again.
                if (_adopted.Remove(camera.CameraId, out var adopted))
                {
                    entry.Recording = adopted;
                }
            }

            entry.Camera = camera;
            desired = Desired(entry);
            _registry.Set(camera.CameraId, Persist(entry.Recording));
        }

        await ApplyAsync(camera.CameraId, desired, cancellationToken).ConfigureAwait(false);
        Log.PathApplied(_logger, camera.CameraId, desired["runOnInit"]!.GetValue<string>().Length > 0 ? "runOnInit" : "runOnDemand");
    }

    public async Task UnpublishAsync(string cameraId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        bool recording;
        lock (_gate)
        {
            recording = (_cameras.TryGetValue(cameraId, out var e) && e.Recording != null) || _adopted.ContainsKey(cameraId);
        }

        if (recording)
        {
            var finished = await StopRecordingAsync(cameraId, cancellationToken).ConfigureAwait(false);
            Raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.RecordingFailed, CameraId = cameraId, Reason = "The camera's stream was removed; the recording was stopped and finalized.", Recording = finished });
        }

        lock (_gate)
        {
            _cameras.Remove(cameraId);
        }

        await _reconcileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_registry.Contains(cameraId) || await IsOursAsync(cameraId, cancellationToken).ConfigureAwait(false))
            {
                await Guard(() => _client.DeletePathAsync(cameraId, cancellationToken)).ConfigureAwait(false);
                Log.PathRemoved(_logger, cameraId);
            }

            _registry.Remove(cameraId);
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    private async Task<bool> IsOursAsync(string name, CancellationToken ct)
    {
        var conf = await Guard(() => _client.GetPathConfigAsync(name, ct)).ConfigureAwait(false);
        return conf != null && PathConfigBuilder.IsOurs(conf);
    }

    // ---- streams ----

    public async Task<StreamInfo> StartStreamingAsync(string cameraId, CancellationToken cancellationToken)
    {
        JsonObject? desired = null;
        lock (_gate)
        {
            var entry = Entry(cameraId);
            if (!entry.Pinned)
            {
                entry.Pinned = true;
                desired = Desired(entry);
            }
        }

        if (desired != null)
        {
            await ApplyAsync(cameraId, desired, cancellationToken).ConfigureAwait(false);
        }

        return await GetStreamAsync(cameraId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StreamInfo> StopStreamingAsync(string cameraId, CancellationToken cancellationToken)
    {
        JsonObject? desired = null;
        lock (_gate)
        {
            var entry = Entry(cameraId);
            if (entry.Pinned)
            {
                entry.Pinned = false;

                // A recording keeps the publisher running: nothing changes in MediaMTX then.
                if (entry.Recording is null)
                {
                    desired = Desired(entry);
                }
            }
        }

        if (desired != null)
        {
            await ApplyAsync(cameraId, desired, cancellationToken).ConfigureAwait(false);
        }

        return await GetStreamAsync(cameraId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<StreamInfo> GetStreamAsync(string cameraId, CancellationToken cancellationToken)
    {
        bool keepRunning;
        lock (_gate)
        {
            var e = Entry(cameraId);
            keepRunning = e.Pinned || e.Recording != null || _options.RunMode == MediaMtxRunMode.OnInit;
        }

        var path = await Guard(() => _client.GetPathAsync(cameraId, cancellationToken)).ConfigureAwait(false);
        return ToStreamInfo(cameraId, path, keepRunning);
    }

    public async Task<IReadOnlyList<StreamInfo>> GetStreamsAsync(CancellationToken cancellationToken)
    {
        List<(string Id, bool KeepRunning)> cams;
        lock (_gate)
        {
            cams = _cameras.Values
                .Select(e => (e.Camera.CameraId, e.Pinned || e.Recording != null || _options.RunMode == MediaMtxRunMode.OnInit))
                .OrderBy(c => c.CameraId, StringComparer.Ordinal)
                .ToList();
        }

        var paths = (await Guard(() => _client.ListPathsAsync(cancellationToken)).ConfigureAwait(false))
            .ToDictionary(p => p.Name, StringComparer.Ordinal);
        return cams.Select(c => ToStreamInfo(c.Id, paths.GetValueOrDefault(c.Id), c.KeepRunning)).ToList();
    }

    private static StreamInfo ToStreamInfo(string cameraId, MtxPath? path, bool keepRunning)
    {
        if (path is null)
        {
            return new StreamInfo { CameraId = cameraId, Name = cameraId, Source = "publisher", State = StreamState.Inactive, Ready = false, Readers = 0, BytesSent = 0 };
        }

        var ready = path.Available ?? path.Ready;
        var state = ready ? StreamState.Active : keepRunning ? StreamState.Starting : StreamState.Inactive;
        return new StreamInfo
        {
            CameraId = cameraId,
            Name = path.Name,
            Source = path.Source?.Type ?? "publisher",
            State = state,
            Ready = ready,
            Readers = path.Readers?.Count ?? 0,
            BytesSent = path.OutboundBytes ?? path.BytesSent ?? 0,
            StartTime = ready ? path.ReadyTime : null,
        };
    }

    public StreamUrls GetStreamUrls(string cameraId)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        var host = _options.PublicHost.Contains(':', StringComparison.Ordinal) && !_options.PublicHost.StartsWith('[') ? "[" + _options.PublicHost + "]" : _options.PublicHost;
        var name = string.Join('/', cameraId.Split('/').Select(Uri.EscapeDataString));
        string? Url(int port, string scheme, string suffix) =>
            port == 0 ? null : $"{scheme}://{host}:{port.ToString(CultureInfo.InvariantCulture)}/{name}{suffix}";
        return new StreamUrls { Rtsp = Url(_options.RtspPort, "rtsp", string.Empty), Hls = Url(_options.HlsPort, "http", "/index.m3u8"), WebRtc = Url(_options.WebRtcPort, "http", "/") };
    }

    // ---- recording ----

    public async Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Format is not ("fmp4" or "mp4"))
        {
            throw new InvalidParameterException("format", "must be fmp4 or mp4");
        }

        Session session;
        JsonObject desired;
        lock (_gate)
        {
            var entry = Entry(request.CameraId);
            if (entry.Recording != null)
            {
                throw new InvalidStateException("already_recording", "RECORDING", $"Camera '{request.CameraId}' is already recording; stop the recording first.");
            }

            var dir = Path.GetFullPath(entry.Camera.RecordingDirectory);
            session = new Session(request.CameraId, request.SessionId, request.Format, _time.GetUtcNow(), dir, ListSegmentFiles(dir, request.CameraId).ToHashSet(StringComparer.Ordinal));
            entry.Recording = session;
            desired = Desired(entry);
        }

        try
        {
            Directory.CreateDirectory(session.Directory);
            await ApplyAsync(request.CameraId, desired, cancellationToken, patch: true).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Roll back the desired state so that a failed start leaves the camera idle (and reconciliation does not start it later).
            lock (_gate)
            {
                if (_cameras.TryGetValue(request.CameraId, out var e) && ReferenceEquals(e.Recording, session))
                {
                    e.Recording = null;
                }
            }

            throw;
        }

        _registry.Set(request.CameraId, Persist(session));
        Log.RecordingStarted(_logger, request.CameraId, request.SessionId);
        return new BackendRecording { CameraId = request.CameraId, SessionId = request.SessionId, Format = request.Format, StartTime = session.StartTime, Files = [], BytesWritten = 0 };
    }

    public async Task<BackendRecording> StopRecordingAsync(string cameraId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        Session session;
        JsonObject? desired = null;
        lock (_gate)
        {
            if (_cameras.TryGetValue(cameraId, out var entry) && entry.Recording != null)
            {
                session = entry.Recording;
                desired = PathConfigBuilder.Build(entry.Camera, _options, keepRunning: entry.Pinned, record: false);
            }
            else if (_adopted.TryGetValue(cameraId, out var adopted))
            {
                session = adopted;
            }
            else
            {
                throw new InvalidStateException("not_recording", "IDLE", $"Camera '{cameraId}' is not recording.");
            }
        }

        if (desired != null)
        {
            await ApplyAsync(cameraId, desired, cancellationToken, patch: true).ConfigureAwait(false);
        }
        else
        {
            // An adopted recording of a camera that is not published (yet): only switch recording off.
            try
            {
                await Guard(() => _client.PatchPathAsync(cameraId, new JsonObject { ["record"] = false }, cancellationToken)).ConfigureAwait(false);
            }
            catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                // The path is already gone: the recording has ended.
            }
        }

        lock (_gate)
        {
            if (_cameras.TryGetValue(cameraId, out var entry) && ReferenceEquals(entry.Recording, session))
            {
                entry.Recording = null;
            }

            _adopted.Remove(cameraId);
        }

        await WaitRecordOffAsync(cameraId, cancellationToken).ConfigureAwait(false);
        var files = await CollectFilesAsync(session, cancellationToken).ConfigureAwait(false);
        if (_registry.Contains(cameraId))
        {
            _registry.Set(cameraId, null);
        }

        var bytes = files.Sum(f => f.Size);
        Log.RecordingStopped(_logger, cameraId, files.Count, bytes);
        return new BackendRecording { CameraId = cameraId, SessionId = session.SessionId, Format = session.Format, StartTime = session.StartTime, EndTime = _time.GetUtcNow(), Files = files, BytesWritten = bytes };
    }

    public async Task<IReadOnlyList<BackendRecording>> GetActiveRecordingsAsync(CancellationToken cancellationToken)
    {
        await _reconcileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var configs = (await Guard(() => _client.ListPathConfigsAsync(cancellationToken)).ConfigureAwait(false))
                .Where(c => c["name"] != null)
                .GroupBy(c => c["name"]!.GetValue<string>(), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            await AdoptAndCleanAsync(configs, cancellationToken).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            // MediaMTX is down: report what we know; adoption happens when it is back.
        }
        finally
        {
            _reconcileLock.Release();
        }

        List<Session> sessions;
        lock (_gate)
        {
            sessions = _cameras.Values.Where(e => e.Recording != null).Select(e => e.Recording!).Concat(_adopted.Values).ToList();
        }

        var result = new List<BackendRecording>();
        foreach (var s in sessions)
        {
            var files = await CollectFilesAsync(s, cancellationToken).ConfigureAwait(false);
            result.Add(new BackendRecording { CameraId = s.CameraId, SessionId = s.SessionId, Format = s.Format, StartTime = s.StartTime, Files = files, BytesWritten = files.Sum(f => f.Size) });
        }

        return result;
    }

    /// <summary>
    /// MediaMTX v1.20.1 answers a config change before applying it; the last segment is final only once the change is
    /// in effect, so poll (briefly) until the path reads back with record off before collecting the files.
    /// </summary>
    private async Task WaitRecordOffAsync(string cameraId, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(3);
        while (true)
        {
            JsonObject? conf;
            try
            {
                conf = await _client.GetPathConfigAsync(cameraId, ct).ConfigureAwait(false);
            }
            catch (DependencyFailedException)
            {
                return;
            }

            if (conf?["record"]?.GetValue<bool>() != true || _time.GetUtcNow() >= deadline)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The session's segment files: what MediaMTX lists for the path plus what is in the directory, newer than the start.</summary>
    private async Task<IReadOnlyList<RecordedFile>> CollectFilesAsync(Session s, CancellationToken ct)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            var rec = await _client.GetRecordingAsync(s.CameraId, ct).ConfigureAwait(false);
            foreach (var seg in rec?.Segments ?? [])
            {
                if (DateTimeOffset.TryParse(seg.Start, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start) && start >= s.StartTime - StartTolerance)
                {
                    var file = Path.Combine(s.Directory, SegmentFileName(s.CameraId, start));
                    if (File.Exists(file))
                    {
                        names.Add(file);
                    }
                }
            }
        }
        catch (DependencyFailedException)
        {
            // The directory scan below still finds the files.
        }

        foreach (var file in ListSegmentFiles(s.Directory, s.CameraId))
        {
            var isNew = s.Preexisting is { } pre
                ? !pre.Contains(file)
                : ParseSegmentStart(s.CameraId, file) is { } start && start >= s.StartTime - StartTolerance;
            if (isNew)
            {
                names.Add(file);
            }
        }

        return names.Select(f => new FileInfo(f)).Where(f => f.Exists).Select(f => new RecordedFile { Path = f.FullName, Size = f.Length }).ToList();
    }

    /// <summary>MediaMTX names a segment with the start's own clock fields (server local time).</summary>
    private static string SegmentFileName(string cameraId, DateTimeOffset start) =>
        cameraId + "_" + start.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture) + "-" +
        (start.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture) + ".mp4";

    private static IEnumerable<string> ListSegmentFiles(string dir, string cameraId) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, cameraId + "_*.mp4").Where(f => ParseSegmentStart(cameraId, f) != null)
            : [];

    private static DateTimeOffset? ParseSegmentStart(string cameraId, string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (!name.StartsWith(cameraId + "_", StringComparison.Ordinal) ||
            !DateTime.TryParseExact(name[(cameraId.Length + 1)..], "yyyy-MM-dd_HH-mm-ss-ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local))
        {
            return null;
        }

        return new DateTimeOffset(local);
    }

    private static PersistedRecording? Persist(Session? s) => s is null ? null : new PersistedRecording(s.SessionId, s.Format, s.StartTime);

    // ---- snapshots ----

    public Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            _ = Entry(request.CameraId);
        }

        var url = $"rtsp://{PathConfigBuilder.UserInfo(_options)}{_options.RtspHost}:{_options.RtspPort.ToString(CultureInfo.InvariantCulture)}/{request.CameraId}";
        return CaptureAsync(url, request, cancellationToken);
    }

    private async Task<SnapshotResult> CaptureAsync(string url, SnapshotRequest request, CancellationToken ct)
    {
        try
        {
            return await _snapshotter.CaptureAsync(url, request, ct).ConfigureAwait(false);
        }
        catch (DependencyFailedException ex)
        {
            Log.SnapshotFailed(_logger, request.CameraId, ex.Detail);
            throw;
        }
    }

    // ---- health ----

    public ComponentStatus GetHealth()
    {
        lock (_gate)
        {
            return _health;
        }
    }

    private void SetHealth(ComponentStatus status, bool raise)
    {
        bool changed;
        lock (_gate)
        {
            // Only a change of state is an event; the message may vary while the state holds (refused vs. suspended).
            changed = _health.State != status.State;
            _health = status;
        }

        if (changed && raise)
        {
            Log.HealthChanged(_logger, status.State.ToString(), status.Message);
            Raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, Reason = status.Message ?? "MediaMTX reachable." });
        }
    }

    /// <summary>Runs a client call; a dependency failure also turns health to Error (the loop turns it back).</summary>
    /// <remarks>
    /// A 4xx other than 404 (MediaMTX understood and refused) becomes a <see cref="DependencyFailedException"/> without
    /// touching health; 404s stay <see cref="MediaMtxApiException"/> for the callers that expect them.
    /// </remarks>
    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (MediaMtxApiException ex) when (ex.Status != HttpStatusCode.NotFound)
        {
            throw new DependencyFailedException("mediamtx", $"MediaMTX refused the request: {ex.Error}", ex);
        }
        catch (DependencyFailedException ex)
        {
            MarkUnreachable(ex);
            throw;
        }
    }

    private async Task Guard(Func<Task> call) => _ = await Guard(async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    }).ConfigureAwait(false);

    private void MarkUnreachable(DependencyFailedException ex)
    {
        var message = ex.Detail.StartsWith("MediaMTX", StringComparison.Ordinal) ? ex.Detail : $"MediaMTX unreachable at {_client.ApiUrl}: {ex.Detail}";
        lock (_gate)
        {
            _lastError = message;
            _lastErrorTime = _time.GetUtcNow();
        }

        SetHealth(new ComponentStatus { State = ComponentState.Error, Message = message, LastError = message, LastErrorTime = _lastErrorTime }, raise: true);
    }

    // ---- helpers ----

    /// <summary>Applies a camera's desired config: patch (hot-reloads record-only changes), or replace when the path is gone.</summary>
    private async Task ApplyAsync(string cameraId, JsonObject desired, CancellationToken ct, bool patch = false)
    {
        // Serialized with reconciliation so that a repair computed from an older desired state never lands after
        // (and undoes) this change.
        await _reconcileLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await ApplyLockedAsync(cameraId, desired, patch, ct).ConfigureAwait(false);
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    private async Task ApplyLockedAsync(string cameraId, JsonObject desired, bool patch, CancellationToken ct)
    {
        if (patch)
        {
            try
            {
                await Guard(() => _client.PatchPathAsync(cameraId, desired, ct)).ConfigureAwait(false);
                return;
            }
            catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                // MediaMTX lost the path (restart): fall through to the upsert.
            }
        }

        await Guard(() => _client.ReplacePathAsync(cameraId, desired, ct)).ConfigureAwait(false);
    }

    private CameraEntry Entry(string cameraId) =>
        _cameras.TryGetValue(cameraId, out var e) ? e : throw new ResourceNotFoundException("camera", cameraId, $"The camera '{cameraId}' is not published; connect it first.");

    private void Raise(StreamBackendEventArgs e)
    {
        try
        {
            BackendEvent?.Invoke(this, e);
        }
        catch (Exception ex)
        {
            // A subscriber's bug must not break the backend's loop or the caller's operation.
            Log.EventHandlerFailed(_logger, ex);
        }
    }

    [GeneratedRegex("^[0-9a-zA-Z_\\-/\\.]+$")]
    private static partial Regex ValidPathName();
}

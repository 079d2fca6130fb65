using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Storage;

/// <summary>
/// <see cref="IMediaStore"/> on a local directory tree: <c>&lt;root&gt;/recordings/&lt;cameraId&gt;/</c> and
/// <c>&lt;root&gt;/snapshots/&lt;cameraId&gt;/</c>, catalogued in memory (full scan at start and every
/// <c>Storage:RescanInterval</c>, kept current by inotify in between), guarded against a full disk and pruned
/// by the retention policy.
/// </summary>
/// <remarks>
/// <para>
/// Contract with the core: it calls <see cref="SetRecordingActive"/> when a recording starts and stops (the
/// newest recording of an active camera is "in progress": not deletable, never pruned); it subscribes to
/// <see cref="StatusChanged"/> and stops active recordings when the level becomes
/// <see cref="StorageLevel.Critical"/>; it calls <see cref="EnsureSpaceForWrite"/> before every snapshot and
/// recording start.
/// </para>
/// <para>
/// This class is the contract and the lifecycle; the work is done by one part per responsibility, each with its own
/// state: <see cref="CatalogWatcher"/> (per kind: catalog, watcher, scan journal), <see cref="SpaceGuard"/>
/// (measurement, thresholds, write block), <see cref="RetentionSweeper"/> (policy, sweep, cleanup),
/// <see cref="MediaFileResolver"/> (client name → contained file), <see cref="SnapshotNames"/> (snapshot name
/// reservations), <see cref="RecordingActivity"/> (recordings in progress) and <see cref="DurationCache"/>.
/// </para>
/// </remarks>
internal sealed class StorageMediaStore : IMediaStore, IDisposable
{
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StorageMediaStore> _logger;
    private readonly string _root;
    private readonly BackgroundLoops _loops;
    private readonly Lock _lifecycleLock = new();
    private readonly DurationCache _durations = new();
    private readonly CatalogWatcher _recordings;
    private readonly CatalogWatcher _snapshots;
    private readonly RecordingActivity _activity;
    private readonly SpaceGuard _space;
    private readonly RetentionSweeper _retention;
    private readonly SnapshotNames _snapshotNames;
    private readonly MediaFileResolver _resolver;

    public StorageMediaStore(IOptions<StorageOptions> options, IFileSystemStatusProvider statusProvider, TimeProvider timeProvider, ILogger<StorageMediaStore> logger, StorageMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(statusProvider);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _root = Path.GetFullPath(_options.Root);
        _loops = new BackgroundLoops(logger, timeProvider);
        _recordings = new CatalogWatcher(MediaKind.Recording, Path.Combine(_root, "recordings"), "recording", _durations, _loops, timeProvider, logger);
        _snapshots = new CatalogWatcher(MediaKind.Snapshot, Path.Combine(_root, "snapshots"), "snapshot", _durations, _loops, timeProvider, logger);
        _activity = new RecordingActivity(_recordings.Catalog, _options.InProgressWindow);
        _space = new SpaceGuard(_root, _options, statusProvider, _recordings.Catalog, _snapshots.Catalog, OnLevelChanged, timeProvider, logger);
        _retention = new RetentionSweeper(_options, _recordings, _snapshots, _activity, _space, timeProvider, logger, metrics);
        _snapshotNames = new SnapshotNames(_snapshots, timeProvider);
        _resolver = new MediaFileResolver(logger);
    }

    public string Name => "storage";

    public event EventHandler<StorageStatusChangedEventArgs>? StatusChanged;

    /// <inheritdoc/>
    public TimeSpan DownloadUrlLifetime => _options.DownloadUrlTtl;

    /// <summary>The background loops still running (space monitor, rescan, retention sweep; tests check that a stop ended them).</summary>
    internal int RunningLoops => _loops.Running;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycleLock)
        {
            if (_loops.IsStarted)
            {
                return;
            }

            _loops.Start();
        }

        try
        {
            Directory.CreateDirectory(_recordings.Directory);
            Directory.CreateDirectory(_snapshots.Directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DependencyFailedException("storage", "the media directories cannot be created; check Storage:Root and its permissions", ex);
        }

        _retention.Reload();
        await _recordings.StartAsync(cancellationToken).ConfigureAwait(false);
        await _snapshots.StartAsync(cancellationToken).ConfigureAwait(false);
        _space.TryMeasure();
        Log.Started(_logger, _root, _recordings.Catalog.Count, _snapshots.Catalog.Count);
        _loops.RunEvery("space monitor", _options.MonitorInterval, () => _space.TryMeasure());
        _loops.RunEvery("rescan", _options.RescanInterval, RescanAll);

        // A failed sweep is logged and the sweep restarted at once: it waits for the next interval (or wake-up) again.
        _loops.RunGuarded("retention", _retention.SweepAsync, TimeSpan.Zero);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_loops.IsStarted)
        {
            return;
        }

        _recordings.Stop();
        _snapshots.Stop();
        await _loops.StopAsync(cancellationToken).ConfigureAwait(false);
        Log.Stopped(_logger);
    }

    public void Dispose()
    {
        _recordings.Dispose();
        _snapshots.Dispose();

        // Only requests the stop: the loops end on their own, and a synchronous dispose must not block on them.
        _loops.Dispose();
        _retention.Dispose();
    }

    public string GetRecordingDirectory(string cameraId)
    {
        FileNameRules.ValidateCameraId(cameraId);
        return _recordings.CreateCameraDirectory(cameraId);
    }

    public string AllocateSnapshotPath(string cameraId, string? fileName, string extension) =>
        _snapshotNames.Allocate(cameraId, fileName, extension);

    public Task<MediaFile> AddAsync(MediaKind kind, string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var files = Files(kind);
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        var cameraDirectory = Path.GetDirectoryName(full);
        var cameraId = Path.GetFileName(cameraDirectory);
        if (cameraDirectory is null || !string.Equals(Path.GetDirectoryName(cameraDirectory), files.Directory, StringComparison.Ordinal))
        {
            throw new InvalidParameterException("path", $"must be a file directly inside a camera folder of the {files.ResourceName} directory");
        }

        FileNameRules.ValidateFileName(name, "path");
        FileNameRules.ValidateCameraId(cameraId, "path");
        var entry = files.Refresh(full);
        _snapshotNames.Release(name);
        if (entry is null)
        {
            throw File.Exists(full)
                ? new InvalidParameterException("path", "must name a regular file inside the media directory with a unique name")
                : new ResourceNotFoundException(files.ResourceName, name);
        }

        _space.Invalidate();
        return Task.FromResult(ToMediaFile(kind, entry, _time.GetUtcNow()));
    }

    public Task<MediaPage> ListAsync(MediaKind kind, MediaQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 1000)
        {
            throw new InvalidParameterException("limit", "must be between 1 and 1000");
        }

        if (query.Offset < 0)
        {
            throw new InvalidParameterException("offset", "must be 0 or more");
        }

        var (page, total) = Files(kind).Catalog.Page(query.Offset, query.Limit, query.CameraId);
        var now = _time.GetUtcNow();
        var files = new MediaFile[page.Count];
        for (var i = 0; i < files.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            files[i] = ToMediaFile(kind, page[i], now);
        }

        return Task.FromResult(new MediaPage { Files = files, Total = total });
    }

    public Task<MediaFile> GetAsync(MediaKind kind, string fileName, CancellationToken cancellationToken)
    {
        var entry = _resolver.Resolve(Files(kind), fileName);
        return Task.FromResult(ToMediaFile(kind, entry, _time.GetUtcNow()));
    }

    public Task<MediaFile> DeleteAsync(MediaKind kind, string fileName, CancellationToken cancellationToken)
    {
        var files = Files(kind);
        var entry = _resolver.Resolve(files, fileName);
        var file = ToMediaFile(kind, entry, _time.GetUtcNow());
        if (file.InProgress)
        {
            throw new InvalidStateException("recording_in_progress", "RECORDING", $"The recording '{entry.FileName}' is still being written; stop the recording before deleting it.");
        }

        try
        {
            File.Delete(entry.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.DeleteFailed(_logger, ex, kind, entry.FileName);
            throw new DependencyFailedException("storage", $"the {files.ResourceName} could not be deleted; check the permissions of the media directory", ex);
        }

        files.Forget(entry);
        Log.DeletedOnRequest(_logger, kind, entry.FileName, entry.Size);
        _space.Invalidate();
        return Task.FromResult(file);
    }

    public void SetRecordingActive(string cameraId, bool active)
    {
        ArgumentException.ThrowIfNullOrEmpty(cameraId);
        _activity.SetActive(cameraId, active, _time.GetUtcNow());
    }

    public StorageStatus GetStatus() => _space.Measure(force: false);

    public void EnsureSpaceForWrite() => _space.EnsureSpaceForWrite();

    public RetentionPolicy GetRetentionPolicy() => _retention.Policy;

    public Task<RetentionPolicy> SetRetentionPolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken) =>
        Task.FromResult(_retention.SetPolicy(policy));

    public Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken) =>
        _retention.CleanupAsync(cancellationToken);

    /// <summary>Rebuilds both catalogs from disk now (the periodic rescan; used by tests).</summary>
    internal void RescanAll()
    {
        _recordings.Rescan();
        _snapshots.Rescan();
    }

    /// <summary>A level change from the space guard: a fuller disk is swept at once, and the core hears of every change.</summary>
    private void OnLevelChanged(StorageLevel previous, StorageStatus status)
    {
        if (status.Level > previous)
        {
            _retention.Wake();
        }

        StatusChanged?.Invoke(this, new StorageStatusChangedEventArgs { Status = status });
    }

    private CatalogWatcher Files(MediaKind kind) => kind switch
    {
        MediaKind.Recording => _recordings,
        MediaKind.Snapshot => _snapshots,
        _ => throw new InvalidParameterException("kind", "must be recording or snapshot"),
    };

    private MediaFile ToMediaFile(MediaKind kind, CatalogEntry entry, DateTimeOffset now) => new()
    {
        Kind = kind,
        FileName = entry.FileName,
        CameraId = entry.CameraId,
        Path = entry.Path,
        Size = entry.Size,
        Created = entry.Created,
        Modified = entry.Modified,
        Duration = kind == MediaKind.Recording ? _durations.DurationOf(entry) : null,
        InProgress = _activity.IsInProgress(kind, entry, now),
        ContentType = FileNameRules.ContentTypeOf(entry.FileName),
    };
}

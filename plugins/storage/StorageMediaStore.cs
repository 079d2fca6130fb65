using System.Collections.Concurrent;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;
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
/// Contract with the core: it calls <see cref="SetRecordingActive"/> when a recording starts and stops (the
/// newest recording of an active camera is "in progress": not deletable, never pruned); it subscribes to
/// <see cref="StatusChanged"/> and stops active recordings when the level becomes
/// <see cref="StorageLevel.Critical"/>; it calls <see cref="EnsureSpaceForWrite"/> before every snapshot and
/// recording start.
/// </remarks>
internal sealed partial class StorageMediaStore : IMediaStore, IDisposable
{
    private const double BytesPerGb = 1024d * 1024 * 1024;
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(2);

    private readonly StorageOptions _options;
    private readonly IFileSystemStatusProvider _statusProvider;
    private readonly TimeProvider _time;
    private readonly ILogger<StorageMediaStore> _logger;
    private readonly string _root;
    private readonly KindState _recordings;
    private readonly KindState _snapshots;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _activeCameras = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _reservedSnapshots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedDuration> _durations = new(StringComparer.Ordinal);
    private readonly RetentionPolicyStore _policyStore;
    private readonly SemaphoreSlim _retentionGate = new(1, 1);
    private readonly Lock _policyLock = new();
    private readonly Lock _statusLock = new();
    private readonly Lock _lifecycleLock = new();
    private RetentionPolicy _policy = RetentionPolicyStore.Default;
    private StorageStatus? _cachedStatus;
    private long _cachedAt;
    private StorageLevel _lastLevel = StorageLevel.Ok;
    private TaskCompletionSource _retentionWake = NewWake();
    private CancellationTokenSource? _stopping;
    private List<Task> _loops = [];
    private readonly StorageMetrics? _metrics;

    public StorageMediaStore(IOptions<StorageOptions> options, IFileSystemStatusProvider statusProvider, TimeProvider timeProvider, ILogger<StorageMediaStore> logger, StorageMetrics? metrics = null)
    {
        _metrics = metrics;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(statusProvider);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _statusProvider = statusProvider;
        _time = timeProvider;
        _logger = logger;
        _root = Path.GetFullPath(_options.Root);
        _recordings = new KindState(MediaKind.Recording, Path.Combine(_root, "recordings"), "recording");
        _snapshots = new KindState(MediaKind.Snapshot, Path.Combine(_root, "snapshots"), "snapshot");
        _policyStore = new RetentionPolicyStore(Path.GetFullPath(_options.StateDirectory), logger, _options.LegacyStateDirectory);
        _policy = _policyStore.Load();
    }

    public string Name => "storage";

    public event EventHandler<StorageStatusChangedEventArgs>? StatusChanged;

    /// <inheritdoc/>
    public TimeSpan DownloadUrlLifetime => _options.DownloadUrlTtl;

    /// <summary>The options in force (read by the download endpoints and tests).</summary>
    internal StorageOptions Options => _options;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource stopping;
        lock (_lifecycleLock)
        {
            if (_stopping is { IsCancellationRequested: false })
            {
                return;
            }

            _stopping?.Dispose();
            stopping = new CancellationTokenSource();
            _stopping = stopping;
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

        _policy = _policyStore.Load();
        foreach (var state in new[] { _recordings, _snapshots })
        {
            // Watch first, then scan: what changes during the scan is journaled and replayed after it.
            StartWatcher(state);
            await Task.Run(() => Rescan(state), cancellationToken).ConfigureAwait(false);
        }

        TryMeasure(force: true);
        Log.Started(_logger, _root, _recordings.Catalog.Count, _snapshots.Catalog.Count);
        var token = stopping.Token;
        _loops =
        [
            Task.Run(() => RunEveryAsync("space monitor", _options.MonitorInterval, () => TryMeasure(force: true), token), CancellationToken.None),
            Task.Run(() => RunEveryAsync("rescan", _options.RescanInterval, RescanAll, token), CancellationToken.None),
            Task.Run(() => RetentionLoopAsync(token), CancellationToken.None),
        ];
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? stopping;
        lock (_lifecycleLock)
        {
            stopping = _stopping;
            if (stopping is null || stopping.IsCancellationRequested)
            {
                return;
            }

            stopping.Cancel();
        }

        _recordings.StopWatcher();
        _snapshots.StopWatcher();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The loops end by cancellation; that is the normal way out.
        }

        Log.Stopped(_logger);
    }

    public void Dispose()
    {
        CancellationTokenSource? stopping;
        lock (_lifecycleLock)
        {
            stopping = _stopping;
            _stopping = null;
        }

        stopping?.Cancel();
        _recordings.StopWatcher();
        _snapshots.StopWatcher();
        stopping?.Dispose();
    }

    public string GetRecordingDirectory(string cameraId)
    {
        FileNameRules.ValidateCameraId(cameraId);
        var directory = Path.Combine(_recordings.Directory, cameraId);
        CreateDirectory(directory);
        return directory;
    }

    public string AllocateSnapshotPath(string cameraId, string? fileName, string extension)
    {
        FileNameRules.ValidateCameraId(cameraId);
        FileNameRules.ValidateExtension(extension);
        string? requested = null;
        if (fileName is not null)
        {
            FileNameRules.ValidateFileName(fileName);
            if (fileName.StartsWith('.'))
            {
                throw new InvalidParameterException("filename", "must not start with '.'");
            }

            requested = fileName.EndsWith("." + extension, StringComparison.OrdinalIgnoreCase) ? fileName : $"{fileName}.{extension}";
            FileNameRules.ValidateFileName(requested);
        }

        var directory = Path.Combine(_snapshots.Directory, cameraId);
        CreateDirectory(directory);
        var now = _time.GetUtcNow();
        foreach (var (name, at) in _reservedSnapshots)
        {
            if (now - at > ReservationLifetime)
            {
                _reservedSnapshots.TryRemove(name, out _);
            }
        }

        if (requested is not null)
        {
            if (SnapshotNameTaken(requested) || !_reservedSnapshots.TryAdd(requested, now))
            {
                throw new InvalidParameterException("filename", "a snapshot with this name already exists; choose another name");
            }

            return Path.Combine(directory, requested);
        }

        var local = TimeZoneInfo.ConvertTime(now, _time.LocalTimeZone);
        for (var counter = 0; ; counter++)
        {
            var name = FileNameRules.SnapshotName(cameraId, local, extension, counter);
            if (!SnapshotNameTaken(name) && _reservedSnapshots.TryAdd(name, now))
            {
                return Path.Combine(directory, name);
            }
        }
    }

    public Task<MediaFile> AddAsync(MediaKind kind, string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var state = State(kind);
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        var cameraDirectory = Path.GetDirectoryName(full);
        var cameraId = Path.GetFileName(cameraDirectory);
        if (cameraDirectory is null || !string.Equals(Path.GetDirectoryName(cameraDirectory), state.Directory, StringComparison.Ordinal))
        {
            throw new InvalidParameterException("path", $"must be a file directly inside a camera folder of the {state.ResourceName} directory");
        }

        FileNameRules.ValidateFileName(name, "path");
        FileNameRules.ValidateCameraId(cameraId, "path");
        var entry = Refresh(state, full);
        _reservedSnapshots.TryRemove(name, out _);
        if (entry is null)
        {
            throw File.Exists(full)
                ? new InvalidParameterException("path", "must name a regular file inside the media directory with a unique name")
                : new ResourceNotFoundException(state.ResourceName, name);
        }

        InvalidateStatus();
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

        var (page, total) = State(kind).Catalog.Page(query.Offset, query.Limit, query.CameraId);
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
        var entry = Resolve(State(kind), fileName);
        return Task.FromResult(ToMediaFile(kind, entry, _time.GetUtcNow()));
    }

    public Task<MediaFile> DeleteAsync(MediaKind kind, string fileName, CancellationToken cancellationToken)
    {
        var state = State(kind);
        var entry = Resolve(state, fileName);
        var now = _time.GetUtcNow();
        var file = ToMediaFile(kind, entry, now);
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
            throw new DependencyFailedException("storage", $"the {state.ResourceName} could not be deleted; check the permissions of the media directory", ex);
        }

        Forget(state, entry);
        Log.DeletedOnRequest(_logger, kind, entry.FileName, entry.Size);
        InvalidateStatus();
        return Task.FromResult(file);
    }

    public void SetRecordingActive(string cameraId, bool active)
    {
        ArgumentException.ThrowIfNullOrEmpty(cameraId);
        if (active)
        {
            _activeCameras[cameraId] = _time.GetUtcNow();
        }
        else
        {
            _activeCameras.TryRemove(cameraId, out _);
        }
    }

    public StorageStatus GetStatus() => Measure(force: false);

    public void EnsureSpaceForWrite()
    {
        var status = Measure(force: false);
        if (status.Level == StorageLevel.Critical)
        {
            throw new InsufficientStorageException(status.AvailableBytes, status.BlockPercent);
        }
    }

    public RetentionPolicy GetRetentionPolicy()
    {
        lock (_policyLock)
        {
            return _policy;
        }
    }

    public Task<RetentionPolicy> SetRetentionPolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken)
    {
        RetentionPolicyStore.Validate(policy);
        lock (_policyLock)
        {
            _policyStore.Save(policy);
            _policy = policy;
        }

        Log.PolicySet(_logger, policy.PolicyType, policy.Enabled, policy.MaxAgeDays, policy.MaxSizeGb, policy.MinFreePercent);
        if (policy.Enabled)
        {
            // Applied by the background sweep right away, so the RPC does not wait for a large deletion.
            WakeRetention();
        }

        return Task.FromResult(policy);
    }

    public async Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken) =>
        await ApplyRetentionAsync(GetRetentionPolicy(), "cleanup", cancellationToken).ConfigureAwait(false);

    /// <summary>Rebuilds both catalogs from disk now (the periodic rescan; used by tests).</summary>
    internal void RescanAll()
    {
        Rescan(_recordings);
        Rescan(_snapshots);
    }

    /// <summary>Measures the file system (bypassing the cache when <paramref name="force"/>) and raises <see cref="StatusChanged"/> on a level change.</summary>
    internal StorageStatus Measure(bool force)
    {
        var nowStamp = _time.GetTimestamp();
        lock (_statusLock)
        {
            if (!force && _cachedStatus is { } cached && _time.GetElapsedTime(_cachedAt, nowStamp) < _options.StatusCacheDuration)
            {
                return cached;
            }
        }

        FileSystemSpace space;
        try
        {
            space = _statusProvider.Measure(_root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.MeasureFailed(_logger, ex, _root);
            throw new DependencyFailedException("storage", "the free space of the media directory cannot be measured; check that Storage:Root exists and is mounted", ex);
        }

        // Like df: used / (used + available), so blocks reserved for root count as unavailable.
        var used = Math.Max(0, space.TotalBytes - space.FreeBytes);
        var usable = used + space.AvailableBytes;
        var usage = usable > 0 ? used * 100.0 / usable : 0;
        var level = usage >= _options.BlockPercent ? StorageLevel.Critical
            : usage >= _options.WarnPercent ? StorageLevel.Warning
            : StorageLevel.Ok;
        var status = new StorageStatus
        {
            TotalBytes = space.TotalBytes,
            UsedBytes = used,
            AvailableBytes = space.AvailableBytes,
            UsagePercent = Math.Round(usage, 2),
            RecordingsBytes = _recordings.Catalog.TotalBytes,
            SnapshotsBytes = _snapshots.Catalog.TotalBytes,
            WarnPercent = _options.WarnPercent,
            BlockPercent = _options.BlockPercent,
            Level = level,
        };

        StorageLevel previous;
        lock (_statusLock)
        {
            _cachedStatus = status;
            _cachedAt = nowStamp;
            previous = _lastLevel;
            _lastLevel = level;
        }

        if (previous != level)
        {
            Log.LevelChanged(_logger, previous, level, status.UsagePercent, status.AvailableBytes, status.WarnPercent, status.BlockPercent);
            if (level > previous)
            {
                WakeRetention();
            }

            try
            {
                StatusChanged?.Invoke(this, new StorageStatusChangedEventArgs { Status = status });
            }
            catch (Exception ex) // a subscriber's bug must not break measuring (and with it every write check)
            {
                Log.SubscriberFailed(_logger, ex);
            }
        }

        return status;
    }

    private StorageStatus? TryMeasure(bool force)
    {
        try
        {
            return Measure(force);
        }
        catch (DependencyFailedException)
        {
            // Logged by Measure; the next interval tries again.
            return null;
        }
    }

    private void InvalidateStatus()
    {
        lock (_statusLock)
        {
            _cachedStatus = null;
        }
    }

    private KindState State(MediaKind kind) => kind switch
    {
        MediaKind.Recording => _recordings,
        MediaKind.Snapshot => _snapshots,
        _ => throw new InvalidParameterException("kind", "must be recording or snapshot"),
    };

    private static void CreateDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DependencyFailedException("storage", "a media directory cannot be created; check Storage:Root and its permissions", ex);
        }
    }

    private bool SnapshotNameTaken(string name) =>
        _reservedSnapshots.ContainsKey(name) || _snapshots.Catalog.Get(name) is not null || FindOnDisk(_snapshots, name) is not null;

    /// <summary>Validates a name and finds its file, refreshed from disk; throws the contract's exceptions.</summary>
    private CatalogEntry Resolve(KindState state, string fileName)
    {
        FileNameRules.ValidateFileName(fileName);
        var canonicalRoot = SafePath.RealPath(state.Directory)
            ?? throw new ResourceNotFoundException(state.ResourceName, fileName);
        var path = state.Catalog.Get(fileName)?.Path ?? FindOnDisk(state, fileName)
            ?? throw new ResourceNotFoundException(state.ResourceName, fileName);
        if (SafePath.ResolveContainedFile(path, canonicalRoot, out var escapes) is null)
        {
            if (escapes)
            {
                Log.EscapeRefused(_logger, state.Kind, fileName);
                throw new InvalidParameterException("filename", "must name a file inside the media directory");
            }

            state.Catalog.Remove(fileName, path);
            throw new ResourceNotFoundException(state.ResourceName, fileName);
        }

        return Refresh(state, path) ?? throw new ResourceNotFoundException(state.ResourceName, fileName);
    }

    /// <summary>Looks for a name in every camera folder (the watcher may not have reported it yet).</summary>
    private static string? FindOnDisk(KindState state, string fileName)
    {
        if (!Directory.Exists(state.Directory))
        {
            return null;
        }

        foreach (var directory in Directory.EnumerateDirectories(state.Directory))
        {
            var candidate = Path.Combine(directory, fileName);
            if (Path.Exists(candidate) || new FileInfo(candidate).LinkTarget is not null)
            {
                return candidate;
            }
        }

        return null;
    }

    private MediaFile ToMediaFile(MediaKind kind, CatalogEntry entry, DateTimeOffset now)
    {
        TimeSpan? duration = null;
        if (kind == MediaKind.Recording)
        {
            duration = DurationOf(entry);
        }

        return new MediaFile
        {
            Kind = kind,
            FileName = entry.FileName,
            CameraId = entry.CameraId,
            Path = entry.Path,
            Size = entry.Size,
            Created = entry.Created,
            Modified = entry.Modified,
            Duration = duration,
            InProgress = IsInProgress(kind, entry, now),
            ContentType = FileNameRules.ContentTypeOf(entry.FileName),
        };
    }

    /// <summary>
    /// A recording is in progress when its camera is recording and it is that camera's newest file, or when it
    /// was modified within <c>Storage:InProgressWindow</c> (covers recordings the core does not know about, e.g.
    /// after a restart or a segment switch the watcher has not reported yet).
    /// </summary>
    private bool IsInProgress(MediaKind kind, CatalogEntry entry, DateTimeOffset now)
    {
        if (kind != MediaKind.Recording)
        {
            return false;
        }

        if (now - entry.Modified < _options.InProgressWindow)
        {
            return true;
        }

        return _activeCameras.ContainsKey(entry.CameraId)
            && string.Equals(_recordings.Catalog.NewestOf(entry.CameraId)?.FileName, entry.FileName, StringComparison.Ordinal);
    }

    private TimeSpan? DurationOf(CatalogEntry entry)
    {
        if (_durations.TryGetValue(entry.Path, out var cached) && cached.Size == entry.Size && cached.Modified == entry.Modified)
        {
            return cached.Duration;
        }

        var duration = entry.Size == 0 ? null : Mp4DurationReader.TryRead(entry.Path);
        _durations[entry.Path] = new CachedDuration(entry.Size, entry.Modified, duration);
        return duration;
    }

    private void Forget(KindState state, CatalogEntry entry)
    {
        state.Catalog.Remove(entry.FileName, entry.Path);
        _durations.TryRemove(entry.Path, out _);
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void WakeRetention() => Volatile.Read(ref _retentionWake).TrySetResult();

    private async Task RunEveryAsync(string name, TimeSpan interval, Action action, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                action();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // a background failure is logged and retried; it must not end the loop
            {
                Log.BackgroundFailed(_logger, ex, name);
            }
        }
    }

    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using (var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    var wake = Volatile.Read(ref _retentionWake).Task;
                    await Task.WhenAny(Task.Delay(_options.RetentionInterval, _time, delay.Token), wake).ConfigureAwait(false);
                    await delay.CancelAsync().ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                Interlocked.Exchange(ref _retentionWake, NewWake());
                var policy = GetRetentionPolicy();
                if (policy.Enabled)
                {
                    await ApplyRetentionAsync(policy, "sweep", cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // a failed sweep is logged and retried at the next interval
            {
                Log.BackgroundFailed(_logger, ex, "retention");
            }
        }
    }

    private async Task<CleanupResult> ApplyRetentionAsync(RetentionPolicy policy, string trigger, CancellationToken cancellationToken)
    {
        await _retentionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => ApplyRetention(policy, trigger, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _retentionGate.Release();
        }
    }

    private CleanupResult ApplyRetention(RetentionPolicy policy, string trigger, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var candidates = _recordings.Catalog.All().Select(e => (State: _recordings, Entry: e))
            .Concat(_snapshots.Catalog.All().Select(e => (State: _snapshots, Entry: e)))
            .OrderBy(c => c.Entry.Modified.UtcTicks)
            .ThenBy(c => c.Entry.FileName, StringComparer.Ordinal)
            .ToList();
        var deleted = new HashSet<(MediaKind, string)>();
        var count = 0;
        long freed = 0;
        var reasons = new List<string>();

        bool TryDelete(KindState state, CatalogEntry entry, string rule, string reason)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (deleted.Contains((state.Kind, entry.FileName)) || IsInProgress(state.Kind, entry, _time.GetUtcNow()))
            {
                return false;
            }

            try
            {
                File.Delete(entry.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.RetentionDeleteFailed(_logger, ex, state.Kind, entry.FileName);
                return false;
            }

            Forget(state, entry);
            deleted.Add((state.Kind, entry.FileName));
            count++;
            freed += entry.Size;
            Log.RetentionDeleted(_logger, state.Kind, entry.FileName, entry.Size, entry.Modified, reason, trigger);
            _metrics?.RetentionDeleted(state.Kind == MediaKind.Recording ? "recording" : "snapshot", rule, trigger, entry.Size);
            return true;
        }

        if (policy.PolicyType == RetentionPolicyTypes.Age && policy.MaxAgeDays is { } days)
        {
            var cutoff = now - TimeSpan.FromDays(days);
            var before = count;
            foreach (var (state, entry) in candidates.TakeWhile(c => c.Entry.Modified < cutoff))
            {
                TryDelete(state, entry, "age", string.Create(CultureInfo.InvariantCulture, $"older than {days} days"));
            }

            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{count - before} older than {days} days"));
        }

        if (policy.PolicyType == RetentionPolicyTypes.Size && policy.MaxSizeGb is { } gb)
        {
            var limit = (long)(gb * BytesPerGb);
            var total = _recordings.Catalog.TotalBytes + _snapshots.Catalog.TotalBytes;
            var before = count;
            foreach (var (state, entry) in candidates)
            {
                if (total <= limit)
                {
                    break;
                }

                if (TryDelete(state, entry, "size", string.Create(CultureInfo.InvariantCulture, $"media above {gb} GB")))
                {
                    total -= entry.Size;
                }
            }

            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{count - before} to keep media below {gb} GB"));
        }

        if (policy.MinFreePercent is { } minFree and > 0)
        {
            var status = Measure(force: true);
            var usable = status.UsedBytes + status.AvailableBytes;
            var deficit = (long)Math.Ceiling(minFree / 100 * usable) - status.AvailableBytes;
            var before = count;
            foreach (var (state, entry) in candidates)
            {
                if (deficit <= 0)
                {
                    break;
                }

                if (TryDelete(state, entry, "min_free", string.Create(CultureInfo.InvariantCulture, $"free space below {minFree}%")))
                {
                    deficit -= entry.Size;
                }
            }

            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{count - before} to keep {minFree}% free"));
        }

        if (count > 0)
        {
            InvalidateStatus();
            TryMeasure(force: true);
        }

        Log.RetentionSummary(_logger, trigger, policy.PolicyType, count, freed);
        var message = reasons.Count == 0
            ? "The retention policy is manual without a free-space floor; nothing was deleted."
            : string.Create(CultureInfo.InvariantCulture, $"Deleted {count} files ({FormatBytes(freed)}) by the {policy.PolicyType} policy: {string.Join(", ", reasons)}; files being written are kept.");
        return new CleanupResult { FilesDeleted = count, BytesFreed = freed, Message = message };
    }

    private static string FormatBytes(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    private sealed record CachedDuration(long Size, DateTimeOffset Modified, TimeSpan? Duration);
}

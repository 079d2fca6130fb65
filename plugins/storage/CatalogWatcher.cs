using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Keeps the catalog of one kind (recordings or snapshots) in step with its directory: a full scan at start and on
/// every rescan, the inotify watcher in between, and single-file refreshes when the store touches a file.
/// </summary>
/// <remarks>
/// Owns the kind's directory, its <see cref="MediaCatalog"/>, the <see cref="FileSystemWatcher"/> and the journal of
/// the paths that changed during a scan (replayed after it, so nothing that happened while walking is lost). Its
/// lock guards the watcher and the journal; a second lock lets one rescan of the kind run at a time.
/// </remarks>
internal sealed class CatalogWatcher : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Lock _rescanLock = new();
    private readonly DurationCache _durations;
    private readonly BackgroundLoops _loops;
    private readonly ILogger _logger;
    private readonly CatalogEntryReader _reader;
    private HashSet<string>? _journal;
    private FileSystemWatcher? _watcher;

    /// <param name="kind">Recordings or snapshots.</param>
    /// <param name="directory">The kind's directory: <c>&lt;root&gt;/recordings</c> or <c>&lt;root&gt;/snapshots</c>.</param>
    /// <param name="resourceName">The name used in errors: <c>recording</c> or <c>snapshot</c>.</param>
    /// <param name="durations">The store's duration cache; entries of forgotten files are dropped from it.</param>
    /// <param name="loops">The store's background loops (a rescan after a watcher error runs on them).</param>
    /// <param name="time">The clock (the local time zone reads the start time in a file name).</param>
    /// <param name="logger">The store's logger.</param>
    public CatalogWatcher(MediaKind kind, string directory, string resourceName, DurationCache durations, BackgroundLoops loops, TimeProvider time, ILogger logger)
    {
        Kind = kind;
        Directory = directory;
        ResourceName = resourceName;
        _durations = durations;
        _loops = loops;
        _logger = logger;
        _reader = new CatalogEntryReader(Catalog, time, logger);
    }

    public MediaKind Kind { get; }

    public string Directory { get; }

    public string ResourceName { get; }

    public MediaCatalog Catalog { get; } = new();

    /// <summary>Starts watching, then scans: what changes during the scan is journaled and replayed after it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Watch();
        await Task.Run(Rescan, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the watcher (the catalog stays as it is).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_watcher is not null)
            {
                _watcher.EnableRaisingEvents = false;
                _watcher.Dispose();
                _watcher = null;
            }
        }
    }

    public void Dispose() => Stop();

    /// <summary>Creates (if needed) and returns the folder of a camera inside this kind's directory.</summary>
    public string CreateCameraDirectory(string cameraId)
    {
        var cameraDirectory = Path.Combine(Directory, cameraId);
        try
        {
            System.IO.Directory.CreateDirectory(cameraDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DependencyFailedException("storage", "a media directory cannot be created; check Storage:Root and its permissions", ex);
        }

        return cameraDirectory;
    }

    /// <summary>Rebuilds the catalog from a full walk; changes seen meanwhile are replayed afterwards.</summary>
    public void Rescan()
    {
        // One rescan per kind at a time (periodic and after a watcher overflow), so they share no journal.
        lock (_rescanLock)
        {
            RescanLocked();
        }
    }

    /// <summary>Re-reads one file into the catalog (or drops it) and returns its entry, or null when it is not catalogued.</summary>
    public CatalogEntry? Refresh(string path)
    {
        Journal(path);
        var name = Path.GetFileName(path);
        var cameraId = Path.GetFileName(Path.GetDirectoryName(path)) ?? string.Empty;
        var canonicalRoot = SafePath.RealPath(Directory);
        var file = new FileInfo(path);
        var entry = canonicalRoot is not null && (file.Exists || file.LinkTarget is not null) && FileNameRules.IsValidCameraId(cameraId)
            ? _reader.Read(cameraId, file, canonicalRoot)
            : null;
        if (entry is null)
        {
            if (Catalog.Remove(name, path) is { } removed)
            {
                _durations.Forget(removed.Path);
            }

            return null;
        }

        if (!Catalog.Upsert(entry))
        {
            Log.DuplicateNameIgnored(_logger, path, Kind, name);
            return null;
        }

        return entry;
    }

    /// <summary>Drops a deleted file from the catalog and its cached duration.</summary>
    public void Forget(CatalogEntry entry)
    {
        Catalog.Remove(entry.FileName, entry.Path);
        _durations.Forget(entry.Path);
    }

    /// <summary>Looks for a name in every camera folder (the watcher may not have reported it yet).</summary>
    public string? FindOnDisk(string fileName)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return null;
        }

        foreach (var cameraDirectory in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var candidate = Path.Combine(cameraDirectory, fileName);
            if (Path.Exists(candidate) || new FileInfo(candidate).LinkTarget is not null)
            {
                return candidate;
            }
        }

        return null;
    }

    private void Watch()
    {
        var watcher = new FileSystemWatcher(Directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Created += (_, e) => OnFileSystemEvent(e.FullPath, structural: true);
        watcher.Deleted += (_, e) => OnFileSystemEvent(e.FullPath, structural: true);
        watcher.Changed += (_, e) => OnFileSystemEvent(e.FullPath, structural: false);
        watcher.Renamed += (_, e) =>
        {
            OnFileSystemEvent(e.OldFullPath, structural: true);
            OnFileSystemEvent(e.FullPath, structural: true);
        };
        watcher.Error += (_, e) =>
        {
            Log.WatcherError(_logger, e.GetException(), Kind);
            RescanInBackground();
        };
        watcher.EnableRaisingEvents = true;
        lock (_lock)
        {
            _watcher?.Dispose();
            _watcher = watcher;
        }
    }

    /// <summary>After a watcher overflow: a rescan on the store's loops, so the store's stop waits for it.</summary>
    private void RescanInBackground()
    {
        try
        {
            _loops.Run("rescan after a watcher error", _ =>
            {
                Rescan();
                return Task.CompletedTask;
            });
        }
        catch (InvalidOperationException)
        {
            // The store was disposed while the watcher reported (its loops take no more work); nothing to keep current.
        }
    }

    private void OnFileSystemEvent(string path, bool structural)
    {
        try
        {
            var relative = Path.GetRelativePath(Directory, path);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Length == 1 && structural && parts[0] is not ("." or ".."))
            {
                // A camera folder appeared, vanished or was renamed; files may have landed in a new folder
                // before inotify watched it, so read the folder itself.
                RescanCamera(parts[0]);
            }
            else if (parts.Length == 2)
            {
                Refresh(path);
            }
        }
        catch (Exception ex) // on the watcher's thread: an escaping exception would end the process
        {
            Log.WatcherEventFailed(_logger, ex, path);
        }
    }

    private void RescanLocked()
    {
        BeginJournal();
        HashSet<string> journal;
        try
        {
            var entries = new List<CatalogEntry>();
            var canonicalRoot = SafePath.RealPath(Directory);
            if (canonicalRoot is not null)
            {
                foreach (var cameraDirectory in new DirectoryInfo(Directory).EnumerateDirectories("*", CatalogEntryReader.ScanOptions))
                {
                    entries.AddRange(_reader.ReadCamera(cameraDirectory, canonicalRoot));
                }
            }

            Catalog.Replace(entries);
            _durations.Prune(Directory, Catalog);
        }
        finally
        {
            journal = EndJournal();
        }

        foreach (var path in journal)
        {
            Refresh(path);
        }

        Log.Rescanned(_logger, Kind, Catalog.Count);
    }

    private void RescanCamera(string cameraId)
    {
        if (!FileNameRules.IsValidCameraId(cameraId))
        {
            return;
        }

        var cameraDirectory = new DirectoryInfo(Path.Combine(Directory, cameraId));
        var canonicalRoot = SafePath.RealPath(Directory);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (cameraDirectory.Exists && canonicalRoot is not null)
        {
            foreach (var entry in _reader.ReadCamera(cameraDirectory, canonicalRoot))
            {
                if (Catalog.Upsert(entry))
                {
                    found.Add(entry.FileName);
                }
            }
        }

        Catalog.RemoveCameraExcept(cameraId, found);
    }

    private void BeginJournal()
    {
        lock (_lock)
        {
            _journal ??= new HashSet<string>(StringComparer.Ordinal);
        }
    }

    private HashSet<string> EndJournal()
    {
        lock (_lock)
        {
            var journal = _journal ?? [];
            _journal = null;
            return journal;
        }
    }

    private void Journal(string path)
    {
        lock (_lock)
        {
            _journal?.Add(path);
        }
    }
}

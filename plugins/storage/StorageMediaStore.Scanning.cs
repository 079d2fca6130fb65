using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage;

/// <summary>Keeping the catalog in step with the disk: full scans and the inotify watcher.</summary>
internal sealed partial class StorageMediaStore
{
    private static readonly EnumerationOptions ScanOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,

        // Dot-files are temporary or private files (atomic writes); they are never listed.
        AttributesToSkip = FileAttributes.Hidden,
        ReturnSpecialDirectories = false,
    };

    private void StartWatcher(KindState state)
    {
        var watcher = new FileSystemWatcher(state.Directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Created += (_, e) => OnFileSystemEvent(state, e.FullPath, structural: true);
        watcher.Deleted += (_, e) => OnFileSystemEvent(state, e.FullPath, structural: true);
        watcher.Changed += (_, e) => OnFileSystemEvent(state, e.FullPath, structural: false);
        watcher.Renamed += (_, e) =>
        {
            OnFileSystemEvent(state, e.OldFullPath, structural: true);
            OnFileSystemEvent(state, e.FullPath, structural: true);
        };
        watcher.Error += (_, e) =>
        {
            Log.WatcherError(_logger, e.GetException(), state.Kind);
            _ = Task.Run(() =>
            {
                try
                {
                    Rescan(state);
                }
                catch (Exception ex) // on a thread-pool thread: an escaping exception would end the process
                {
                    Log.BackgroundFailed(_logger, ex, "rescan");
                }
            });
        };
        watcher.EnableRaisingEvents = true;
        state.SetWatcher(watcher);
    }

    private void OnFileSystemEvent(KindState state, string path, bool structural)
    {
        try
        {
            var relative = Path.GetRelativePath(state.Directory, path);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Length == 1 && structural && parts[0] is not ("." or ".."))
            {
                // A camera folder appeared, vanished or was renamed; files may have landed in a new folder
                // before inotify watched it, so read the folder itself.
                RescanCamera(state, parts[0]);
            }
            else if (parts.Length == 2)
            {
                Refresh(state, path);
            }
        }
        catch (Exception ex) // on the watcher's thread: an escaping exception would end the process
        {
            Log.WatcherEventFailed(_logger, ex, path);
        }
    }

    /// <summary>Rebuilds a kind's catalog from a full walk; changes seen meanwhile are replayed afterwards.</summary>
    private void Rescan(KindState state)
    {
        // One rescan per kind at a time (periodic and after a watcher overflow), so they share no journal.
        lock (state.RescanLock)
        {
            RescanLocked(state);
        }
    }

    private void RescanLocked(KindState state)
    {
        state.BeginJournal();
        HashSet<string> journal;
        try
        {
            var entries = new List<CatalogEntry>();
            var canonicalRoot = SafePath.RealPath(state.Directory);
            if (canonicalRoot is not null)
            {
                foreach (var cameraDirectory in new DirectoryInfo(state.Directory).EnumerateDirectories("*", ScanOptions))
                {
                    entries.AddRange(ScanCamera(state, cameraDirectory, canonicalRoot));
                }
            }

            state.Catalog.Replace(entries);
            PruneDurations(state);
        }
        finally
        {
            journal = state.EndJournal();
        }

        foreach (var path in journal)
        {
            Refresh(state, path);
        }

        Log.Rescanned(_logger, state.Kind, state.Catalog.Count);
    }

    /// <summary>Drops cached durations of files the catalog no longer holds (deleted while the watcher missed it).</summary>
    private void PruneDurations(KindState state)
    {
        var prefix = state.Directory + Path.DirectorySeparatorChar;
        foreach (var path in _durations.Keys)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal)
                && !string.Equals(state.Catalog.Get(Path.GetFileName(path))?.Path, path, StringComparison.Ordinal))
            {
                _durations.TryRemove(path, out _);
            }
        }
    }

    private void RescanCamera(KindState state, string cameraId)
    {
        if (!FileNameRules.IsValidCameraId(cameraId))
        {
            return;
        }

        var directory = new DirectoryInfo(Path.Combine(state.Directory, cameraId));
        var canonicalRoot = SafePath.RealPath(state.Directory);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (directory.Exists && canonicalRoot is not null)
        {
            foreach (var entry in ScanCamera(state, directory, canonicalRoot))
            {
                if (state.Catalog.Upsert(entry))
                {
                    found.Add(entry.FileName);
                }
            }
        }

        state.Catalog.RemoveCameraExcept(cameraId, found);
    }

    private List<CatalogEntry> ScanCamera(KindState state, DirectoryInfo cameraDirectory, string canonicalRoot)
    {
        var entries = new List<CatalogEntry>();
        if (!FileNameRules.IsValidCameraId(cameraDirectory.Name))
        {
            return entries;
        }

        if (cameraDirectory.LinkTarget is not null)
        {
            var real = SafePath.RealPath(cameraDirectory.FullName);
            if (real is null || !SafePath.IsInside(real, canonicalRoot))
            {
                Log.EscapingLinkIgnored(_logger, cameraDirectory.FullName);
                return entries;
            }
        }

        try
        {
            foreach (var file in cameraDirectory.EnumerateFiles("*", ScanOptions))
            {
                if (MakeEntry(state, cameraDirectory.Name, file, canonicalRoot) is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Removed while being read: its files are gone too.
        }

        return entries;
    }

    /// <summary>Re-reads one file into the catalog (or drops it) and returns its entry, or null when it is not catalogued.</summary>
    private CatalogEntry? Refresh(KindState state, string path)
    {
        state.Journal(path);
        var name = Path.GetFileName(path);
        var cameraId = Path.GetFileName(Path.GetDirectoryName(path)) ?? string.Empty;
        var canonicalRoot = SafePath.RealPath(state.Directory);
        var file = new FileInfo(path);
        var entry = canonicalRoot is not null && (file.Exists || file.LinkTarget is not null) && FileNameRules.IsValidCameraId(cameraId)
            ? MakeEntry(state, cameraId, file, canonicalRoot)
            : null;
        if (entry is null)
        {
            if (state.Catalog.Remove(name, path) is { } removed)
            {
                _durations.TryRemove(removed.Path, out _);
            }

            return null;
        }

        if (!state.Catalog.Upsert(entry))
        {
            Log.DuplicateNameIgnored(_logger, path, state.Kind, name);
            return null;
        }

        return entry;
    }

    private CatalogEntry? MakeEntry(KindState state, string cameraId, FileInfo file, string canonicalRoot)
    {
        var name = file.Name;
        if (name.StartsWith('.') || FileNameRules.DescribeInvalidFileName(name) is not null)
        {
            return null;
        }

        try
        {
            var info = file;
            if (file.LinkTarget is not null)
            {
                var real = SafePath.ResolveContainedFile(file.FullName, canonicalRoot, out var escapes);
                if (real is null)
                {
                    if (escapes)
                    {
                        Log.EscapingLinkIgnored(_logger, file.FullName);
                    }

                    return null;
                }

                info = new FileInfo(real);
            }

            if (!info.Exists)
            {
                return null;
            }

            var modified = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            var created = FileNameRules.TryParseNameTime(name, _time.LocalTimeZone)
                ?? state.Catalog.Get(name)?.Created
                ?? modified;
            return new CatalogEntry(name, cameraId, file.FullName, info.Length, modified, created);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Vanished or unreadable between listing and stat: not catalogued now; the watcher or rescan will tell.
            return null;
        }
    }

    /// <summary>Per-kind state: directory, catalog, watcher and the journal of changes during a rescan.</summary>
    private sealed class KindState(MediaKind kind, string directory, string resourceName)
    {
        private readonly Lock _lock = new();
        private HashSet<string>? _journal;
        private FileSystemWatcher? _watcher;

        public MediaKind Kind { get; } = kind;

        public string Directory { get; } = directory;

        public string ResourceName { get; } = resourceName;

        public MediaCatalog Catalog { get; } = new();

        public Lock RescanLock { get; } = new();

        public void SetWatcher(FileSystemWatcher watcher)
        {
            lock (_lock)
            {
                _watcher?.Dispose();
                _watcher = watcher;
            }
        }

        public void StopWatcher()
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

        public void BeginJournal()
        {
            lock (_lock)
            {
                _journal ??= new HashSet<string>(StringComparer.Ordinal);
            }
        }

        public HashSet<string> EndJournal()
        {
            lock (_lock)
            {
                var journal = _journal ?? [];
                _journal = null;
                return journal;
            }
        }

        public void Journal(string path)
        {
            lock (_lock)
            {
                _journal?.Add(path);
            }
        }
    }
}

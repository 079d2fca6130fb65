namespace CameraService.Plugins.Storage;

/// <summary>One file as the catalog knows it.</summary>
/// <param name="FileName">Bare name, unique within its kind.</param>
/// <param name="CameraId">The camera directory it lives in.</param>
/// <param name="Path">Full path (inside the kind's directory).</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Modified">Last write time (UTC).</param>
/// <param name="Created">Start time from the name, else the first seen modification time.</param>
internal sealed record CatalogEntry(string FileName, string CameraId, string Path, long Size, DateTimeOffset Modified, DateTimeOffset Created);

/// <summary>
/// The in-memory index of one kind (recordings or snapshots): by name, and sorted newest first overall and per
/// camera, so a page is a slice (no directory walk, no sort per call). Updates are a binary search plus a
/// memmove of the sorted lists, cheap even at 100,000 entries; all access is under one lock.
/// </summary>
internal sealed class MediaCatalog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CatalogEntry> _byName = new(StringComparer.Ordinal);
    private readonly List<CatalogEntry> _all = [];
    private readonly Dictionary<string, List<CatalogEntry>> _byCamera = new(StringComparer.Ordinal);
    private long _totalBytes;

    /// <summary>Orders newest first: modification time descending, then name descending (a total order).</summary>
    public static IComparer<CatalogEntry> NewestFirst { get; } = Comparer<CatalogEntry>.Create(static (a, b) =>
    {
        var byTime = b.Modified.UtcTicks.CompareTo(a.Modified.UtcTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(b.FileName, a.FileName);
    });

    /// <summary>Number of files.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>Sum of the file sizes.</summary>
    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                return _totalBytes;
            }
        }
    }

    /// <summary>The entry of a name, or null.</summary>
    public CatalogEntry? Get(string fileName)
    {
        lock (_lock)
        {
            return _byName.GetValueOrDefault(fileName);
        }
    }

    /// <summary>
    /// Adds or updates an entry. Returns false (and changes nothing) when another file with the same name is
    /// already catalogued in another camera's directory: names are unique per kind, the first one found wins.
    /// </summary>
    public bool Upsert(CatalogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (_byName.TryGetValue(entry.FileName, out var existing))
            {
                if (!string.Equals(existing.Path, entry.Path, StringComparison.Ordinal))
                {
                    return false;
                }

                if (existing == entry)
                {
                    return true;
                }

                RemoveLocked(existing);
            }

            AddLocked(entry);
            return true;
        }
    }

    /// <summary>Removes the entry of a name if it is the file at <paramref name="path"/> (any path when null).</summary>
    public CatalogEntry? Remove(string fileName, string? path = null)
    {
        lock (_lock)
        {
            if (!_byName.TryGetValue(fileName, out var existing)
                || (path is not null && !string.Equals(existing.Path, path, StringComparison.Ordinal)))
            {
                return null;
            }

            RemoveLocked(existing);
            return existing;
        }
    }

    /// <summary>Removes every entry of a camera whose name is not in <paramref name="keep"/>.</summary>
    public int RemoveCameraExcept(string cameraId, IReadOnlySet<string> keep)
    {
        lock (_lock)
        {
            if (!_byCamera.TryGetValue(cameraId, out var list))
            {
                return 0;
            }

            var gone = list.Where(e => !keep.Contains(e.FileName)).ToList();
            foreach (var entry in gone)
            {
                RemoveLocked(entry);
            }

            return gone.Count;
        }
    }

    /// <summary>Replaces the whole index (after a full rescan).</summary>
    public void Replace(IEnumerable<CatalogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);

        // Build outside the lock: sorting 100,000 entries takes a while and listings must not wait for it.
        var byName = new Dictionary<string, CatalogEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            byName.TryAdd(entry.FileName, entry);
        }

        var all = byName.Values.ToList();
        all.Sort(NewestFirst);
        var byCamera = new Dictionary<string, List<CatalogEntry>>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in all)
        {
            if (!byCamera.TryGetValue(entry.CameraId, out var list))
            {
                list = [];
                byCamera[entry.CameraId] = list;
            }

            list.Add(entry);
            total += entry.Size;
        }

        lock (_lock)
        {
            _byName.Clear();
            foreach (var (name, entry) in byName)
            {
                _byName[name] = entry;
            }

            _all.Clear();
            _all.AddRange(all);
            _byCamera.Clear();
            foreach (var (camera, list) in byCamera)
            {
                _byCamera[camera] = list;
            }

            _totalBytes = total;
        }
    }

    /// <summary>One page, newest first, and the number of matching files.</summary>
    public (IReadOnlyList<CatalogEntry> Page, int Total) Page(int offset, int limit, string? cameraId)
    {
        lock (_lock)
        {
            List<CatalogEntry> source;
            if (cameraId is null)
            {
                source = _all;
            }
            else if (!_byCamera.TryGetValue(cameraId, out source!))
            {
                return ([], 0);
            }

            if (offset >= source.Count)
            {
                return ([], source.Count);
            }

            var count = Math.Min(limit, source.Count - offset);
            return (source.GetRange(offset, count), source.Count);
        }
    }

    /// <summary>The newest file of a camera, or null.</summary>
    public CatalogEntry? NewestOf(string cameraId)
    {
        lock (_lock)
        {
            return _byCamera.TryGetValue(cameraId, out var list) && list.Count > 0 ? list[0] : null;
        }
    }

    /// <summary>A copy of every entry, newest first.</summary>
    public IReadOnlyList<CatalogEntry> All()
    {
        lock (_lock)
        {
            return _all.ToArray();
        }
    }

    private void AddLocked(CatalogEntry entry)
    {
        _byName[entry.FileName] = entry;
        Insert(_all, entry);
        if (!_byCamera.TryGetValue(entry.CameraId, out var list))
        {
            list = [];
            _byCamera[entry.CameraId] = list;
        }

        Insert(list, entry);
        _totalBytes += entry.Size;
    }

    private void RemoveLocked(CatalogEntry entry)
    {
        _byName.Remove(entry.FileName);
        Delete(_all, entry);
        if (_byCamera.TryGetValue(entry.CameraId, out var list))
        {
            Delete(list, entry);
            if (list.Count == 0)
            {
                _byCamera.Remove(entry.CameraId);
            }
        }

        _totalBytes -= entry.Size;
    }

    private static void Insert(List<CatalogEntry> list, CatalogEntry entry)
    {
        var index = list.BinarySearch(entry, NewestFirst);
        list.Insert(index >= 0 ? index : ~index, entry);
    }

    private static void Delete(List<CatalogEntry> list, CatalogEntry entry)
    {
        var index = list.BinarySearch(entry, NewestFirst);
        if (index >= 0)
        {
            list.RemoveAt(index);
        }
    }
}

using System.Collections.Concurrent;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Recording durations read from the MP4 headers, cached by path and reused while size and modification time are
/// unchanged, so a listing does not re-read every file. The catalog watchers drop the entries of files they forget.
/// </summary>
internal sealed class DurationCache
{
    private readonly ConcurrentDictionary<string, CachedDuration> _durations = new(StringComparer.Ordinal);

    /// <summary>The duration of a recording, or null when its header cannot be read (yet).</summary>
    public TimeSpan? DurationOf(CatalogEntry entry)
    {
        if (_durations.TryGetValue(entry.Path, out var cached) && cached.Size == entry.Size && cached.Modified == entry.Modified)
        {
            return cached.Duration;
        }

        var duration = entry.Size == 0 ? null : Mp4DurationReader.TryRead(entry.Path);
        _durations[entry.Path] = new CachedDuration(entry.Size, entry.Modified, duration);
        return duration;
    }

    /// <summary>Drops the cached duration of one file.</summary>
    public void Forget(string path) => _durations.TryRemove(path, out _);

    /// <summary>Drops cached durations below <paramref name="directory"/> that <paramref name="catalog"/> no longer holds (deleted while the watcher missed it).</summary>
    public void Prune(string directory, MediaCatalog catalog)
    {
        var prefix = directory + Path.DirectorySeparatorChar;
        foreach (var path in _durations.Keys)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal)
                && !string.Equals(catalog.Get(Path.GetFileName(path))?.Path, path, StringComparison.Ordinal))
            {
                _durations.TryRemove(path, out _);
            }
        }
    }

    private sealed record CachedDuration(long Size, DateTimeOffset Modified, TimeSpan? Duration);
}

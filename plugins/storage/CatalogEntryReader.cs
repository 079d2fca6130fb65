using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Turns the files of the media directory into <see cref="CatalogEntry"/> values: naming rules, dot-files skipped,
/// symlinks followed only while they stay inside the kind's directory, start time from the name.
/// </summary>
internal sealed class CatalogEntryReader(MediaCatalog catalog, TimeProvider time, ILogger logger)
{
    private readonly MediaCatalog _catalog = catalog;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;

    public static readonly EnumerationOptions ScanOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,

        // Dot-files are temporary or private files (atomic writes); they are never listed.
        AttributesToSkip = FileAttributes.Hidden,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Reads the files of one camera folder (a folder that is a symlink leaving the kind's directory reads as empty).</summary>
    public List<CatalogEntry> ReadCamera(DirectoryInfo cameraDirectory, string canonicalRoot)
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
                if (Read(cameraDirectory.Name, file, canonicalRoot) is { } entry)
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

    /// <summary>
    /// Reads one file into an entry, or null when it is not catalogued: a dot-file, a name that breaks the naming
    /// rules, a symlink that leaves the kind's directory, or a file that vanished. A name without a start time keeps
    /// the one its catalog entry already has.
    /// </summary>
    public CatalogEntry? Read(string cameraId, FileInfo file, string canonicalRoot)
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
                ?? _catalog.Get(name)?.Created
                ?? modified;
            return new CatalogEntry(name, cameraId, file.FullName, info.Length, modified, created);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Vanished or unreadable between listing and stat: not catalogued now; the watcher or rescan will tell.
            return null;
        }
    }
}

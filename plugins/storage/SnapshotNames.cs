using System.Collections.Concurrent;
using CameraService.Abstractions;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Hands out snapshot paths: the requested name or <c>&lt;camera&gt;_&lt;local time&gt;[_n].&lt;ext&gt;</c>, never one
/// that exists or that another capture was just given. A name stays reserved until the snapshot is added to the
/// catalog or two minutes pass (a capture that failed).
/// </summary>
internal sealed class SnapshotNames(CatalogWatcher snapshots, TimeProvider time)
{
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _reserved = new(StringComparer.Ordinal);

    /// <summary>Validates the request and reserves a free path in the camera's snapshot folder.</summary>
    public string Allocate(string cameraId, string? fileName, string extension)
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

        var directory = snapshots.CreateCameraDirectory(cameraId);
        var now = time.GetUtcNow();
        foreach (var (name, at) in _reserved)
        {
            if (now - at > ReservationLifetime)
            {
                _reserved.TryRemove(name, out _);
            }
        }

        if (requested is not null)
        {
            if (Taken(requested) || !_reserved.TryAdd(requested, now))
            {
                throw new InvalidParameterException("filename", "a snapshot with this name already exists; choose another name");
            }

            return Path.Combine(directory, requested);
        }

        var local = TimeZoneInfo.ConvertTime(now, time.LocalTimeZone);
        for (var counter = 0; ; counter++)
        {
            var name = FileNameRules.SnapshotName(cameraId, local, extension, counter);
            if (!Taken(name) && _reserved.TryAdd(name, now))
            {
                return Path.Combine(directory, name);
            }
        }
    }

    /// <summary>Ends the reservation of a name (its file is now catalogued, or was never a snapshot).</summary>
    public void Release(string fileName) => _reserved.TryRemove(fileName, out _);

    private bool Taken(string name) =>
        _reserved.ContainsKey(name) || snapshots.Catalog.Get(name) is not null || snapshots.FindOnDisk(name) is not null;
}

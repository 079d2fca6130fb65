using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Guards the media directory against a full disk: measures it (like <c>df</c>), grades the usage against
/// <c>Storage:WarnPercent</c> and <c>Storage:BlockPercent</c>, refuses writes at CRITICAL and reports every level change.
/// </summary>
/// <remarks>
/// Owns the last measurement (reused for <c>StatusCacheDuration</c>, so the check before every write costs no
/// system call) and the last level, both under its lock. A level change is logged and handed to the owner's
/// callback; a callback that throws is logged and never breaks measuring (and with it every write check).
/// </remarks>
internal sealed class SpaceGuard(
    string root,
    StorageOptions options,
    IFileSystemStatusProvider statusProvider,
    MediaCatalog recordings,
    MediaCatalog snapshots,
    Action<StorageLevel, StorageStatus> levelChanged,
    TimeProvider time,
    ILogger logger)
{
    private readonly Lock _lock = new();
    private StorageStatus? _cached;
    private long _cachedAt;
    private StorageLevel _lastLevel = StorageLevel.Ok;

    /// <summary>Throws <see cref="InsufficientStorageException"/> when the disk is at the blocking threshold.</summary>
    public void EnsureSpaceForWrite()
    {
        var status = Measure(force: false);
        if (status.Level == StorageLevel.Critical)
        {
            throw new InsufficientStorageException(status.AvailableBytes, status.BlockPercent);
        }
    }

    /// <summary>Measures the file system (bypassing the cache when <paramref name="force"/>) and reports a level change.</summary>
    /// <exception cref="DependencyFailedException">The file system cannot be measured.</exception>
    public StorageStatus Measure(bool force)
    {
        var nowStamp = time.GetTimestamp();
        lock (_lock)
        {
            if (!force && _cached is { } cached && time.GetElapsedTime(_cachedAt, nowStamp) < options.StatusCacheDuration)
            {
                return cached;
            }
        }

        FileSystemSpace space;
        try
        {
            space = statusProvider.Measure(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.MeasureFailed(logger, ex, root);
            throw new DependencyFailedException("storage", "the free space of the media directory cannot be measured; check that Storage:Root exists and is mounted", ex);
        }

        // Like df: used / (used + available), so blocks reserved for root count as unavailable.
        var used = Math.Max(0, space.TotalBytes - space.FreeBytes);
        var usable = used + space.AvailableBytes;
        var usage = usable > 0 ? used * 100.0 / usable : 0;
        var level = usage >= options.BlockPercent ? StorageLevel.Critical
            : usage >= options.WarnPercent ? StorageLevel.Warning
            : StorageLevel.Ok;
        var status = new StorageStatus
        {
            TotalBytes = space.TotalBytes,
            UsedBytes = used,
            AvailableBytes = space.AvailableBytes,
            UsagePercent = Math.Round(usage, 2),
            RecordingsBytes = recordings.TotalBytes,
            SnapshotsBytes = snapshots.TotalBytes,
            WarnPercent = options.WarnPercent,
            BlockPercent = options.BlockPercent,
            Level = level,
        };

        StorageLevel previous;
        lock (_lock)
        {
            _cached = status;
            _cachedAt = nowStamp;
            previous = _lastLevel;
            _lastLevel = level;
        }

        if (previous != level)
        {
            Log.LevelChanged(logger, previous, level, status.UsagePercent, status.AvailableBytes, status.WarnPercent, status.BlockPercent);
            try
            {
                levelChanged(previous, status);
            }
            catch (Exception ex) // a subscriber's bug must not break measuring (and with it every write check)
            {
                Log.SubscriberFailed(logger, ex);
            }
        }

        return status;
    }

    /// <summary>Measures now; a failure (already logged) gives null, for the periodic monitor that simply tries again.</summary>
    public StorageStatus? TryMeasure()
    {
        try
        {
            return Measure(force: true);
        }
        catch (DependencyFailedException)
        {
            // Logged by Measure; the next interval tries again.
            return null;
        }
    }

    /// <summary>Forgets the cached measurement after files were written or deleted.</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _cached = null;
        }
    }
}

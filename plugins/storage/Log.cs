using CameraService.Abstractions.Media;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>Log messages of the storage plugin; event ids 6000–6099 belong to it.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Media store started at {Root}: {RecordingCount} recordings, {SnapshotCount} snapshots.")]
    public static partial void Started(ILogger logger, string root, int recordingCount, int snapshotCount);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Rescanned {Kind}: {Count} files.")]
    public static partial void Rescanned(ILogger logger, MediaKind kind, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The file watcher of {Kind} failed (events may be lost); rescanning the directory.")]
    public static partial void WatcherError(ILogger logger, Exception exception, MediaKind kind);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Ignoring {Path}: it is a symlink that leaves the media directory.")]
    public static partial void EscapingLinkIgnored(ILogger logger, string path);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Ignoring {Path}: another camera directory already holds a {Kind} named {FileName}; names must be unique.")]
    public static partial void DuplicateNameIgnored(ILogger logger, string path, MediaKind kind, string fileName);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Deleted {Kind} {FileName} ({Size} bytes) on request.")]
    public static partial void DeletedOnRequest(ILogger logger, MediaKind kind, string fileName, long size);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Retention deleted {Kind} {FileName} ({Size} bytes, modified {Modified}): {Reason} ({Trigger}).")]
    public static partial void RetentionDeleted(ILogger logger, MediaKind kind, string fileName, long size, DateTimeOffset modified, string reason, string trigger);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Retention could not delete {Kind} {FileName}.")]
    public static partial void RetentionDeleteFailed(ILogger logger, Exception exception, MediaKind kind, string fileName);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Storage status {OldLevel} -> {NewLevel}: {UsagePercent:F1}% used, {AvailableBytes} bytes available (warn {WarnPercent}%, block {BlockPercent}%).")]
    public static partial void LevelChanged(ILogger logger, StorageLevel oldLevel, StorageLevel newLevel, double usagePercent, long availableBytes, double warnPercent, double blockPercent);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Error, Message = "The free space of the media directory {Root} cannot be measured.")]
    public static partial void MeasureFailed(ILogger logger, Exception exception, string root);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Retention ({Trigger}, policy {PolicyType}): deleted {Count} files, freed {Bytes} bytes.")]
    public static partial void RetentionSummary(ILogger logger, string trigger, string policyType, int count, long bytes);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Retention policy set: {PolicyType}, enabled {Enabled}, max age {MaxAgeDays} days, max size {MaxSizeGb} GB, min free {MinFreePercent}%.")]
    public static partial void PolicySet(ILogger logger, string policyType, bool enabled, double? maxAgeDays, double? maxSizeGb, double? minFreePercent);

    // 6012 (a background task failed) is retired: plugins/Shared/BackgroundLoops logs every loop's failure.

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Refused {Kind} {FileName}: it resolves outside the media directory.")]
    public static partial void EscapeRefused(ILogger logger, MediaKind kind, string fileName);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning, Message = "Handling a file-system event for {Path} failed; the next rescan corrects the catalog.")]
    public static partial void WatcherEventFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Error, Message = "A StatusChanged subscriber threw.")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Deleting {Kind} {FileName} failed.")]
    public static partial void DeleteFailed(ILogger logger, Exception exception, MediaKind kind, string fileName);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Information, Message = "Media store stopped.")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 6060, Level = LogLevel.Debug, Message = "Download of {Kind} {FileName} refused with {StatusCode}: {Reason}.")]
    public static partial void DownloadRefused(ILogger logger, MediaKind kind, string fileName, int statusCode, string reason);

    [LoggerMessage(EventId = 6061, Level = LogLevel.Error, Message = "Downloads are refused: no IAccessControl is registered (the core provides it).")]
    public static partial void NoAccessControl(ILogger logger);
}

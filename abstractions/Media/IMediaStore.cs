namespace CameraService.Abstractions.Media;

/// <summary>
/// Where recordings and snapshots live: directories, catalog, deletion, downloads, space guard and retention.
/// </summary>
/// <remarks>
/// File names are bare names as listed by the store (<c>camera0_2026-11-27_10-15-00-123456.mp4</c>); every
/// member that takes a name validates it and throws <see cref="InvalidParameterException"/> for a name with
/// separators, <c>..</c>, control characters or more than 255 bytes, and <see cref="ResourceNotFoundException"/>
/// for a valid name that is absent. Paths returned are full paths inside the store's root.
/// </remarks>
public interface IMediaStore
{
    /// <summary>The store's name, used to pick it in configuration (e.g. <c>storage</c>).</summary>
    string Name { get; }

    /// <summary>Raised when the storage status crosses a threshold (OK ↔ WARNING ↔ CRITICAL).</summary>
    event EventHandler<StorageStatus>? StatusChanged;

    /// <summary>Scans the directories and starts watching them.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops watching and background work.</summary>
    /// <param name="cancellationToken">Cancels the stop.</param>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>The directory of a camera's recordings (<c>&lt;root&gt;/recordings/&lt;cameraId&gt;</c>), created if missing.</summary>
    /// <param name="cameraId">The camera id.</param>
    string GetRecordingDirectory(string cameraId);

    /// <summary>
    /// Allocates the path of a new snapshot: <paramref name="fileName"/> if given (validated, must not exist),
    /// else <c>&lt;cameraId&gt;_yyyy-MM-dd_HH-mm-ss.&lt;extension&gt;</c> made unique.
    /// </summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="fileName">A requested file name, or null.</param>
    /// <param name="extension">File extension without the dot (<c>jpg</c>).</param>
    string AllocateSnapshotPath(string cameraId, string? fileName, string extension);

    /// <summary>Adds a file just written by the service to the catalog (the watcher would find it too, later).</summary>
    /// <param name="kind">Recording or snapshot.</param>
    /// <param name="path">Full path of the file.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<MediaFile> AddAsync(MediaKind kind, string path, CancellationToken cancellationToken);

    /// <summary>One page of the catalog, newest first.</summary>
    /// <param name="kind">Recording or snapshot.</param>
    /// <param name="query">Paging and filter.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<MediaPage> ListAsync(MediaKind kind, MediaQuery query, CancellationToken cancellationToken);

    /// <summary>Information about one file.</summary>
    /// <param name="kind">Recording or snapshot.</param>
    /// <param name="fileName">Bare file name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<MediaFile> GetAsync(MediaKind kind, string fileName, CancellationToken cancellationToken);

    /// <summary>Deletes one file; a recording still being written is refused with <see cref="InvalidStateException"/>.</summary>
    /// <param name="kind">Recording or snapshot.</param>
    /// <param name="fileName">Bare file name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The file as it was before deletion.</returns>
    Task<MediaFile> DeleteAsync(MediaKind kind, string fileName, CancellationToken cancellationToken);

    /// <summary>Marks a camera as recording (its newest recording is in progress) or not.</summary>
    /// <param name="cameraId">The camera id.</param>
    /// <param name="active">True while a recording runs.</param>
    void SetRecordingActive(string cameraId, bool active);

    /// <summary>The current storage status, measured from the file system (cheap; cached briefly).</summary>
    StorageStatus GetStatus();

    /// <summary>Throws <see cref="InsufficientStorageException"/> when used space is above the block threshold.</summary>
    void EnsureSpaceForWrite();

    /// <summary>The stored retention policy.</summary>
    RetentionPolicy GetRetentionPolicy();

    /// <summary>Validates, stores (persistently) and applies a retention policy.</summary>
    /// <param name="policy">The new policy.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<RetentionPolicy> SetRetentionPolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken);

    /// <summary>Applies the retention policy now: deletes oldest files first, never one being written.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken);
}

/// <summary>Kinds of media files.</summary>
public enum MediaKind
{
    /// <summary>A recording segment (<c>recordings/&lt;cameraId&gt;/</c>).</summary>
    Recording,

    /// <summary>A snapshot image (<c>snapshots/&lt;cameraId&gt;/</c>).</summary>
    Snapshot,
}

/// <summary>Paging and filter of a listing.</summary>
/// <param name="Offset">Files to skip (≥ 0).</param>
/// <param name="Limit">Files to return (1–1000).</param>
/// <param name="CameraId">Only this camera's files, or all when null.</param>
public sealed record MediaQuery(int Offset, int Limit, string? CameraId);

/// <summary>One page of a listing.</summary>
/// <param name="Files">The files, newest first.</param>
/// <param name="Total">How many files match in all.</param>
public sealed record MediaPage(IReadOnlyList<MediaFile> Files, int Total);

/// <summary>A file in the catalog.</summary>
/// <param name="Kind">Recording or snapshot.</param>
/// <param name="FileName">Bare file name, unique within its kind.</param>
/// <param name="CameraId">The camera it belongs to.</param>
/// <param name="Path">Full path.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Created">When it was created (from the name when it carries a time, else the file system).</param>
/// <param name="Modified">Last modification time.</param>
/// <param name="Duration">Duration of a recording read from the file; null for snapshots or when unreadable.</param>
/// <param name="InProgress">True while a recording is still being written.</param>
/// <param name="ContentType">MIME type, e.g. <c>video/mp4</c>, <c>image/jpeg</c>.</param>
public sealed record MediaFile(
    MediaKind Kind,
    string FileName,
    string CameraId,
    string Path,
    long Size,
    DateTimeOffset Created,
    DateTimeOffset Modified,
    TimeSpan? Duration,
    bool InProgress,
    string ContentType);

/// <summary>Storage status against the thresholds.</summary>
/// <param name="TotalBytes">File system size.</param>
/// <param name="UsedBytes">Used bytes of the file system.</param>
/// <param name="AvailableBytes">Bytes available to the service.</param>
/// <param name="UsagePercent">Used space in percent.</param>
/// <param name="RecordingsBytes">Bytes in recordings.</param>
/// <param name="SnapshotsBytes">Bytes in snapshots.</param>
/// <param name="WarnPercent">Warning threshold (percent used).</param>
/// <param name="BlockPercent">Block threshold (percent used): new writes refused above it.</param>
/// <param name="Level">Where the usage stands.</param>
public sealed record StorageStatus(
    long TotalBytes,
    long UsedBytes,
    long AvailableBytes,
    double UsagePercent,
    long RecordingsBytes,
    long SnapshotsBytes,
    double WarnPercent,
    double BlockPercent,
    StorageLevel Level);

/// <summary>Storage levels (upper-cased on the wire).</summary>
public enum StorageLevel
{
    /// <summary>Below the warning threshold.</summary>
    Ok,

    /// <summary>At or above the warning threshold.</summary>
    Warning,

    /// <summary>At or above the block threshold.</summary>
    Critical,
}

/// <summary>A retention policy.</summary>
/// <param name="PolicyType"><c>age</c>, <c>size</c> or <c>manual</c>.</param>
/// <param name="Enabled">Whether the background sweep applies it.</param>
/// <param name="MaxAgeDays">For <c>age</c>: delete files older than this.</param>
/// <param name="MaxSizeGb">For <c>size</c>: keep the media below this many GB.</param>
/// <param name="MinFreePercent">Any type: delete oldest files while free space is below this percent.</param>
public sealed record RetentionPolicy(string PolicyType, bool Enabled, double? MaxAgeDays, double? MaxSizeGb, double? MinFreePercent);

/// <summary>Result of a cleanup.</summary>
/// <param name="FilesDeleted">How many files were deleted.</param>
/// <param name="BytesFreed">How many bytes were freed.</param>
/// <param name="Message">What was done, readable by a user.</param>
public sealed record CleanupResult(int FilesDeleted, long BytesFreed, string Message);

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
    event EventHandler<StorageStatusChangedEventArgs>? StatusChanged;

    /// <summary>
    /// How long a signed download URL of this store's files stays valid (the core signs <c>download_url</c>s with it).
    /// One hour unless the store says otherwise.
    /// </summary>
    TimeSpan DownloadUrlLifetime => TimeSpan.FromHours(1);

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
public sealed record MediaQuery
{
    /// <summary>Files to skip (≥ 0).</summary>
    public int Offset { get; init; }

    /// <summary>Files to return (1–1000).</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Only this camera's files, or all when null.</summary>
    public string? CameraId { get; init; }
}

/// <summary>One page of a listing.</summary>
public sealed record MediaPage
{
    /// <summary>The files, newest first.</summary>
    public required IReadOnlyList<MediaFile> Files { get; init; }

    /// <summary>How many files match in all.</summary>
    public required int Total { get; init; }
}

/// <summary>A file in the catalog.</summary>
public sealed record MediaFile
{
    /// <summary>Recording or snapshot.</summary>
    public required MediaKind Kind { get; init; }

    /// <summary>Bare file name, unique within its kind.</summary>
    public required string FileName { get; init; }

    /// <summary>The camera it belongs to.</summary>
    public required string CameraId { get; init; }

    /// <summary>Full path.</summary>
    public required string Path { get; init; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>When it was created (from the name when it carries a time, else the file system).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>Last modification time.</summary>
    public required DateTimeOffset Modified { get; init; }

    /// <summary>Duration of a recording read from the file; null for snapshots or when unreadable.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>True while a recording is still being written.</summary>
    public bool InProgress { get; init; }

    /// <summary>MIME type, e.g. <c>video/mp4</c>, <c>image/jpeg</c>.</summary>
    public required string ContentType { get; init; }
}

/// <summary>Storage status against the thresholds.</summary>
public sealed record StorageStatus
{
    /// <summary>File system size.</summary>
    public long TotalBytes { get; init; }

    /// <summary>Used bytes of the file system.</summary>
    public long UsedBytes { get; init; }

    /// <summary>Bytes available to the service.</summary>
    public long AvailableBytes { get; init; }

    /// <summary>Used space in percent.</summary>
    public double UsagePercent { get; init; }

    /// <summary>Bytes in recordings.</summary>
    public long RecordingsBytes { get; init; }

    /// <summary>Bytes in snapshots.</summary>
    public long SnapshotsBytes { get; init; }

    /// <summary>Warning threshold (percent used).</summary>
    public double WarnPercent { get; init; }

    /// <summary>Block threshold (percent used): new writes refused above it.</summary>
    public double BlockPercent { get; init; }

    /// <summary>Where the usage stands.</summary>
    public required StorageLevel Level { get; init; }
}

/// <summary>Event data of <see cref="IMediaStore.StatusChanged"/>.</summary>
public sealed class StorageStatusChangedEventArgs : EventArgs
{
    /// <summary>The status after the change.</summary>
    public required StorageStatus Status { get; init; }
}

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

/// <summary>Well-known values of <see cref="RetentionPolicy.PolicyType"/>.</summary>
public static class RetentionPolicyTypes
{
    /// <summary>Delete files older than <see cref="RetentionPolicy.MaxAgeDays"/>.</summary>
    public const string Age = "age";

    /// <summary>Keep the media below <see cref="RetentionPolicy.MaxSizeGb"/>.</summary>
    public const string Size = "size";

    /// <summary>Delete only on request (and for <see cref="RetentionPolicy.MinFreePercent"/>).</summary>
    public const string Manual = "manual";
}

/// <summary>A retention policy.</summary>
public sealed record RetentionPolicy
{
    /// <summary>One of <see cref="RetentionPolicyTypes"/>.</summary>
    public required string PolicyType { get; init; }

    /// <summary>Whether the background sweep applies it.</summary>
    public bool Enabled { get; init; }

    /// <summary>For <c>age</c>: delete files older than this.</summary>
    public double? MaxAgeDays { get; init; }

    /// <summary>For <c>size</c>: keep the media below this many GB.</summary>
    public double? MaxSizeGb { get; init; }

    /// <summary>Any type: delete oldest files while free space is below this percent.</summary>
    public double? MinFreePercent { get; init; }
}

/// <summary>Result of a cleanup.</summary>
public sealed record CleanupResult
{
    /// <summary>How many files were deleted.</summary>
    public int FilesDeleted { get; init; }

    /// <summary>How many bytes were freed.</summary>
    public long BytesFreed { get; init; }

    /// <summary>What was done, readable by a user.</summary>
    public required string Message { get; init; }
}

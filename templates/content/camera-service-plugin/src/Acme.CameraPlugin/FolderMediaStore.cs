using System.Collections.Concurrent;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin;

/// <summary>
/// A media store that keeps recordings and snapshots in the service's media folders
/// (<see cref="IServiceEnvironment.Media"/>: <c>recordings/&lt;camera&gt;/</c>, <c>snapshots/&lt;camera&gt;/</c>) and lists
/// them by reading those folders. File names are unique across cameras (they start with the camera id). Retention is
/// manual only: an automatic policy answers "not supported". Select it with <c>CameraService:MediaStore=acme-cameraplugin</c>.
/// </summary>
internal sealed class FolderMediaStore(IServiceEnvironment environment, IOptions<PluginOptions> options) : IMediaStore
{
    private static readonly RetentionPolicy ManualPolicy = new() { PolicyType = RetentionPolicyTypes.Manual, Enabled = false };
    private readonly ConcurrentDictionary<string, bool> _recording = new(StringComparer.Ordinal);

    public string Name => Plugin.PluginId;

#pragma warning disable CS0067 // raised when the store watches the disk level; this one measures on demand
    public event EventHandler<StorageStatusChangedEventArgs>? StatusChanged;
#pragma warning restore CS0067

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(environment.Media.RecordingsDirectory);
        Directory.CreateDirectory(environment.Media.SnapshotsDirectory);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public string GetRecordingDirectory(string cameraId) =>
        Directory.CreateDirectory(Path.Combine(environment.Media.RecordingsDirectory, CheckName(cameraId, "camera_id"))).FullName;

    public string AllocateSnapshotPath(string cameraId, string? fileName, string extension)
    {
        var folder = Directory.CreateDirectory(Path.Combine(environment.Media.SnapshotsDirectory, CheckName(cameraId, "camera_id"))).FullName;
        var stamp = environment.Time.GetUtcNow().ToString("yyyyMMdd_HHmmss_fff", CultureInfo.InvariantCulture);
        var name = fileName is null ? $"{cameraId}_{stamp}.{extension}" : CheckName(fileName, "filename");
        var path = Path.Combine(folder, name);
        return File.Exists(path)
            ? throw new InvalidParameterException("filename", $"A snapshot named '{name}' already exists; choose another name.")
            : path;
    }

    public Task<MediaFile> AddAsync(MediaKind kind, string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        return file.Exists
            ? Task.FromResult(Describe(kind, file))
            : throw new ResourceNotFoundException("file", Path.GetFileName(path), $"The new file {path} does not exist.");
    }

    public Task<MediaPage> ListAsync(MediaKind kind, MediaQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var files = Files(kind)
            .Where(f => query.CameraId is null || f.Directory?.Name == query.CameraId)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        var page = files.Skip(query.Offset).Take(query.Limit).Select(f => Describe(kind, f)).ToList();
        return Task.FromResult(new MediaPage { Files = page, Total = files.Count });
    }

    public Task<MediaFile> GetAsync(MediaKind kind, string fileName, CancellationToken cancellationToken) =>
        Task.FromResult(Describe(kind, Find(kind, fileName)));

    public Task<MediaFile> DeleteAsync(MediaKind kind, string fileName, CancellationToken cancellationToken)
    {
        var file = Find(kind, fileName);
        var described = Describe(kind, file);
        file.Delete();
        return Task.FromResult(described);
    }

    public void SetRecordingActive(string cameraId, bool active)
    {
        if (active)
        {
            _recording[cameraId] = true;
        }
        else
        {
            _recording.TryRemove(cameraId, out _);
        }
    }

    public StorageStatus GetStatus()
    {
        var drive = new DriveInfo(Path.GetFullPath(environment.Media.RootDirectory));
        var total = drive.TotalSize;
        var available = drive.AvailableFreeSpace;
        var used = total - available;
        var percent = total > 0 ? used * 100.0 / total : 0;
        return new StorageStatus
        {
            TotalBytes = total,
            UsedBytes = used,
            AvailableBytes = available,
            UsagePercent = percent,
            RecordingsBytes = Files(MediaKind.Recording).Sum(f => f.Length),
            SnapshotsBytes = Files(MediaKind.Snapshot).Sum(f => f.Length),
            WarnPercent = options.Value.BlockPercent,
            BlockPercent = options.Value.BlockPercent,
            Level = percent >= options.Value.BlockPercent ? StorageLevel.Critical : StorageLevel.Ok,
        };
    }

    public void EnsureSpaceForWrite()
    {
        var status = GetStatus();
        if (status.Level == StorageLevel.Critical)
        {
            throw new InsufficientStorageException(status.AvailableBytes, status.BlockPercent);
        }
    }

    public RetentionPolicy GetRetentionPolicy() => ManualPolicy;

    public Task<RetentionPolicy> SetRetentionPolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.PolicyType == RetentionPolicyTypes.Manual
            ? Task.FromResult(ManualPolicy)
            : throw new UnsupportedFeatureException("retention_policy", $"The {Name} media store supports only the manual retention policy; delete files yourself.");
    }

    public Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new CleanupResult { Message = "The retention policy is manual: nothing was deleted." });

    private IEnumerable<FileInfo> Files(MediaKind kind)
    {
        var root = new DirectoryInfo(kind == MediaKind.Recording ? environment.Media.RecordingsDirectory : environment.Media.SnapshotsDirectory);
        return root.Exists ? root.EnumerateDirectories().SelectMany(d => d.EnumerateFiles()) : [];
    }

    private FileInfo Find(MediaKind kind, string fileName)
    {
        CheckName(fileName, "filename");
        return Files(kind).FirstOrDefault(f => f.Name == fileName)
            ?? throw new ResourceNotFoundException(kind == MediaKind.Recording ? "recording" : "snapshot", fileName);
    }

    private MediaFile Describe(MediaKind kind, FileInfo file) => new()
    {
        Kind = kind,
        FileName = file.Name,
        CameraId = file.Directory?.Name ?? string.Empty,
        Path = file.FullName,
        Size = file.Length,
        Created = file.CreationTimeUtc,
        Modified = file.LastWriteTimeUtc,
        // A file of a camera that is recording now, written to in the last seconds, is still growing.
        InProgress = kind == MediaKind.Recording && _recording.ContainsKey(file.Directory?.Name ?? string.Empty)
            && environment.Time.GetUtcNow() - file.LastWriteTimeUtc < TimeSpan.FromSeconds(10),
        ContentType = Path.GetExtension(file.Name).ToLowerInvariant() switch
        {
            ".mp4" or ".m4s" => "video/mp4",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".png" => "image/png",
            _ => "application/octet-stream",
        },
    };

    // Names come from API clients: one path segment, no traversal.
    private static string CheckName(string name, string parameter) =>
        string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0
            ? throw new InvalidParameterException(parameter, $"'{name}' is not a valid name: use letters, digits, '-', '_' and '.' without '/'.")
            : name;
}

namespace CameraService.Plugins.Storage;

/// <summary>Space figures of the file system holding a path (what <c>statvfs</c> reports).</summary>
/// <param name="TotalBytes">Size of the file system.</param>
/// <param name="FreeBytes">Free blocks, including those reserved for root.</param>
/// <param name="AvailableBytes">Free blocks an unprivileged writer may use.</param>
internal sealed record FileSystemSpace(long TotalBytes, long FreeBytes, long AvailableBytes);

/// <summary>Measures the file system holding a path; the seam that lets tests fake a full disk.</summary>
internal interface IFileSystemStatusProvider
{
    /// <summary>Measures the file system that contains <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file system cannot be measured.</exception>
    FileSystemSpace Measure(string path);
}

/// <summary>
/// <see cref="DriveInfo"/> on Linux calls <c>statvfs</c> on the path given (any directory, not only a mount point),
/// through the runtime's own native shim, so the struct layout is right on 32- and 64-bit alike.
/// </summary>
internal sealed class StatvfsStatusProvider : IFileSystemStatusProvider
{
    public FileSystemSpace Measure(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var drive = new DriveInfo(path);
        return new FileSystemSpace(drive.TotalSize, drive.TotalFreeSpace, drive.AvailableFreeSpace);
    }
}

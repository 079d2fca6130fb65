using CameraService.Abstractions;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// The HLS/live-frame scratch directory must be the service's own (issue 17, hole 8): under a shared /tmp another
/// local user could pre-create it (or a symlink in its place) and read or replace playlists and frames. It
/// defaults to <c>&lt;State:Directory&gt;/hls</c>; whatever it is, it is created 0700 or, when it exists, must be a
/// real directory that nobody else can write and whose mode this process may change (only the owner — or root —
/// may chmod, which is how ownership is proven without a stat binding).
/// </summary>
internal static class ScratchDirectory
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public static void EnsurePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        var info = new DirectoryInfo(path);
        if (!info.Exists && info.LinkTarget is null && !File.Exists(path))
        {
            Directory.CreateDirectory(path, Private);
            return;
        }

        if (info.LinkTarget is not null || !info.Exists)
        {
            throw Refused(path, "is a symbolic link or not a directory");
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & OthersWrite) != 0)
        {
            throw Refused(path, "is writable by other users");
        }

        try
        {
            File.SetUnixFileMode(path, Private);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw Refused(path, "belongs to another user", ex);
        }
    }

    private static DependencyFailedException Refused(string path, string why, Exception? inner = null) =>
        new("hls_directory", $"the HLS scratch directory {path} {why}; remove it or set Plugins:Ffmpeg:HlsDirectory to a directory only the service owns", inner);
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Containment checks that see through symlinks. <see cref="Path.GetFullPath(string)"/> only normalizes text and
/// <see cref="FileSystemInfo.ResolveLinkTarget(bool)"/> only follows the last component, so a symlinked camera
/// directory would slip through both; libc <c>realpath</c> resolves every component the way the kernel will
/// when the file is opened.
/// </summary>
internal static partial class SafePath
{
    /// <summary>The canonical path with every symlink resolved, or null when it does not exist (or cannot be resolved).</summary>
    public static string? RealPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var resolved = NativeRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            NativeFree(resolved);
        }
    }

    /// <summary>Whether <paramref name="candidate"/> (canonical) lies strictly inside <paramref name="directory"/> (canonical).</summary>
    public static bool IsInside(string candidate, string directory)
    {
        var prefix = directory.EndsWith('/') ? directory : directory + "/";
        return candidate.Length > prefix.Length && candidate.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// Resolves <paramref name="path"/> and checks it is a regular file inside <paramref name="canonicalRoot"/>.
    /// Returns the canonical path, or null when the file is missing; <paramref name="escapes"/> tells a file that
    /// exists but resolves outside the root (or is not a regular file).
    /// </summary>
    public static string? ResolveContainedFile(string path, string canonicalRoot, out bool escapes)
    {
        escapes = false;
        var real = RealPath(path);
        if (real is null)
        {
            return null;
        }

        if (!IsInside(real, canonicalRoot) || !File.Exists(real))
        {
            // File.Exists is false for directories; devices and FIFOs are refused by the attribute check below.
            escapes = true;
            return null;
        }

        var attributes = File.GetAttributes(real);
        if ((attributes & (FileAttributes.Directory | FileAttributes.Device)) != 0)
        {
            escapes = true;
            return null;
        }

        return real;
    }

    /// <summary>Whether the last component of <paramref name="path"/> is a symbolic link (lstat, not following it).</summary>
    public static bool IsSymlink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>
    /// Opens <paramref name="checkedPath"/> (a canonical path that was checked to lie inside the media directory) for
    /// reading and returns the stream only when the file opened is that very path: <c>open(2)</c> with
    /// <c>O_NOFOLLOW</c> refuses a last component that became a symlink, <c>O_NONBLOCK</c> never waits on a FIFO put
    /// there, and the kernel's name of the opened descriptor (<c>/proc/self/fd/N</c>) must still be the checked path, so
    /// a directory swapped for a symlink between the check and the open is refused too (issue 17, hole 8). Null when
    /// the file is gone or was swapped.
    /// </summary>
    /// <remarks>
    /// Hand-written: the BCL's <see cref="File.OpenHandle(string, FileMode, FileAccess, FileShare, FileOptions, long)"/>
    /// always follows symlinks, and the served binding package (Tmds.LibC) is unmaintained since 2020 for one call whose
    /// only per-architecture part is the value of <c>O_NOFOLLOW</c>.
    /// </remarks>
    public static FileStream? OpenNoFollow(string checkedPath)
    {
        ArgumentNullException.ThrowIfNull(checkedPath);
        var fd = NativeOpen(checkedPath, OpenFlags);
        if (fd < 0)
        {
            return null; // ELOOP (a symlink now), ENOENT (deleted), EACCES …
        }

        var handle = new SafeFileHandle(new IntPtr(fd), ownsHandle: true);
        try
        {
            var opened = new FileInfo("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture)).LinkTarget;
            if (!string.Equals(opened, checkedPath, StringComparison.Ordinal))
            {
                handle.Dispose();
                return null;
            }

            var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            if (!stream.CanSeek)
            {
                stream.Dispose(); // a FIFO or character device renamed over the name: not a media file
                return null;
            }

            return stream;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            handle.Dispose();
            return null;
        }
    }

    // O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY (+ O_LARGEFILE on 32-bit, which the glibc wrapper adds
    // only for callers compiled with 64-bit offsets). O_NOFOLLOW and O_LARGEFILE differ between architectures.
    private static readonly int OpenFlags = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 or Architecture.Ppc64le => 0x8000 | 0x800 | 0x80000 | 0x100,
        Architecture.Arm or Architecture.Armv6 => 0x8000 | 0x800 | 0x80000 | 0x100 | 0x20000,
        Architecture.X86 => 0x20000 | 0x800 | 0x80000 | 0x100 | 0x8000,
        _ => 0x20000 | 0x800 | 0x80000 | 0x100, // x86-64, RISC-V, LoongArch, s390x: the generic values
    };

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolvedPath);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(IntPtr pointer);
}

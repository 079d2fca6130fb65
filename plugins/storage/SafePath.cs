using System.Runtime.InteropServices;

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

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolvedPath);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(IntPtr pointer);
}

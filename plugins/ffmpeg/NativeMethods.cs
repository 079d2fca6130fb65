using System.Runtime.InteropServices;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// kill(2): System.Diagnostics.Process can only SIGKILL, but ffmpeg needs SIGINT to write the MP4 trailer (moov).
/// </summary>
internal static partial class NativeMethods
{
    public const int SigInt = 2;

    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}

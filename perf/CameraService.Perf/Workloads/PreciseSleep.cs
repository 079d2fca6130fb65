using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CameraService.Perf.Workloads;

/// <summary>
/// Sub-millisecond sleeps for the open-loop dispatcher thread. <c>Task.Delay(1)</c> wakes every 1–4 ms here, which
/// would add that much fake latency to every open-loop request (latency is measured from the intended send time);
/// <c>nanosleep</c> on a dedicated thread wakes within tens of microseconds without spinning a core.
/// </summary>
internal static partial class PreciseSleep
{
    /// <summary>Blocks the calling (dedicated) thread until <paramref name="timestamp"/> (a Stopwatch timestamp), at most <paramref name="max"/>.</summary>
    public static void Until(long timestamp, TimeSpan max)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        if (remaining > max)
        {
            remaining = max;
        }

        var nanoseconds = (long)(remaining.TotalMicroseconds * 1000);
        var request = new TimeSpec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
        if (!OperatingSystem.IsLinux())
        {
            // Not Linux (the project targets Linux): a coarse blocking wait keeps the tool usable elsewhere.
            using var wait = new ManualResetEventSlim(false);
            wait.Wait(remaining);
            return;
        }

        // EINTR just wakes us early; the dispatcher loop re-checks what is due.
        _ = NanoSleep(in request, out _);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int NanoSleep(in TimeSpec request, out TimeSpec remaining);
}

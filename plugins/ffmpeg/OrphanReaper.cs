using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// Stops ffmpeg processes that an earlier run of the service left behind when it was killed (they would
/// otherwise record forever). Only orphans (parent gone, adopted by init) whose command line writes into our
/// own working directory are touched; they get SIGINT so their segments are finalized.
/// </summary>
internal static class OrphanReaper
{
    public static void StopOrphans(string hlsRoot, ILogger logger)
    {
        if (!Directory.Exists("/proc"))
        {
            return;
        }

        var marker = Path.TrimEndingDirectorySeparator(hlsRoot) + "/";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length < 2 || !int.TryParse(fields[1], out var ppid) || (ppid != 1 && Directory.Exists("/proc/" + ppid)))
                {
                    continue;
                }

                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Length > 0 && Path.GetFileName(args[0]).Contains("ffmpeg", StringComparison.Ordinal)
                    && args.Any(a => a.StartsWith(marker, StringComparison.Ordinal) && a.EndsWith("/" + FfmpegCommand.LiveFrameName, StringComparison.Ordinal)))
                {
                    Log.OrphanStopped(logger, pid);
                    _ = NativeMethods.Kill(pid, NativeMethods.SigInt);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked at it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to inspect.
            }
        }
    }
}

using System.Globalization;

namespace CameraService.Perf.Chaos;

/// <summary>A process as /proc shows it: pid, parent, start time (clock ticks since boot, with the pid its identity) and name.</summary>
internal readonly record struct ProcInfo(int Pid, int ParentPid, long StartTicks, string Comm, char State);

/// <summary>Reads the process tree from /proc (Linux only): descendants by the ppid chain, ffmpeg children, liveness.</summary>
internal static class ProcTree
{
    /// <summary>Every process now (those that vanish while being read are skipped).</summary>
    public static IReadOnlyList<ProcInfo> Snapshot()
    {
        var list = new List<ProcInfo>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } info)
            {
                list.Add(info);
            }
        }

        return list;
    }

    /// <summary>One process, or null when it is gone.</summary>
    public static ProcInfo? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // pid (comm) state ppid … starttime is field 22; comm may contain spaces and parentheses, so split after the last ')'.
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }

        var comm = stat[(open + 1)..close];
        var fields = stat[(close + 2)..].Split(' ');
        if (fields.Length < 20)
        {
            return null;
        }

        return new ProcInfo(
            pid,
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[19], CultureInfo.InvariantCulture),
            comm,
            fields[0].Length > 0 ? fields[0][0] : '?');
    }

    /// <summary>The descendants of <paramref name="root"/> (children, their children, …) in <paramref name="snapshot"/>.</summary>
    public static IReadOnlyList<ProcInfo> Descendants(IReadOnlyList<ProcInfo> snapshot, int root)
    {
        var children = snapshot.ToLookup(p => p.ParentPid);
        var result = new List<ProcInfo>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            foreach (var child in children[queue.Dequeue()])
            {
                result.Add(child);
                queue.Enqueue(child.Pid);
            }
        }

        return result;
    }

    /// <summary>Whether that exact process (pid and start time) still runs (a zombie counts as gone).</summary>
    public static bool IsAlive(ProcInfo process)
        => Read(process.Pid) is { } now && now.StartTicks == process.StartTicks && now.State is not 'Z' and not 'X';

    /// <summary>The command line, spaces between arguments (empty when gone).</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>SIGKILL to that exact process; false when it was already gone.</summary>
    public static bool KillHard(ProcInfo process)
    {
        if (!IsAlive(process))
        {
            return false;
        }

        try
        {
            using var handle = System.Diagnostics.Process.GetProcessById(process.Pid);
            handle.Kill(entireProcessTree: false);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

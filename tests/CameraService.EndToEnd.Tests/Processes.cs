using System.Globalization;

namespace CameraService.EndToEnd.Tests;

/// <summary>Reads the process table from /proc (Linux).</summary>
public static class Processes
{
    public sealed record Entry(int Pid, int ParentPid, string Name, string CommandLine);

    public static IReadOnlyList<Entry> All()
    {
        var list = new List<Entry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the last ')'.
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
                var rest = stat[(close + 2)..].Split(' ');
                var ppid = int.Parse(rest[1], CultureInfo.InvariantCulture);
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                list.Add(new Entry(pid, ppid, name, cmdline));
            }
            catch (IOException)
            {
                // The process ended while we read it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return list;
    }

    /// <summary>Every descendant of a process.</summary>
    public static IReadOnlyList<Entry> Descendants(int pid)
    {
        var all = All();
        var result = new List<Entry>();
        var frontier = new Queue<int>([pid]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in all.Where(e => e.ParentPid == parent))
            {
                result.Add(child);
                frontier.Enqueue(child.Pid);
            }
        }

        return result;
    }

    /// <summary>ffmpeg processes whose command line mentions <paramref name="marker"/> (e.g. a test's temp root).</summary>
    public static IReadOnlyList<Entry> Ffmpeg(string marker) =>
        [.. All().Where(e => e.Name == "ffmpeg" && e.CommandLine.Contains(marker, StringComparison.Ordinal))];
}

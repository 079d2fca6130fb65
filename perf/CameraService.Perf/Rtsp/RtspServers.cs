using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CameraService.Perf.Results;

namespace CameraService.Perf.Rtsp;

/// <summary>
/// The GStreamer RTSP server of the rtsp plugin's tests (<c>tests/CameraService.Plugins.Rtsp.Tests/rtsp_test_server.py</c>)
/// on a free 127.0.0.1 port, one process serving <c>/s0</c> … <c>/s&lt;N-1&gt;</c>: a live 320x240 15 fps H.264 test
/// video each, encoded only while someone reads it. Stopped (stdin closed, then killed) when disposed.
/// </summary>
internal sealed class RtspServers : IAsyncDisposable
{
    private const string Script = "tests/CameraService.Plugins.Rtsp.Tests/rtsp_test_server.py";
    private readonly Process _process;

    private RtspServers(Process process, int port, int count)
    {
        _process = process;
        Port = port;
        Count = count;
    }

    public int Port { get; }

    public int Count { get; }

    public int Pid => _process.Id;

    /// <summary>The URL of stream <paramref name="index"/>.</summary>
    public string Url(int index) => string.Create(CultureInfo.InvariantCulture, $"rtsp://127.0.0.1:{Port}/s{index}");

    public static async Task<RtspServers> StartAsync(int count, CancellationToken cancellationToken)
    {
        var repo = ResultWriter.FindRepoRoot() ?? throw new PerfException("the rtsp scenario runs from a checkout of the repository (it needs " + Script + ")");
        var script = Path.Combine(repo, Script);
        if (!File.Exists(script))
        {
            throw new PerfException($"{script} is missing: the rtsp scenario uses the rtsp plugin tests' GStreamer RTSP server");
        }

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var paths = string.Join(',', Enumerable.Range(0, count).Select(i => "/s" + i.ToString(CultureInfo.InvariantCulture)));
        foreach (var a in new[] { script, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), paths, "h264", "0", "none" })
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new PerfException("python3 did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PerfException($"/usr/bin/python3 cannot be started ({ex.Message}): install python3-gi gir1.2-gst-rtsp-server-1.0 (./test.sh does)");
        }

        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line != "ready")
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            string err;
            lock (errors)
            {
                err = errors.ToString().Trim();
            }

            throw new PerfException($"the GStreamer RTSP server did not start ({line ?? "no answer in 20 s"}); install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good/-bad/-ugly (./test.sh does): {err}");
        }

        return new RtspServers(process, port, count);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}

/// <summary>
/// CPU time of a process's descendants (ffmpeg, ffprobe …) from /proc: the live ones' utime+stime plus what the
/// process has collected from those that ended (cutime+cstime), so children that come and go are counted too.
/// </summary>
internal static class ProcessTree
{
    /// <summary>Ticks (1/100 s) of every descendant of <paramref name="pid"/>, and how many are alive now.</summary>
    public static (long Ticks, int Alive) DescendantTicks(int pid)
    {
        var parents = new Dictionary<int, int>();
        var ticks = new Dictionary<int, long>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p) || Stat(p) is not { } s)
            {
                continue;
            }

            parents[p] = s.Parent;
            ticks[p] = s.Own;
        }

        long total = Stat(pid)?.Children ?? 0;
        var alive = 0;
        foreach (var (p, _) in parents)
        {
            for (var up = parents.GetValueOrDefault(p); up > 1; up = parents.GetValueOrDefault(up))
            {
                if (up == pid)
                {
                    total += ticks[p];
                    alive++;
                    break;
                }
            }
        }

        return (total, alive);
    }

    /// <summary>A process's own ticks (utime+stime), or null when it is gone.</summary>
    public static long? OwnTicks(int pid) => Stat(pid)?.Own;

    /// <summary>The children of <paramref name="parent"/> whose command line contains <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> ChildrenMatching(int parent, string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p) || Stat(p)?.Parent != parent)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(p);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    private static (int Parent, long Own, long Children)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After ')': state is index 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
            return (
                int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
                long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

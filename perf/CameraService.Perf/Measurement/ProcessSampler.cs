using System.Diagnostics;
using System.Globalization;
using CameraService.Perf.Results;

namespace CameraService.Perf.Measurement;

/// <summary>
/// Samples a process's CPU (utime+stime from <c>/proc/&lt;pid&gt;/stat</c>), RSS and threads (<c>/proc/&lt;pid&gt;/status</c>)
/// and open handles (<c>/proc/&lt;pid&gt;/fd</c>) once per interval. CPU % is of one core (200 % = both cores here).
/// </summary>
internal sealed class ProcessSampler : IAsyncDisposable
{
    // USER_HZ: the unit of utime/stime; 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100.0;

    private readonly int _pid;
    private readonly TimeSpan _interval;
    private readonly List<ProcessSample> _samples = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _origin = Stopwatch.GetTimestamp();
    private Task _loop = Task.CompletedTask;
    private (long Ticks, long Timestamp)? _last;

    public ProcessSampler(int pid, TimeSpan interval)
    {
        _pid = pid;
        _interval = interval;
    }

    public int Pid => _pid;

    /// <summary>True when /proc has this process (Linux, process alive).</summary>
    public static bool CanSample(int pid) => File.Exists($"/proc/{pid}/stat");

    public void Start()
    {
        TakeSample();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Takes one sample now (also used at phase boundaries).</summary>
    public ProcessSample? TakeSample()
    {
        // Read under the lock: the timer loop and a phase-boundary sample may run at once, and a reading taken
        // earlier but stored later would make the next interval's CPU negative.
        lock (_gate)
        {
            var reading = Read(_pid);
            if (reading is null)
            {
                return null;
            }

            var now = Stopwatch.GetTimestamp();
            double cpu = 0;
            if (_last is { } last)
            {
                var seconds = Stopwatch.GetElapsedTime(last.Timestamp, now).TotalSeconds;
                if (seconds > 0)
                {
                    cpu = (reading.Value.CpuTicks - last.Ticks) / ClockTicksPerSecond / seconds * 100.0;
                }
            }

            _last = (reading.Value.CpuTicks, now);
            var sample = new ProcessSample(
                Math.Round(Stopwatch.GetElapsedTime(_origin, now).TotalSeconds, 2),
                Math.Round(cpu, 1),
                reading.Value.RssBytes,
                reading.Value.Threads,
                reading.Value.OpenFiles);
            _samples.Add(sample);
            return sample;
        }
    }

    /// <summary>A summary of the samples whose time is in [<paramref name="fromSeconds"/>, <paramref name="toSeconds"/>].</summary>
    public ProcessSummary? Summarize(double fromSeconds = 0, double toSeconds = double.MaxValue, bool includeSamples = false)
    {
        List<ProcessSample> window;
        lock (_gate)
        {
            window = [.. _samples.Where(s => s.AtSeconds >= fromSeconds && s.AtSeconds <= toSeconds)];
        }

        if (window.Count == 0)
        {
            return null;
        }

        // The first sample of a window has no CPU interval inside the window. The average is weighted by each
        // interval's length (= CPU time over wall time of the window): a phase-boundary sample taken a few
        // milliseconds after a timer sample covers a short interval whose 10 ms tick granularity must not count
        // as much as a full second.
        var cpu = window.Count > 1 ? window.Skip(1).Select(s => s.CpuPercent).ToList() : [window[0].CpuPercent];
        var weighted = window.Count > 1 && window[^1].AtSeconds > window[0].AtSeconds
            ? window.Skip(1).Select((s, i) => s.CpuPercent * (s.AtSeconds - window[i].AtSeconds)).Sum() / (window[^1].AtSeconds - window[0].AtSeconds)
            : cpu.Average();
        return new ProcessSummary(
            _pid,
            Math.Round(weighted, 1),
            cpu.Max(),
            window[0].RssBytes,
            window[^1].RssBytes,
            window.Max(s => s.RssBytes),
            window[0].OpenFiles,
            window[^1].OpenFiles,
            window.Max(s => s.OpenFiles),
            includeSamples ? window : null);
    }

    /// <summary>Seconds since the sampler was created (the time axis of the samples).</summary>
    public double Now => Stopwatch.GetElapsedTime(_origin).TotalSeconds;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: the loop stops by cancellation.
        }

        _stop.Dispose();
    }

    internal static (long CpuTicks, long RssBytes, int Threads, int OpenFiles)? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may contain spaces: fields are counted after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After ')': field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            long rss = 0;
            var threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                }
            }

            var fds = 0;
            try
            {
                fds = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
            }
            catch (UnauthorizedAccessException)
            {
                fds = -1;
            }

            return (ticks, rss, threads, fds);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            // The process exited (or /proc is not Linux's): no sample.
            return null;
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(_interval, TimeProvider.System);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            TakeSample();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CameraService.Perf.Results;

/// <summary>Prints a run's table and writes its JSON and markdown summary.</summary>
internal static class ResultWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes <c>&lt;dir&gt;/&lt;scenario&gt;[-smoke]-&lt;timestamp&gt;.json</c> and <c>.md</c>; returns the JSON path.</summary>
    public static string Write(RunResult run, string directory, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(console);
        Directory.CreateDirectory(directory);
        var stamp = DateTimeOffset.Parse(run.StartedAtUtc, Inv).ToString("yyyyMMdd'T'HHmmss'Z'", Inv);
        var name = $"{run.Scenario}{(run.Smoke ? "-smoke" : string.Empty)}-{stamp}";
        var json = Path.Combine(directory, name + ".json");
        File.WriteAllText(json, JsonSerializer.Serialize(run, ResultJsonContext.Default.RunResult) + "\n");
        var markdown = ToMarkdown(run);
        File.WriteAllText(Path.Combine(directory, name + ".md"), markdown);
        console.WriteLine();
        console.Write(markdown);
        console.WriteLine($"results: {json}");
        return json;
    }

    public static string ToMarkdown(RunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var md = new StringBuilder();
        md.Append(Inv, $"## {run.Scenario}{(run.Smoke ? " (smoke)" : string.Empty)} — {run.StartedAtUtc}\n\n");
        md.Append(Inv, $"- command: `{run.Command}`\n");
        md.Append(Inv, $"- commit: `{run.GitCommit}`, machine: {run.Machine}\n");
        md.Append(Inv, $"- parameters: {string.Join(", ", run.Parameters.Select(p => $"{p.Key}={p.Value}"))}\n");
        md.Append(Inv, $"- completed: {(run.Completed ? "yes" : "NO")}, errors: {run.TotalErrors}, duration: {run.DurationSeconds:0.0} s\n");
        if (run.LimitRatio is { } ratio)
        {
            md.Append(Inv, $"- service / limit req/s ratio: **{ratio:0.000}**\n");
        }

        foreach (var note in run.Notes)
        {
            md.Append(Inv, $"- {note}\n");
        }

        md.Append('\n');
        md.Append("| phase | target | req/s | requests | errors | p50 ms | p95 ms | p99 ms | max ms | server CPU % avg/max | server RSS MiB start→end (max) | client CPU % |\n");
        md.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
        foreach (var phase in run.Phases)
        {
            var server = phase.Server is { } s
                ? ($"{s.CpuPercentAvg:0.0}/{s.CpuPercentMax:0.0}", $"{Mib(s.RssStartBytes)}→{Mib(s.RssEndBytes)} ({Mib(s.RssMaxBytes)})")
                : ("—", "—");
            var client = phase.Client is { } c ? c.CpuPercentAvg.ToString("0.0", Inv) : "—";
            md.Append(Inv, $"| {phase.Name} | {phase.Target} | {phase.RequestsPerSecond:0} | {phase.Requests} | {phase.Errors} | {phase.P50Ms:0.###} | {phase.P95Ms:0.###} | {phase.P99Ms:0.###} | {phase.MaxMs:0.###} | {server.Item1} | {server.Item2} | {client} |\n");
        }

        md.Append("\n| phase | method | count | errors | p50 ms | p95 ms | p99 ms | max ms | error kinds |\n");
        md.Append("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        foreach (var phase in run.Phases)
        {
            foreach (var m in phase.Methods)
            {
                var kinds = m.ErrorsByKind.Count == 0 ? string.Empty : string.Join(" ", m.ErrorsByKind.Select(k => $"{k.Key}×{k.Value}"));
                md.Append(Inv, $"| {phase.Name} | {m.Method} | {m.Count} | {m.Errors} | {m.P50Ms:0.###} | {m.P95Ms:0.###} | {m.P99Ms:0.###} | {m.MaxMs:0.###} | {kinds} |\n");
            }
        }

        var metrics = run.Phases.Where(p => p.Metrics.Count > 0).ToList();
        if (metrics.Count > 0)
        {
            md.Append("\n| phase | metric | value |\n|---|---|---:|\n");
            foreach (var phase in metrics)
            {
                foreach (var (key, value) in phase.Metrics)
                {
                    md.Append(Inv, $"| {phase.Name} | {key} | {value:0.###} |\n");
                }
            }
        }

        md.Append('\n');
        return md.ToString();
    }

    /// <summary>The repository root: the nearest folder above the working directory or the tool that has CameraService.slnx.</summary>
    public static string? FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary><c>git rev-parse HEAD</c> (+ "-dirty" when the tree has changes), or "unknown".</summary>
    public static string GitCommit(string? repoRoot)
    {
        if (repoRoot is null)
        {
            return "unknown";
        }

        var head = RunGit(repoRoot, "rev-parse HEAD");
        if (head is null)
        {
            return "unknown";
        }

        var status = RunGit(repoRoot, "status --porcelain --untracked-files=no");
        return string.IsNullOrWhiteSpace(status) ? head : head + "-dirty";
    }

    /// <summary>The machine and how busy it was before and after the run.</summary>
    /// <remarks>
    /// The start value must be read before the run (<paramref name="loadAverageAtStart"/>); the end value is read
    /// now, after it — a busy machine shows in both, the run's own load only in the end value.
    /// </remarks>
    public static string Machine(string loadAverageAtStart)
        => $"{Environment.ProcessorCount} cores, {Mib(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes)} MiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, load average at start {loadAverageAtStart}, at end {LoadAverage()}";

    /// <summary>/proc/loadavg's first three fields: the machine is shared, so every result says how busy it was.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", Inv);

    private static string? RunGit(string directory, string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit(5000);
            return git.ExitCode == 0 ? output : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // No git on this machine: the result says "unknown" instead of failing the run.
            return null;
        }
    }
}

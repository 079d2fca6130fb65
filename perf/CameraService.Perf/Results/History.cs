using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace CameraService.Perf.Results;

/// <summary>
/// <c>perf/history.csv</c> (issue 26, item 6): with <c>--record</c>, one line per phase of a run — its headline figures
/// with the commit and the load average — so the trend of every scenario is kept; <c>perf/run.sh trend</c> prints it as
/// the table <c>perf/README.md</c> shows. Plain CSV (CsvHelper): readable in a spreadsheet and in a diff.
/// </summary>
internal static class History
{
    public const string FileName = "history.csv";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One line of the file.</summary>
    internal sealed class Row
    {
        public string StartedUtc { get; set; } = string.Empty;

        public string Commit { get; set; } = string.Empty;

        public string Scenario { get; set; } = string.Empty;

        public bool Smoke { get; set; }

        public string Phase { get; set; } = string.Empty;

        public string Target { get; set; } = string.Empty;

        public double ReqPerS { get; set; }

        public double P50Ms { get; set; }

        public double P95Ms { get; set; }

        public double P99Ms { get; set; }

        public long Errors { get; set; }

        public double? ServerCpuAvg { get; set; }

        public double? ServerRssMaxMib { get; set; }

        public double? LimitRatio { get; set; }

        public string LoadAvgStart { get; set; } = string.Empty;

        public string LoadAvgEnd { get; set; } = string.Empty;

        public string Command { get; set; } = string.Empty;
    }

    private static CsvConfiguration Config(bool header) => new(Inv) { HasHeaderRecord = header };

    /// <summary>Appends one line per phase of <paramref name="run"/> (the header first when the file is new).</summary>
    public static void Append(RunResult run, string path, string loadAtStart, string loadAtEnd)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rows = run.Phases.Select(p => new Row
        {
            StartedUtc = run.StartedAtUtc,
            Commit = run.GitCommit,
            Scenario = run.Scenario,
            Smoke = run.Smoke,
            Phase = p.Name,
            Target = p.Target,
            ReqPerS = Math.Round(p.RequestsPerSecond, 1),
            P50Ms = Math.Round(p.P50Ms, 3),
            P95Ms = Math.Round(p.P95Ms, 3),
            P99Ms = Math.Round(p.P99Ms, 3),
            Errors = p.Errors,
            ServerCpuAvg = p.Server is { } s ? Math.Round(s.CpuPercentAvg, 1) : null,
            ServerRssMaxMib = p.Server is { } r ? Math.Round(r.RssMaxBytes / 1048576.0, 1) : null,
            LimitRatio = run.LimitRatio is { } ratio ? Math.Round(ratio, 3) : null,
            LoadAvgStart = loadAtStart.Split(' ')[0],
            LoadAvgEnd = loadAtEnd.Split(' ')[0],
            Command = run.Command,
        }).ToList();
        var isNew = !File.Exists(path) || new FileInfo(path).Length == 0;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new StreamWriter(path, append: true, new UTF8Encoding(false));
        using var csv = new CsvWriter(writer, Config(isNew));
        csv.Context.RegisterClassMap<RowMap>();
        if (isNew)
        {
            csv.WriteHeader<Row>();
            csv.NextRecord();
        }

        csv.WriteRecords(rows);
    }

    /// <summary>
    /// The trend as markdown: per scenario, phase and target (non-smoke runs), the first, the previous and the latest
    /// run's req/s, p95/p99 and server CPU, with the commit and the load average of each.
    /// </summary>
    public static string Trend(string path)
    {
        if (!File.Exists(path))
        {
            return $"no history yet: run a scenario with --record (it appends to {path})\n";
        }

        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, Config(header: true));
        csv.Context.RegisterClassMap<RowMap>();
        var rows = csv.GetRecords<Row>().Where(r => !r.Smoke).ToList();
        var md = new StringBuilder();
        md.Append("| scenario | phase | target | run | commit | load | req/s | p95 ms | p99 ms | server CPU % | limit ratio |\n");
        md.Append("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var group in rows.GroupBy(r => (r.Scenario, r.Phase, r.Target)).OrderBy(g => g.Key.Scenario, StringComparer.Ordinal).ThenBy(g => g.Key.Phase, StringComparer.Ordinal))
        {
            var runs = group.ToList();
            var picked = runs.Count switch
            {
                1 => [("latest", runs[0])],
                2 => [("first", runs[0]), ("latest", runs[1])],
                _ => new[] { ("first", runs[0]), ("previous", runs[^2]), ("latest", runs[^1]) },
            };
            foreach (var (label, r) in picked)
            {
                md.Append(Inv, $"| {r.Scenario} | {r.Phase} | {r.Target} | {label} ({r.StartedUtc[..Math.Min(10, r.StartedUtc.Length)]}) | `{Short(r.Commit)}` | {r.LoadAvgStart} | {r.ReqPerS} | {r.P95Ms} | {r.P99Ms} | {r.ServerCpuAvg} | {r.LimitRatio} |\n");
            }
        }

        return md.ToString();
    }

    private static string Short(string commit) =>
        commit.Length > 7 ? commit[..7] + (commit.EndsWith("-dirty", StringComparison.Ordinal) ? "-dirty" : string.Empty) : commit;

    /// <summary>snake_case column names, in the order of <see cref="Row"/>.</summary>
    private sealed class RowMap : ClassMap<Row>
    {
        public RowMap()
        {
            AutoMap(Inv);
            foreach (var member in MemberMaps)
            {
                var name = member.Data.Member!.Name;
                member.Name(string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())));
            }
        }
    }
}

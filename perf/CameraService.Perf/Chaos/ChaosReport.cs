using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CameraService.Perf.Results;

namespace CameraService.Perf.Chaos;

/// <summary>
/// Writes <c>chaos-&lt;backend&gt;[-smoke]-&lt;UTC&gt;.md</c>, <c>.json</c> and <c>.svg</c> (the timeline: requests per
/// second as a line, each fault as a mark at its injection, its duration and recovery as spans, violations as red
/// ticks) — the SVG is written here by hand, so no package and no network is needed.
/// </summary>
internal static class ChaosReport
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Write(ChaosResult result, string directory, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var stamp = startedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var stem = Path.Combine(directory, $"chaos-{result.Backend}{(result.Settings.Smoke ? "-smoke" : string.Empty)}-{stamp}");
        File.WriteAllText(stem + ".svg", Svg(result));
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(Model(result, startedAt), Json));
        File.WriteAllText(stem + ".md", Markdown(result, startedAt, Path.GetFileName(stem + ".svg")));
        return stem + ".md";
    }

    /// <summary>p-th percentile (nearest rank) of the values, or null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    internal static object Model(ChaosResult result, DateTimeOffset startedAt)
    {
        var log = result.Log;
        var injected = log.Faults.Where(f => f.NotInjected is null).ToList();
        return new
        {
            Scenario = "chaos",
            result.Backend,
            result.Settings.Smoke,
            StartedAt = startedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            result.DurationSeconds,
            Commit = ResultWriter.GitCommit(ResultWriter.FindRepoRoot()),
            Machine = ResultWriter.Machine(result.LoadAtStart),
            result.Settings.CommandLine,
            result.Settings.Seed,
            result.Settings.FaultIntervalSeconds,
            StorageTmpfs = result.TmpfsStorage,
            result.ServiceStarts,
            result.EmulatorStarts,
            result.MediaMtx,
            Contract = result.Contract?.Select(c => new { c.Name, c.Checks, c.Passed, c.Failure, c.Seconds }),
            FaultsInjected = injected.Count,
            Violations = result.Violations,
            FaultsByKind = ByKind(injected).ToDictionary(k => k.Kind, k => new { k.Count, k.P50, k.P95, k.Max, k.NotRecovered }),
            Skipped = result.Skipped,
            Invariants = log.Invariants.ToDictionary(i => i.Key, i => new { checks = i.Value.Checks, violations = i.Value.Violations }),
            ViolationDetails = log.Violations,
            Requests = log.Requests,
            Outcomes = log.Outcomes,
            Methods = log.Methods,
            Faults = log.Faults.Select(f => new { f.Kind, f.InjectedAt, f.HealedAt, f.RecoveredAt, f.RecoverySeconds, f.HealthReported, f.Detail, f.NotInjected }),
            Sessions = result.Sessions.Select(s => new { s.Device, s.SessionId, s.StartAt, s.EndAt, s.Duration, s.Outcome, s.Files, s.SecondsOnDisk }),
            Events = log.Events,
        };
    }

    private static IEnumerable<(string Kind, int Count, double? P50, double? P95, double? Max, int NotRecovered)> ByKind(IReadOnlyList<FaultRecord> injected)
        => injected.GroupBy(f => f.Kind).OrderBy(g => ChaosSettings.AllFaults.ToList().IndexOf(g.Key)).Select(g =>
        {
            var times = g.Where(f => f.RecoverySeconds is not null).Select(f => f.RecoverySeconds!.Value).ToList();
            return (g.Key, g.Count(), Percentile(times, 50), Percentile(times, 95), times.Count == 0 ? (double?)null : times.Max(), g.Count(f => f.RecoverySeconds is null));
        });

    private static string Markdown(ChaosResult result, DateTimeOffset startedAt, string svgName)
    {
        var log = result.Log;
        var injected = log.Faults.Where(f => f.NotInjected is null).ToList();
        var all = injected.Where(f => f.RecoverySeconds is not null).Select(f => f.RecoverySeconds!.Value).ToList();
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# chaos — {result.Backend} backend{(result.Settings.Smoke ? " (smoke)" : string.Empty)}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"- started {startedAt:yyyy-MM-dd HH:mm:ss} UTC, {result.DurationSeconds:0} s, seed {result.Settings.Seed}, a fault every {result.Settings.FaultIntervalSeconds:0.#} s on average\n");
        md.Append(CultureInfo.InvariantCulture, $"- commit {ResultWriter.GitCommit(ResultWriter.FindRepoRoot())}, {ResultWriter.Machine(result.LoadAtStart)}\n");
        md.Append(CultureInfo.InvariantCulture, $"- `{result.Settings.CommandLine}`\n");
        if (result.MediaMtx is not null)
        {
            md.Append(CultureInfo.InvariantCulture, $"- MediaMTX: {result.MediaMtx}\n");
        }

        md.Append(CultureInfo.InvariantCulture, $"- service started {result.ServiceStarts}×, MediaMTX {result.EmulatorStarts}×; storage on {(result.TmpfsStorage ? "a tmpfs" : "the temp directory's file system")}\n");
        md.Append(CultureInfo.InvariantCulture, $"- **{injected.Count} faults injected, {result.Violations} invariant violations**; recovery p50 {F(Percentile(all, 50))} s, p95 {F(Percentile(all, 95))} s\n\n");
        md.Append(CultureInfo.InvariantCulture, $"![timeline]({svgName})\n\n");
        if (result.Contract is { } contract)
        {
            md.Append("## MediaMTX contract\n\nThe client contract (tests/MediaMtxContract) against this MediaMTX, before the soak.\n\n| case | result | s | checks | failure |\n|---|---|---:|---|---|\n");
            foreach (var c in contract)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {c.Name} | {(c.Passed ? "pass" : "**FAIL**")} | {c.Seconds:0.00} | {c.Checks} | {(c.Failure ?? string.Empty).Replace("|", "\\|", StringComparison.Ordinal)} |\n");
            }

            md.Append('\n');
        }

        md.Append("## Faults by kind\n\n| fault | injected | recovery p50 (s) | p95 (s) | max (s) | not recovered |\n|---|---:|---:|---:|---:|---:|\n");
        foreach (var k in ByKind(injected))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {k.Kind} | {k.Count} | {F(k.P50)} | {F(k.P95)} | {F(k.Max)} | {k.NotRecovered} |\n");
        }

        foreach (var (kind, reason) in result.Skipped)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {kind} | skipped: {reason} | | | | |\n");
        }

        md.Append("\nRecovery = from the end of the fault (the kill, or the heal of a lasting fault) until ping answers, every camera is CONNECTED and every `get_status` component is back to its state after the warm-up (plus the kind's own check).\n\n");
        md.Append("## Invariants\n\n| invariant | checks | violations |\n|---|---:|---:|\n");
        foreach (var (name, (checks, violations)) in log.Invariants.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {name} | {checks} | {violations} |\n");
        }

        if (log.Violations.Count > 0)
        {
            md.Append("\n## Violations\n\n");
            foreach (var v in log.Violations.Take(200))
            {
                md.Append(CultureInfo.InvariantCulture, $"- {v.AtSeconds:0.0} s **{v.Invariant}**: {v.Detail.Replace("\n", " ", StringComparison.Ordinal)}\n");
            }
        }

        md.Append(CultureInfo.InvariantCulture, $"\n## Requests\n\n{log.Requests} requests. By outcome:\n\n| outcome | count |\n|---|---:|\n");
        foreach (var (label, count) in log.Outcomes.OrderByDescending(o => o.Value))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {label} | {count} |\n");
        }

        md.Append("\nBy method:\n\n| method | count |\n|---|---:|\n");
        foreach (var (method, count) in log.Methods.OrderByDescending(o => o.Value))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {method} | {count} |\n");
        }

        var sessions = result.Sessions;
        md.Append(CultureInfo.InvariantCulture, $"\n## Recordings\n\n{sessions.Count} sessions; {sessions.Sum(s => s.Files.Count)} files verified with ffprobe, {sessions.Sum(s => s.SecondsOnDisk):0} s of video. By outcome: {string.Join(", ", sessions.GroupBy(s => s.Outcome).Select(g => $"{g.Key} {g.Count()}"))}.\n\n");
        md.Append("## Faults (in order)\n\n| at (s) | fault | detail | recovery (s) | health showed it |\n|---:|---|---|---:|---|\n");
        foreach (var f in log.Faults)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {f.InjectedAt:0.0} | {f.Kind} | {(f.NotInjected is null ? f.Detail : "not injected: " + f.NotInjected).Replace("|", "\\|", StringComparison.Ordinal)} | {F(f.RecoverySeconds)} | {(f.HealthReported is null ? "—" : f.HealthReported.Value ? "yes" : "**no**")} |\n");
        }

        return md.ToString();
    }

    private static string F(double? value) => value is null ? "—" : value.Value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Svg(ChaosResult result)
    {
        const int Width = 1200;
        const int Height = 360;
        const int Left = 95;
        const int Right = 20;
        const int Top = 30;
        const int LoadBottom = 220;
        const int FaultTop = 240;
        var log = result.Log;
        var seconds = Math.Max(1, result.DurationSeconds);
        double X(double t) => Left + ((Width - Left - Right) * Math.Clamp(t / seconds, 0, 1));
        var perSecond = log.PerSecond;
        var max = Math.Max(1, perSecond.Count == 0 ? 1 : perSecond.Values.Max());
        double Y(long n) => LoadBottom - ((LoadBottom - Top) * (double)n / max);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        s.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" font-size=\"13\">chaos {Esc(result.Backend)}: requests/s (line), faults (marks; grey = fault lasting, green = recovery), violations (red)</text>\n");

        // Axes and the time scale.
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{LoadBottom}\" x2=\"{Width - Right}\" y2=\"{LoadBottom}\" stroke=\"#444\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{LoadBottom}\" stroke=\"#444\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 5}\" y=\"{Top + 4}\" text-anchor=\"end\">{max}</text><text x=\"{Left - 5}\" y=\"{LoadBottom}\" text-anchor=\"end\">0</text>\n");
        var step = NiceStep(seconds);
        for (double t = 0; t <= seconds; t += step)
        {
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(t):0.0}\" y1=\"{LoadBottom}\" x2=\"{X(t):0.0}\" y2=\"{LoadBottom + 4}\" stroke=\"#444\"/><text x=\"{X(t):0.0}\" y=\"{Height - 8}\" text-anchor=\"middle\">{t:0} s</text>\n");
        }

        // Load line.
        var points = Enumerable.Range(0, (int)seconds + 1).Select(t => $"{X(t):0.0},{Y(perSecond.TryGetValue(t, out var n) ? n : 0):0.0}");
        s.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.2\" points=\"{string.Join(' ', points)}\"/>\n");

        // Faults: a row per kind.
        var kinds = log.Faults.Select(f => f.Kind).Distinct().OrderBy(k => ChaosSettings.AllFaults.ToList().IndexOf(k)).ToList();
        var rowHeight = kinds.Count == 0 ? 10 : Math.Min(10.0, (Height - FaultTop - 25) / (double)kinds.Count);
        for (var i = 0; i < kinds.Count; i++)
        {
            var y = FaultTop + (i * rowHeight);
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 5}\" y=\"{y + rowHeight - 1:0.0}\" text-anchor=\"end\" font-size=\"8\">{Esc(kinds[i])}</text>\n");
            foreach (var f in log.Faults.Where(f => f.Kind == kinds[i] && f.NotInjected is null))
            {
                var healed = f.HealedAt ?? f.InjectedAt;
                s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(f.InjectedAt):0.0}\" y=\"{y:0.0}\" width=\"{Math.Max(1, X(healed) - X(f.InjectedAt)):0.0}\" height=\"{rowHeight - 1:0.0}\" fill=\"#999\"><title>{Esc(f.Kind + ": " + f.Detail)}</title></rect>\n");
                if (f.RecoveredAt is { } recovered)
                {
                    s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(healed):0.0}\" y=\"{y:0.0}\" width=\"{Math.Max(1, X(recovered) - X(healed)):0.0}\" height=\"{rowHeight - 1:0.0}\" fill=\"#2ca02c\" opacity=\"0.7\"><title>recovered in {f.RecoverySeconds:0.00} s</title></rect>\n");
                }

                s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(f.InjectedAt):0.0}\" y1=\"{Top}\" x2=\"{X(f.InjectedAt):0.0}\" y2=\"{LoadBottom}\" stroke=\"#bbb\" stroke-dasharray=\"2,3\"/>\n");
            }
        }

        foreach (var v in log.Violations)
        {
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(v.AtSeconds):0.0}\" y1=\"{Top}\" x2=\"{X(v.AtSeconds):0.0}\" y2=\"{LoadBottom}\" stroke=\"#d62728\" stroke-width=\"2\"><title>{Esc(v.Invariant + ": " + v.Detail)}</title></line>\n");
        }

        s.Append("</svg>\n");
        return s.ToString();
    }

    private static double NiceStep(double seconds)
    {
        foreach (var step in new double[] { 5, 10, 30, 60, 120, 300, 600 })
        {
            if (seconds / step <= 12)
            {
                return step;
            }
        }

        return 1200;
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}

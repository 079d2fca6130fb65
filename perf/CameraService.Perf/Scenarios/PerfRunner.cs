using System.Diagnostics;
using System.Globalization;
using CameraService.Perf.Results;

namespace CameraService.Perf.Scenarios;

/// <summary>Runs a scenario and writes its results (the CLI and the smoke tests share this).</summary>
internal static class PerfRunner
{
    /// <summary>Every scenario by verb.</summary>
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new BaselineScenario(), new ThroughputScenario(), new LoadScenario(), new ConnectionsScenario(),
        new StressScenario(), new EnduranceScenario(), new FanoutScenario(), new DiscoveryScenario(),
        new HotplugScenario(), new ControlScenario(), new FilesScenario(), new LimitScenario(), new ConsoleScenario(),
        new FleetScenario(), new Rtsp.RtspScenario(), new ProgressScenario(), new Motion.MotionScenario(),
    ];

    public static async Task<(RunResult Result, string? Path)> RunAsync(
        IScenario scenario, RunOptions options, ScenarioSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var startedAt = TimeProvider.System.GetUtcNow();
        var loadAtStart = ResultWriter.LoadAverage();
        var load = loadAtStart.Split(' ')[0];
        if (double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out var load1) && load1 > Environment.ProcessorCount)
        {
            await output.WriteLineAsync($"warning: load average {load} on {Environment.ProcessorCount} cores — other work competes for the CPU, so tail latencies will show contention (see the (send-lag) rows)").ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        var context = new ScenarioContext(options, settings, output);
        var outcome = await scenario.RunAsync(context, cancellationToken).ConfigureAwait(false);
        var repo = ResultWriter.FindRepoRoot();
        var errors = outcome.Phases.Sum(p => p.Errors);
        var parameters = new Dictionary<string, string>(outcome.Parameters, StringComparer.Ordinal)
        {
            ["target"] = options.Target.ToString().ToLowerInvariant(),
            ["request_timeout_s"] = options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        };
        var result = new RunResult(
            scenario.Name,
            options.Smoke,
            startedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            Math.Round(clock.Elapsed.TotalSeconds, 2),
            ResultWriter.GitCommit(repo),
            ResultWriter.Machine(loadAtStart),
            options.CommandLine,
            parameters,
            outcome.Phases,
            outcome.LimitRatio,
            Completed: true,
            outcome.CountErrors ? errors : 0,
            outcome.Notes);
        string? path = null;
        if (options.WriteResults)
        {
            var directory = options.ResultsDirectory
                ?? (repo is null ? Path.Combine(Environment.CurrentDirectory, "perf-results") : Path.Combine(repo, "perf", "results"));
            path = ResultWriter.Write(result, directory, output);
        }

        if (options.RecordHistory)
        {
            var history = options.HistoryFile ?? Path.Combine(repo ?? Environment.CurrentDirectory, "perf", History.FileName);
            History.Append(result, history, loadAtStart, ResultWriter.LoadAverage());
            await output.WriteLineAsync($"history: appended {result.Phases.Count} line(s) to {history}").ConfigureAwait(false);
        }
        else
        {
            await output.WriteAsync(ResultWriter.ToMarkdown(result)).ConfigureAwait(false);
        }

        return (result, path);
    }
}

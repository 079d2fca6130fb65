using System.CommandLine;
using System.Globalization;
using CameraService.Perf.Results;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Chaos;

/// <summary>
/// The <c>chaos</c> verb: <c>perf/run.sh chaos [--smoke] [--backend mediamtx|ffmpeg|both] [--duration s]
/// [--fault-interval s] [--seed n] [--faults a,b] [--mediamtx binary]</c>. Exit code 0 only when every backend's run
/// ended with zero invariant violations; 2 when it completed with violations, or for a --mediamtx that is not an
/// executable file (one line); 1 when it could not be run.
/// </summary>
internal static class ChaosCommand
{
    /// <summary>Full run: 30 minutes, a fault every 12 s on average (≥ 100 faults in 30 minutes even with slow recoveries).</summary>
    public const double DefaultDuration = 1800;
    public const double DefaultFaultInterval = 12;

    /// <summary>Smoke: ≤ 60 s per backend with start-up and the final verification.</summary>
    public const double SmokeDuration = 20;
    public const double SmokeFaultInterval = 2.5;

    public static Command Build(TextWriter output, TextWriter error, string commandLine)
    {
        var backend = new Option<string>("--backend") { Description = "mediamtx | ffmpeg | both (in turn)", DefaultValueFactory = _ => "both" };
        var duration = new Option<double?>("--duration") { Description = $"seconds of faults per backend (default {DefaultDuration:0}; smoke {SmokeDuration:0})" };
        var interval = new Option<double?>("--fault-interval") { Description = $"average seconds between fault starts (default {DefaultFaultInterval:0}; smoke {SmokeFaultInterval})" };
        var seed = new Option<int?>("--seed") { Description = "seed of the fault schedule (default: random, printed and reported)" };
        var faults = new Option<string?>("--faults") { Description = "comma-separated fault kinds (default all): " + string.Join(",", ChaosSettings.AllFaults) };
        var smoke = new Option<bool>("--smoke") { Description = "a short run (CI): ≤ 60 s per backend" };
        var serviceDll = new Option<string?>("--service-dll") { Description = $"the service (default <repo>/{ServiceLaunchOptions.DefaultServiceDll})" };
        var emulatorDll = new Option<string?>("--emulator-dll") { Description = $"the MediaMTX emulator (default <repo>/{ServiceLaunchOptions.DefaultEmulatorDll})" };
        var serviceArg = new Option<string[]>("--service-arg") { Description = "extra service argument (repeatable)" };
        var keepTemp = new Option<bool>("--keep-temp") { Description = "keep the run's temp directory (service and emulator logs, state, storage)" };
        var resultsDir = new Option<string?>("--results-dir") { Description = "where to write results (default <repo>/perf/results)" };
        var noResults = new Option<bool>("--no-results") { Description = "print only; write no files" };
        var mediamtx = new Option<string?>("--mediamtx") { Description = "path of a real mediamtx binary: the mediamtx backend runs it (config written by the harness) instead of the emulator, after the MediaMTX contract suite" };
        var tmpfs = new Option<int>("--tmpfs-mib") { Description = "size of the tmpfs storage root for the disk fault (root only)", DefaultValueFactory = _ => 256 };
        var command = new Command("chaos", "chaos soak (issue 22): service + emulator + cameras under a steady workload and a seeded fault schedule; named invariants, recovery times, md/json/svg report")
        {
            backend, duration, interval, seed, faults, smoke, serviceDll, emulatorDll, serviceArg, keepTemp, resultsDir, noResults, tmpfs, mediamtx,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var settings = Read(parse.GetValue(backend)!, parse.GetValue(duration), parse.GetValue(interval), parse.GetValue(seed), parse.GetValue(faults), parse.GetValue(smoke), parse.GetValue(tmpfs), parse.GetValue(mediamtx)) with
                {
                    Launch = new ServiceLaunchOptions(
                        parse.GetValue(serviceDll),
                        ServiceLaunchOptions.DefaultRunArgs,
                        ServiceLaunchOptions.DefaultTokenArgs,
                        parse.GetValue(serviceArg) ?? [],
                        "/ws",
                        TimeSpan.FromSeconds(90),
                        parse.GetValue(keepTemp),
                        EmulatorDll: parse.GetValue(emulatorDll)),
                    ResultsDirectory = parse.GetValue(resultsDir),
                    WriteResults = !parse.GetValue(noResults),
                    CommandLine = "perf/run.sh " + commandLine,
                };
                var results = await RunAllAsync(settings, output, ct).ConfigureAwait(false);
                var violations = results.Sum(r => r.Violations);
                if (violations > 0)
                {
                    await error.WriteLineAsync($"chaos: {violations} invariant violation(s) (see the report)").ConfigureAwait(false);
                    return Program.ExitErrors;
                }

                return Program.ExitOk;
            }
            catch (PerfUsageException ex)
            {
                await error.WriteLineAsync("chaos: " + ex.Message).ConfigureAwait(false);
                return Program.ExitErrors;
            }
            catch (PerfException ex)
            {
                await error.WriteLineAsync("chaos: " + ex.Message).ConfigureAwait(false);
                return Program.ExitFailed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await error.WriteLineAsync("chaos: cancelled; no results written").ConfigureAwait(false);
                return Program.ExitFailed;
            }
        });
        return command;
    }

    /// <summary>Validates the options (a bad value stops the run with one line naming the option).</summary>
    internal static ChaosSettings Read(string backend, double? duration, double? interval, int? seed, string? faults, bool smoke, int tmpfsMiB, string? mediamtx = null)
    {
        IReadOnlyList<string> backends = backend switch
        {
            "both" => ["mediamtx", "ffmpeg"],
            "mediamtx" or "ffmpeg" => [backend],
            _ => throw new PerfException($"--backend must be mediamtx, ffmpeg or both, got '{backend}'"),
        };
        var seconds = duration ?? (smoke ? SmokeDuration : DefaultDuration);
        if (seconds is <= 0 or > 7 * 86400 || double.IsNaN(seconds))
        {
            throw new PerfException($"--duration must be between 1 and 604800 seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}");
        }

        var every = interval ?? (smoke ? SmokeFaultInterval : DefaultFaultInterval);
        if (every is < 0.5 or > 3600 || double.IsNaN(every))
        {
            throw new PerfException($"--fault-interval must be between 0.5 and 3600 seconds, got {every.ToString(CultureInfo.InvariantCulture)}");
        }

        var kinds = faults is null
            ? ChaosSettings.AllFaults.ToHashSet(StringComparer.Ordinal)
            : faults.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var unknown = kinds.Except(ChaosSettings.AllFaults).ToList();
        if (unknown.Count > 0 || kinds.Count == 0)
        {
            throw new PerfException($"--faults: unknown fault kind(s) {string.Join(", ", unknown)}; known: {string.Join(",", ChaosSettings.AllFaults)}");
        }

        if (tmpfsMiB is < 64 or > 65536)
        {
            throw new PerfException($"--tmpfs-mib must be between 64 and 65536, got {tmpfsMiB.ToString(CultureInfo.InvariantCulture)}");
        }

        if (mediamtx is not null)
        {
            if (!backends.Contains("mediamtx"))
            {
                throw new PerfUsageException($"--mediamtx: the {backend} backend runs without MediaMTX; use --backend mediamtx or both");
            }

            mediamtx = Path.GetFullPath(mediamtx);
            if (RealMediaMtx.Invalid(mediamtx) is { } invalid)
            {
                throw new PerfUsageException(invalid);
            }
        }

        return new ChaosSettings
        {
            Backends = backends,
            DurationSeconds = seconds,
            FaultIntervalSeconds = every,
            Seed = seed ?? Random.Shared.Next(1, int.MaxValue),
            Smoke = smoke,
            Faults = kinds,
            TmpfsMiB = tmpfsMiB,
            MediaMtx = mediamtx,
            Launch = new ServiceLaunchOptions(null, ServiceLaunchOptions.DefaultRunArgs, ServiceLaunchOptions.DefaultTokenArgs, [], "/ws", TimeSpan.FromSeconds(90), false),
        };
    }

    /// <summary>Runs every selected backend in turn and writes each one's report.</summary>
    public static async Task<IReadOnlyList<(ChaosResult Result, string? Report)>> RunAllWithReportsAsync(ChaosSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var results = new List<(ChaosResult, string?)>();
        foreach (var backend in settings.Backends)
        {
            var startedAt = TimeProvider.System.GetUtcNow();
            var result = await ChaosRun.RunAsync(settings, backend, output, cancellationToken).ConfigureAwait(false);
            string? report = null;
            if (settings.WriteResults)
            {
                var repo = ResultWriter.FindRepoRoot();
                var directory = settings.ResultsDirectory ?? (repo is null ? Path.Combine(Environment.CurrentDirectory, "perf-results") : Path.Combine(repo, "perf", "results"));
                report = ChaosReport.Write(result, directory, startedAt);
            }

            var injected = result.Log.Faults.Count(f => f.NotInjected is null);
            await output.WriteLineAsync($"chaos[{backend}]: {injected} faults injected, {result.Log.Requests} requests, {result.Sessions.Count} recordings, {result.Violations} violation(s){(report is null ? string.Empty : "; report " + report)}").ConfigureAwait(false);
            foreach (var violation in result.Log.Violations.Take(20))
            {
                await output.WriteLineAsync($"  {violation.AtSeconds:0.0}s {violation.Invariant}: {violation.Detail}").ConfigureAwait(false);
            }

            results.Add((result, report));
        }

        return results;
    }

    private static async Task<IReadOnlyList<ChaosResult>> RunAllAsync(ChaosSettings settings, TextWriter output, CancellationToken cancellationToken)
        => [.. (await RunAllWithReportsAsync(settings, output, cancellationToken).ConfigureAwait(false)).Select(r => r.Result)];
}

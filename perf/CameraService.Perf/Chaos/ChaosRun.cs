using CameraService.Perf.Measurement;
using MediaMtxContract;

namespace CameraService.Perf.Chaos;

/// <summary>The outcome of one backend's chaos run.</summary>
internal sealed record ChaosResult(
    string Backend,
    ChaosSettings Settings,
    ChaosLog Log,
    IReadOnlyList<SessionRecord> Sessions,
    IReadOnlyDictionary<string, string> Skipped,
    int ServiceStarts,
    int EmulatorStarts,
    double DurationSeconds,
    bool TmpfsStorage,
    string LoadAtStart)
{
    public int Violations => Log.Violations.Count;

    /// <summary>What served as MediaMTX (mediamtx backend): the emulator, or the real binary with its version.</summary>
    public string? MediaMtx { get; init; }

    /// <summary>The contract suite's results against the real MediaMTX (null with the emulator or the ffmpeg backend).</summary>
    public IReadOnlyList<MediaMtxContractResult>? Contract { get; init; }
}

/// <summary>
/// One chaos run on one backend: the rig and the workload start, a warm-up, then the seeded fault schedule until the
/// duration is over — one fault at a time: inject, hold (lasting kinds), heal, recovery measured, then the checks that
/// follow a fault (health showed it, resources back near the baseline). The kinds come in seeded shuffled rounds, so
/// every available kind appears once per round. At the end the workload stops (recordings stopped and verified), the
/// processes stop, and no ffmpeg they started may remain.
/// </summary>
internal static class ChaosRun
{
    /// <summary>Leak tolerance after a fault (the service's own process, against the baseline after the warm-up).</summary>
    public const double FdFactor = 1.3;
    public const int FdSlack = 40;
    public const double RssFactor = 1.5;
    public const long RssSlackBytes = 128L * 1024 * 1024;

    public static async Task<ChaosResult> RunAsync(ChaosSettings settings, string backend, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var log = new ChaosLog();
        var loadAtStart = Results.ResultWriter.LoadAverage();
        foreach (var invariant in new[]
        {
            "recording-playable", "recording-accounted", "stop-lists-existing-files", "crash-loss", "no-orphan-ffmpeg",
            "resource-baseline", "notification-sequence", ChaosClient.ErrorCodesInvariant, "health-reports-fault",
            "health-recovers", "snapshot-file-exists", "download-complete",
        })
        {
            log.Declare(invariant);
        }

        await output.WriteLineAsync($"chaos[{backend}]: seed {settings.Seed}, {settings.DurationSeconds:0} s, a fault every {settings.FaultIntervalSeconds:0.#} s").ConfigureAwait(false);
        await using var rig = await ChaosRig.StartAsync(settings, backend, log, output, cancellationToken).ConfigureAwait(false);
        var contract = rig.RealMediaMtx ? await ContractAsync(rig, log, output, cancellationToken).ConfigureAwait(false) : null;
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        var faults = new List<IChaosFault>();
        foreach (var fault in ChaosFault.All)
        {
            var reason = !settings.FaultEnabled(fault.Name) ? "not selected (--faults)" : fault.Unavailable(rig);
            if (reason is null)
            {
                faults.Add(fault);
            }
            else
            {
                skipped[fault.Name] = reason;
            }
        }

        foreach (var (kind, reason) in skipped)
        {
            await output.WriteLineAsync($"chaos[{backend}]: fault {kind} skipped: {reason}").ConfigureAwait(false);
        }

        await using var workload = new ChaosWorkload(rig, log, settings, output);
        await workload.StartAsync(cancellationToken).ConfigureAwait(false);
        var warmup = settings.Smoke ? 3 : 10;
        await Task.Delay(TimeSpan.FromSeconds(warmup), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        var baseline = Baseline(rig);
        var started = log.Now;
        var end = started + settings.DurationSeconds;
        var schedule = new Random(settings.Seed);
        var round = new Queue<IChaosFault>();
        var next = started;
        while (log.Now < end && faults.Count > 0)
        {
            var wait = next - log.Now;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(wait, end - log.Now)), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }

            if (log.Now >= end)
            {
                break;
            }

            if (round.Count == 0)
            {
                foreach (var fault in faults.OrderBy(_ => schedule.Next()))
                {
                    round.Enqueue(fault);
                }
            }

            var kind = round.Dequeue();
            var hold = settings.Hold.Min + (schedule.NextDouble() * (settings.Hold.Max - settings.Hold.Min));
            var targetSeed = schedule.Next();
            next = log.Now + (settings.FaultIntervalSeconds * (0.7 + (0.6 * schedule.NextDouble())));
            baseline = await InjectOneAsync(kind, hold, new Random(targetSeed), rig, workload, log, settings, baseline, output, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"chaos[{backend}]: fault schedule done ({log.Faults.Count(f => f.NotInjected is null)} injected); stopping the workload and verifying the last recordings").ConfigureAwait(false);
        await workload.StopAsync().ConfigureAwait(false);
        var duration = log.Now;
        await rig.StopAllAsync().ConfigureAwait(false);

        // After an orderly stop nothing the service or the emulator started may run on.
        var until = log.Now + 5;
        IReadOnlyList<ProcInfo> orphans;
        while ((orphans = rig.Orphans()).Count > 0 && log.Now < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        }

        log.Check("no-orphan-ffmpeg", orphans.Count == 0, () =>
            $"after the run's orderly stop {orphans.Count} ffmpeg still run: {string.Join("; ", orphans.Select(o => o.Pid + " " + KillFfmpegFault.Shorten(ProcTree.CommandLine(o.Pid))))}");
        return new ChaosResult(backend, settings, log, [.. workload.Sessions], skipped, rig.ServiceStarts, rig.EmulatorStarts, Math.Round(duration, 1), rig.TmpfsMounted, loadAtStart)
        {
            MediaMtx = !rig.HasEmulator ? null : rig.RealMediaMtx ? $"{rig.MediaMtxVersion} ({settings.MediaMtx})" : "the MediaMTX emulator (tests/MediaMtxEmulator, --media --rtsp-server)",
            Contract = contract,
        };
    }

    /// <summary>
    /// Before the soak: the MediaMTX client contract against the real MediaMTX (invariant mediamtx-contract, a check per
    /// case), so a soak against a MediaMTX the plugin's client does not match says so first.
    /// </summary>
    private static async Task<IReadOnlyList<MediaMtxContractResult>> ContractAsync(ChaosRig rig, ChaosLog log, TextWriter output, CancellationToken cancellationToken)
    {
        const string Invariant = "mediamtx-contract";
        log.Declare(Invariant);
        var results = await RealMediaMtx.ContractAsync(rig.EmulatorApi, cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            log.Check(Invariant, result.Passed, () => $"{result.Name} ({result.Checks}): {result.Failure}");
            await output.WriteLineAsync($"chaos[{rig.Backend}]: contract {result.Name}: {(result.Passed ? "pass" : "FAIL: " + result.Failure)}").ConfigureAwait(false);
        }

        return results;
    }

    private static async Task<(int Pid, long Rss, int Fds)?> InjectOneAsync(
        IChaosFault fault,
        double hold,
        Random random,
        ChaosRig rig,
        ChaosWorkload workload,
        ChaosLog log,
        ChaosSettings settings,
        (int Pid, long Rss, int Fds)? baseline,
        TextWriter output,
        CancellationToken cancellationToken)
    {
        var record = log.AddFault(fault.Name);
        var context = new FaultContext(rig, workload, log, settings, random, record);
        string? detail;
        try
        {
            detail = await fault.InjectAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or HttpRequestException)
        {
            detail = null;
            record.NotInjected = ex.Message;
        }

        if (detail is null)
        {
            record.NotInjected ??= "nothing to inject into at that moment";
            log.Note($"fault {fault.Name} not injected: {record.NotInjected}");
            return baseline;
        }

        record.Detail = detail;
        log.Note($"fault {fault.Name}: {detail}");
        if (fault.Lasting)
        {
            await Task.Delay(TimeSpan.FromSeconds(hold), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        // Health must show a lasting fault while it lasts: samples up to the heal (and the one in flight then).
        var samples = workload.HealthBetween(record.InjectedAt, log.Now + 0.6);
        await fault.HealAsync(context, cancellationToken).ConfigureAwait(false);
        record.HealedAt = Math.Round(log.Now, 2);
        var shows = samples.Select(s => fault.Shows(context, s)).ToList();
        if (shows.Any(s => s is not null))
        {
            record.HealthReported = shows.Any(s => s == true);
            log.Check("health-reports-fault", record.HealthReported == true, () =>
                $"{fault.Name} ({detail}) lasted {record.HealedAt - record.InjectedAt:0.0} s but none of {samples.Count} health samples showed it");
        }

        var deadline = log.Now + settings.RecoveryTimeout.TotalSeconds;
        var recovered = false;
        while (log.Now < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (await fault.RecoveredAsync(context, cancellationToken).ConfigureAwait(false))
            {
                recovered = true;
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        if (recovered)
        {
            record.RecoveredAt = Math.Round(log.Now, 2);
        }

        // The writer could not run from the injection until the service (or the emulator, or the disk) was back.
        if (record.Interruption is { } interruption && fault.Name is "kill-service" or "kill-emulator" or "restart-emulator" or "disk-full")
        {
            interruption.OutageSeconds = log.Now - record.InjectedAt;
        }

        log.Check("health-recovers", recovered, () => $"{fault.Name} ({detail}): not recovered {settings.RecoveryTimeout.TotalSeconds:0} s after the heal; last health: {Describe(workload.HealthBetween(log.Now - 2, log.Now + 1) is { Count: > 0 } last ? last[^1] : null)}");
        await output.WriteLineAsync($"chaos[{rig.Backend}] {record.InjectedAt,7:0.0}s {fault.Name}: {detail} → {(recovered ? $"recovered in {record.RecoverySeconds:0.00} s" : "NOT recovered")}").ConfigureAwait(false);

        // Leak check on the service process (when it is the same process as at the baseline; a new one is re-baselined).
        var now = Baseline(rig);
        if (now is null || baseline is null || now.Value.Pid != baseline.Value.Pid)
        {
            return now ?? baseline;
        }

        var b = baseline.Value;
        var n = now.Value;
        log.Check("resource-baseline", n.Fds <= (b.Fds * FdFactor) + FdSlack && n.Rss <= (b.Rss * RssFactor) + RssSlackBytes, () =>
            $"after {fault.Name}: service fds {n.Fds} (baseline {b.Fds}), RSS {n.Rss / (1024 * 1024)} MiB (baseline {b.Rss / (1024 * 1024)} MiB)");
        return baseline;
    }

    private static (int Pid, long Rss, int Fds)? Baseline(ChaosRig rig)
        => rig.ServicePid is { } pid && ProcessSampler.Read(pid) is { } sample ? (pid, sample.RssBytes, sample.OpenFiles) : null;

    private static string Describe(HealthSample? sample)
        => sample is null ? "none" : $"reachable={sample.Reachable} status={sample.Status} {string.Join(" ", sample.Components.Select(c => c.Key + "=" + c.Value))} cameras {string.Join(" ", sample.Cameras.Select(c => c.Key + "=" + c.Value))}";
}

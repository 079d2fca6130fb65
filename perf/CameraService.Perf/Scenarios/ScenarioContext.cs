using System.Globalization;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Measurement;
using CameraService.Perf.Results;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Scenarios;

/// <summary>What a scenario hands back; the runner adds the run's identity and writes it.</summary>
internal sealed record ScenarioOutcome(
    IReadOnlyList<PhaseResult> Phases,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<string> Notes,
    double? LimitRatio = null,
    bool CountErrors = true);

/// <summary>A scenario: bounded in time and count, stops by itself.</summary>
internal interface IScenario
{
    string Name { get; }

    Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken);
}

/// <summary>Shared plumbing of the scenarios: targets, sessions, phases with /proc sampling.</summary>
internal sealed class ScenarioContext(RunOptions options, ScenarioSettings settings, TextWriter output)
{
    public RunOptions Options { get; } = options;

    public ScenarioSettings Settings { get; } = settings;

    public TextWriter Out { get; } = output;

    public bool Smoke => Options.Smoke;

    /// <summary>Picks the full-run or the smoke default.</summary>
    public T Pick<T>(T? configured, T full, T smoke)
        where T : struct => configured ?? (Smoke ? smoke : full);

    /// <summary>
    /// Opens the configured target. <paramref name="prepareStorage"/> runs on the storage root before the service
    /// starts (start-service) or right away (url with --storage-root); <paramref name="extraServiceArgs"/> are
    /// appended to the service's command line.
    /// </summary>
    public async Task<ITarget> OpenTargetAsync(
        Func<string, CancellationToken, Task>? prepareStorage,
        IReadOnlyList<string>? extraServiceArgs,
        CancellationToken cancellationToken)
    {
        switch (Options.Target)
        {
            case TargetKind.Service:
                var launch = extraServiceArgs is { Count: > 0 }
                    ? Options.Service with { ExtraArgs = [.. Options.Service.ExtraArgs, .. extraServiceArgs] }
                    : Options.Service;
                return await ServiceTarget.StartAsync(launch, prepareStorage, Out, cancellationToken).ConfigureAwait(false);
            case TargetKind.Url:
                var url = Options.Url ?? throw new PerfException("--url is required for a url target");
                if (prepareStorage is not null)
                {
                    if (Options.StorageRoot is null)
                    {
                        throw new PerfException("this scenario writes files into the service's media root: pass --storage-root <the service's Storage:Root>, or use --start-service");
                    }

                    await prepareStorage(Options.StorageRoot, cancellationToken).ConfigureAwait(false);
                }

                return new ExternalTarget(new TargetInfo(TargetKind.Url, url, Options.Token, Options.ServerPid, Options.StorageRoot, Options.FakeDevicesDirectory));
            default:
                var echo = await OpenEchoAsync(cancellationToken).ConfigureAwait(false);
                if (prepareStorage is not null && Options.StorageRoot is not null)
                {
                    await prepareStorage(Options.StorageRoot, cancellationToken).ConfigureAwait(false);
                }

                return echo;
        }
    }

    public async Task<ITarget> OpenEchoAsync(CancellationToken cancellationToken)
    {
        var echo = await EchoTarget.StartAsync(Options.EchoInProcess, Options.EchoInline, cancellationToken).ConfigureAwait(false);
        await Out.WriteLineAsync($"echo server on {echo.Info.WebSocketUri} (pid {echo.Info.ServerPid}{(Options.EchoInProcess ? ", in-process" : string.Empty)})").ConfigureAwait(false);
        return echo;
    }

    /// <summary>Opens and authenticates <paramref name="count"/> sessions; throws if any failed unless <paramref name="tolerateFailures"/>.</summary>
    public async Task<SessionPool> OpenSessionsAsync(
        TargetInfo target,
        int count,
        double connectsPerSecond,
        IRecordSink? measurements,
        bool tolerateFailures,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        EnsureFileLimit(target, count);
        var pool = await SessionPool.OpenAsync(
            target.WebSocketUri, target.Token, count, connectsPerSecond, parallelism: 100, Options.RequestTimeout, measurements, cancellationToken).ConfigureAwait(false);
        if (!tolerateFailures && pool.FailureCount > 0)
        {
            var reasons = string.Join("; ", pool.Failures.Select(f => $"{f.Key} ×{f.Value}"));
            await pool.DisposeAsync().ConfigureAwait(false);
            throw new PerfException($"{pool.FailureCount} of {count} sessions failed to open against {target.WebSocketUri}: {reasons}");
        }

        return pool;
    }

    /// <summary>The camera to use: --device, else the first of get_camera_list, else camera0 (noted).</summary>
    public async Task<string> ResolveDeviceAsync(RpcConnection connection, List<string> notes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(notes);
        if (Options.Device is { } configured)
        {
            return configured;
        }

        var outcome = await connection.CallAsync(RpcMethod.Create("get_camera_list"), capture: true, cancellationToken).ConfigureAwait(false);
        if (outcome.IsOk)
        {
            using var document = outcome.ParseMessage()!;
            if (document.RootElement.TryGetProperty("result", out var result)
                && result.ValueKind == JsonValueKind.Object
                && result.TryGetProperty("cameras", out var cameras)
                && cameras.ValueKind == JsonValueKind.Array)
            {
                foreach (var camera in cameras.EnumerateArray())
                {
                    if (camera.TryGetProperty("device", out var device) && device.ValueKind == JsonValueKind.String)
                    {
                        return device.GetString()!;
                    }
                }
            }
        }

        notes.Add($"get_camera_list named no camera ({outcome.Label}); device methods use camera0");
        return "camera0";
    }

    /// <summary>
    /// Runs one measured phase with the server (and this client) sampled from /proc every second.
    /// <paramref name="body"/> records into the given measurements and may return extra metrics.
    /// </summary>
    public async Task<PhaseResult> RunPhaseAsync(
        string name,
        TargetInfo target,
        Func<Measurements, CancellationToken, Task<IReadOnlyDictionary<string, double>?>> body,
        CancellationToken cancellationToken,
        bool includeSamples = false)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(body);
        await Out.WriteLineAsync($"[{name}] against {target.Label} …").ConfigureAwait(false);
        var measurements = new Measurements();
        await using var server = StartSampler(target.ServerPid == Environment.ProcessId ? null : target.ServerPid);
        await using var client = StartSampler(Environment.ProcessId);
        var metrics = await body(measurements, cancellationToken).ConfigureAwait(false);
        measurements.Total.Stop();
        server?.TakeSample();
        client?.TakeSample();
        var phase = BuildPhase(name, target.Label, measurements.Total, server?.Summarize(includeSamples: includeSamples), client?.Summarize(), metrics);
        await Out.WriteLineAsync(FormattableString.Invariant(
            $"[{name}] {phase.Requests} requests, {phase.RequestsPerSecond:0} req/s, p50 {phase.P50Ms} ms, p95 {phase.P95Ms} ms, p99 {phase.P99Ms} ms, errors {phase.Errors}")).ConfigureAwait(false);
        return phase;
    }

    /// <summary>A phase result from a recorder (requests and percentiles exclude the "(…)" pseudo-methods).</summary>
    public static PhaseResult BuildPhase(
        string name,
        string target,
        LatencyRecorder recorder,
        ProcessSummary? server,
        ProcessSummary? client,
        IReadOnlyDictionary<string, double>? metrics)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var methods = recorder.Snapshot();
        var real = methods.Where(m => !m.Method.StartsWith('(')).ToList();
        var requests = real.Sum(m => m.Count);
        var errors = methods.Sum(m => m.Errors);
        var seconds = recorder.Elapsed.TotalSeconds;
        var overall = recorder.Overall(excludePseudo: true);
        return new PhaseResult(
            name,
            target,
            Math.Round(seconds, 2),
            requests,
            errors,
            seconds > 0 ? Math.Round(requests / seconds, 1) : 0,
            requests > 0 ? Math.Round(100.0 * real.Sum(m => m.Errors) / requests, 3) : 0,
            overall.P50,
            overall.P95,
            overall.P99,
            overall.Max,
            methods,
            server,
            client,
            metrics ?? new Dictionary<string, double>());
    }

    public static string Inv(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static ProcessSampler? StartSampler(int? pid)
    {
        if (pid is not { } id || !ProcessSampler.CanSample(id))
        {
            return null;
        }

        var sampler = new ProcessSampler(id, TimeSpan.FromSeconds(1));
        sampler.Start();
        return sampler;
    }

    /// <summary>
    /// Each session is a socket (two when the echo server runs in this process); the hard open-file limit here is
    /// 20,000 and cannot be raised, so refuse plans that cannot fit instead of failing half-way.
    /// </summary>
    private static void EnsureFileLimit(TargetInfo target, int sessions)
    {
        var limit = OpenFileLimit();
        if (limit is not { } max)
        {
            return;
        }

        var perSession = target.ServerPid == Environment.ProcessId ? 2 : 1;
        var needed = (sessions * perSession) + 256;
        if (needed > max)
        {
            throw new PerfException($"{sessions} sessions need about {needed} open files in this process but the limit is {max}: lower --sessions (10,000 is the ceiling with client and server on one machine), or run the echo server as a process (the default)");
        }
    }

    private static long? OpenFileLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux: no limit check.
        }

        return null;
    }
}

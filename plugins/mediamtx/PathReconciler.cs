using System.Text.Json.Nodes;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// Keeps MediaMTX's paths equal to the <see cref="PathTable"/>: on every <see cref="MediaMtxOptions.ReconcileInterval"/>
/// it re-applies missing or drifted paths (a restarted MediaMTX), adopts recordings of our paths that no camera has
/// claimed (a restarted service) and deletes our orphaned paths after the grace period. Every config change of the
/// backend runs under the same lock (<see cref="ExclusiveAsync"/>), so a repair computed from an older desired state
/// never lands after, and undoes, a newer change.
/// </summary>
internal sealed class PathReconciler(
    MediaMtxClient client,
    MediaMtxOptions options,
    PathTable table,
    OwnershipRegistry registry,
    BackendHealth health,
    TimeProvider time,
    ILogger logger,
    Action<StreamBackendEventArgs> raise) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    /// <summary>While MediaMTX answers: how often <see cref="WatchTickAsync"/> asks whether it restarted.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often <see cref="WatchTickAsync"/> runs: while MediaMTX is unreachable, every tick tries to re-apply.</summary>
    public static readonly TimeSpan DownPollInterval = TimeSpan.FromMilliseconds(250);

    private DateTimeOffset? _lastStarted;
    private DateTimeOffset _startedAt;
    private DateTimeOffset _lastWatch;
    private long _lastStartedTicks;

    /// <summary>The first pass at start: MediaMTX may come up after us, then health says so and the loop heals.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _startedAt = time.GetUtcNow();
        try
        {
            await ReconcileAsync(ct).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            // Reflected in health; the loop tries again.
        }
    }

    /// <summary>
    /// One periodic pass (run by the backend's <c>BackgroundLoops.RunEvery</c>, which logs any other failure and
    /// goes on, so that the backend heals).
    /// </summary>
    public async Task TickAsync(CancellationToken ct)
    {
        try
        {
            await ReconcileAsync(ct).ConfigureAwait(false);
        }
        catch (DependencyFailedException)
        {
            // Already reflected in health; the next tick tries again.
        }
    }

    /// <summary>
    /// The fast half of reconciliation (issue 22: a MediaMTX that comes back gets its paths and recordings again within a
    /// second, not at the next <see cref="MediaMtxOptions.ReconcileInterval"/>). Run every <see cref="DownPollInterval"/>:
    /// while MediaMTX is unreachable (health Error) each tick is a full pass, which re-applies as soon as it answers; while
    /// it answers, every <see cref="WatchInterval"/> one <c>/v3/info</c> tells whether it restarted meanwhile (a restart
    /// quicker than the watch is never seen as down): then a full pass re-applies at once.
    /// </summary>
    public async Task WatchTickAsync(CancellationToken ct)
    {
        if (health.Current.State == ComponentState.Error)
        {
            await TickAsync(ct).ConfigureAwait(false);
            return;
        }

        var now = time.GetUtcNow();
        if (now - _lastWatch < WatchInterval || health.Current.State == ComponentState.Stopped)
        {
            return;
        }

        _lastWatch = now;
        try
        {
            var info = await health.Guard(() => client.GetInfoAsync(ct)).ConfigureAwait(false);
            if (info.Started is { } started && Interlocked.Read(ref _lastStartedTicks) is var known && known != 0 && started.UtcTicks != known)
            {
                await TickAsync(ct).ConfigureAwait(false);
            }
        }
        catch (DependencyFailedException)
        {
            // Unreachable now: health says so, and the next ticks poll until it answers.
        }
    }

    /// <summary>Runs a config change of the backend exclusively with reconciliation.</summary>
    public async Task ExclusiveAsync(Func<Task> change, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await change().ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Compares desired state with MediaMTX and repairs it: missing or drifted paths, a restarted server, orphans.</summary>
    public Task ReconcileAsync(CancellationToken ct) => ExclusiveAsync(() => ReconcileLockedAsync(ct), ct);

    /// <summary>Adopts the recordings MediaMTX runs for our paths (after a restart) before they are listed.</summary>
    public Task AdoptAsync(CancellationToken ct) =>
        ExclusiveAsync(async () => await AdoptAndCleanAsync(await ListConfigsAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false), ct);

    public void Dispose() => _lock.Dispose();

    private async Task ReconcileLockedAsync(CancellationToken ct)
    {
        var info = await health.Guard(() => client.GetInfoAsync(ct)).ConfigureAwait(false);
        var restarted = _lastStarted != null && info.Started != null && info.Started != _lastStarted;
        if (restarted)
        {
            Log.ServerRestarted(logger, _lastStarted, info.Started);
        }

        _lastStarted = info.Started ?? _lastStarted;
        Interlocked.Exchange(ref _lastStartedTicks, _lastStarted?.UtcTicks ?? 0);
        var configs = await ListConfigsAsync(ct).ConfigureAwait(false);
        var repaired = new List<string>();
        var refused = new List<string>();
        foreach (var (id, want, recording) in table.DesiredConfigs())
        {
            var missing = !configs.TryGetValue(id, out var actual);
            var drift = missing ? [] : PathConfigBuilder.Drift(want, actual!);
            if (!missing && drift.Count == 0)
            {
                continue;
            }

            if (missing)
            {
                Log.PathMissing(logger, id);
            }
            else
            {
                Log.DriftRepaired(logger, id, string.Join(',', drift));
            }

            try
            {
                await health.Guard(() => client.ReplacePathAsync(id, want, ct)).ConfigureAwait(false);
            }
            catch (DependencyFailedException ex) when (ex.InnerException is MediaMtxApiException)
            {
                // This path's config is refused (e.g. an older MediaMTX): the others are still repaired.
                Log.ReconcileFailed(logger, ex.Detail, ex);
                refused.Add($"{id} ({ex.Detail})");
                continue;
            }

            repaired.Add(id);
            if (missing && recording)
            {
                raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.RecordingRecovered, CameraId = id, Reason = "MediaMTX lost the path; it was re-applied and recording continues in a new segment." });
            }
        }

        await AdoptAndCleanAsync(configs, ct).ConfigureAwait(false);
        health.Reconciled(refused);
        if (restarted || repaired.Count > 0)
        {
            var reason = restarted
                ? $"MediaMTX restarted; desired state re-applied ({repaired.Count} paths)."
                : $"Drift repaired on {string.Join(", ", repaired)}.";
            raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.StateReapplied, Reason = reason });
        }
    }

    /// <summary>MediaMTX's path configs by name (the first of duplicates wins).</summary>
    private async Task<Dictionary<string, JsonObject>> ListConfigsAsync(CancellationToken ct) =>
        (await health.Guard(() => client.ListPathConfigsAsync(ct)).ConfigureAwait(false))
            .Where(c => c["name"] != null)
            .GroupBy(c => c["name"]!.GetValue<string>(), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    private async Task AdoptAndCleanAsync(Dictionary<string, JsonObject> configs, CancellationToken ct)
    {
        var registered = registry.Snapshot();
        foreach (var (name, conf) in configs)
        {
            if ((!PathConfigBuilder.IsOurs(conf) && !registered.ContainsKey(name)) || table.IsPublished(name))
            {
                continue;
            }

            if (conf["record"]?.GetValue<bool>() == true)
            {
                var persisted = registered.TryGetValue(name, out var p) ? p.Recording : null;
                var adopted = table.Adopt(name, () => new RecordingSession(
                    name, persisted?.SessionId, persisted?.Format ?? "fmp4", persisted?.StartTime ?? time.GetUtcNow(), DirectoryOf(conf), null,
                    persisted?.MaxBytes ?? 0, persisted?.RemoveAudio ?? false));
                if (adopted)
                {
                    Log.RecordingAdopted(logger, name);
                }

                continue;
            }

            if (time.GetUtcNow() - _startedAt >= options.OrphanGracePeriod)
            {
                await health.Guard(() => client.DeletePathAsync(name, ct)).ConfigureAwait(false);
                registry.Remove(name);
                Log.OrphanRemoved(logger, name);
            }
        }
    }

    private static string DirectoryOf(JsonObject conf) =>
        Path.GetDirectoryName(conf["recordPath"]?.GetValue<string>() ?? string.Empty) ?? string.Empty;
}

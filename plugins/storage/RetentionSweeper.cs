using System.Globalization;
using CameraService.Abstractions.Media;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Applies the retention policy: the persisted policy itself, the background sweep (every
/// <c>Storage:RetentionInterval</c>, or at once when woken by a new policy or a fuller disk) and the on-request cleanup.
/// </summary>
/// <remarks>
/// Owns the policy (under its lock, saved before it is used), the gate that lets one sweep or cleanup run at a time,
/// and the wake-up signal. Deletes oldest first across both kinds and never a recording in progress.
/// </remarks>
internal sealed class RetentionSweeper : IDisposable
{
    private const double BytesPerGb = 1024d * 1024 * 1024;

    private readonly TimeSpan _interval;
    private readonly CatalogWatcher _recordings;
    private readonly CatalogWatcher _snapshots;
    private readonly RecordingActivity _activity;
    private readonly SpaceGuard _space;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StorageMetrics? _metrics;
    private readonly RetentionPolicyStore _policyStore;
    private readonly Lock _policyLock = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RetentionPolicy _policy;
    private TaskCompletionSource _wake = NewWake();

    public RetentionSweeper(StorageOptions options, CatalogWatcher recordings, CatalogWatcher snapshots, RecordingActivity activity, SpaceGuard space, TimeProvider time, ILogger logger, StorageMetrics? metrics)
    {
        _interval = options.RetentionInterval;
        _recordings = recordings;
        _snapshots = snapshots;
        _activity = activity;
        _space = space;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _policyStore = new RetentionPolicyStore(Path.GetFullPath(options.StateDirectory), logger, options.LegacyStateDirectory);
        _policy = _policyStore.Load();
    }

    public RetentionPolicy Policy
    {
        get
        {
            lock (_policyLock)
            {
                return _policy;
            }
        }
    }

    /// <summary>Reads the persisted policy again (at start).</summary>
    public void Reload()
    {
        var policy = _policyStore.Load();
        lock (_policyLock)
        {
            _policy = policy;
        }
    }

    /// <summary>Validates, saves and adopts a policy; an enabled one is applied by the sweep right away.</summary>
    public RetentionPolicy SetPolicy(RetentionPolicy policy)
    {
        RetentionPolicyStore.Validate(policy);
        lock (_policyLock)
        {
            _policyStore.Save(policy);
            _policy = policy;
        }

        Log.PolicySet(_logger, policy.PolicyType, policy.Enabled, policy.MaxAgeDays, policy.MaxSizeGb, policy.MinFreePercent);
        if (policy.Enabled)
        {
            // Applied by the background sweep right away, so the RPC does not wait for a large deletion.
            Wake();
        }

        return policy;
    }

    /// <summary>Makes the sweep run now instead of at the end of its interval.</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>
    /// The sweep: waits for the interval or a wake-up, then applies an enabled policy; runs until stop. A failing
    /// sweep ends this call; the store's loops restart it, and it waits for the next interval again.
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using (var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var wake = Volatile.Read(ref _wake).Task;
                await Task.WhenAny(Task.Delay(_interval, _time, delay.Token), wake).ConfigureAwait(false);
                await delay.CancelAsync().ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Exchange(ref _wake, NewWake());
            var policy = Policy;
            if (policy.Enabled)
            {
                await ApplyAsync(policy, "sweep", cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Applies the current policy now (the <c>cleanup</c> request).</summary>
    public Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken) =>
        ApplyAsync(Policy, "cleanup", cancellationToken);

    public void Dispose() => _gate.Dispose();

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<CleanupResult> ApplyAsync(RetentionPolicy policy, string trigger, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Apply(policy, trigger, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private CleanupResult Apply(RetentionPolicy policy, string trigger, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var candidates = _recordings.Catalog.All().Select(e => (Files: _recordings, Entry: e))
            .Concat(_snapshots.Catalog.All().Select(e => (Files: _snapshots, Entry: e)))
            .OrderBy(c => c.Entry.Modified.UtcTicks)
            .ThenBy(c => c.Entry.FileName, StringComparer.Ordinal)
            .ToList();
        var deleted = new HashSet<(MediaKind, string)>();
        var count = 0;
        long freed = 0;
        var reasons = new List<string>();

        bool TryDelete(CatalogWatcher files, CatalogEntry entry, string rule, string reason)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (deleted.Contains((files.Kind, entry.FileName)) || _activity.IsInProgress(files.Kind, entry, _time.GetUtcNow()))
            {
                return false;
            }

            try
            {
                File.Delete(entry.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.RetentionDeleteFailed(_logger, ex, files.Kind, entry.FileName);
                return false;
            }

            files.Forget(entry);
            deleted.Add((files.Kind, entry.FileName));
            count++;
            freed += entry.Size;
            Log.RetentionDeleted(_logger, files.Kind, entry.FileName, entry.Size, entry.Modified, reason, trigger);
            _metrics?.RetentionDeleted(files.Kind == MediaKind.Recording ? "recording" : "snapshot", rule, trigger, entry.Size);
            return true;
        }

        if (policy.PolicyType == RetentionPolicyTypes.Age && policy.MaxAgeDays is { } days)
        {
            var cutoff = now - TimeSpan.FromDays(days);
            var before = count;
            foreach (var (files, entry) in candidates.TakeWhile(c => c.Entry.Modified < cutoff))
            {
                TryDelete(files, entry, "age", string.Create(CultureInfo.InvariantCulture, $"older than {days} days"));
            }

            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{count - before} older than {days} days"));
        }

        if (policy.PolicyType == RetentionPolicyTypes.Size && policy.MaxSizeGb is { } gb)
        {
            var limit = (long)(gb * BytesPerGb);
            var total = _recordings.Catalog.TotalBytes + _snapshots.Catalog.TotalBytes;
            var before = count;
            foreach (var (files, entry) in candidates)
            {
                if (total <= limit)
                {
                    break;
                }

                if (TryDelete(files, entry, "size", string.Create(CultureInfo.InvariantCulture, $"media above {gb} GB")))
                {
                    total -= entry.Size;
                }
            }

            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{count - before} to keep media below {gb} GB"));
        }

        if (policy.MinFreePercent is { } minFree and > 0)
        {
            var status = _space.Measure(force: true);
            var usable = status.UsedBytes + status.AvailableBytes;
            var deficit = (long)Math.Ceiling(minFree / 100 * usable) - status.AvailableBytes;
            var before = count;
            foreach (var (files, entry) in candidates)
            {
                if (deficit <= 0)
                {
                    break;
                }

                if (TryDelete(files, entry, "min_free", string.Create(CultureInfo.InvariantCulture, $"free space below {minFree}%")))
                {
                    deficit -= entry.Size;
                }
            }

            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{count - before} to keep {minFree}% free"));
        }

        if (count > 0)
        {
            _space.Invalidate();
            _space.TryMeasure();
        }

        Log.RetentionSummary(_logger, trigger, policy.PolicyType, count, freed);
        var message = reasons.Count == 0
            ? "The retention policy is manual without a free-space floor; nothing was deleted."
            : string.Create(CultureInfo.InvariantCulture, $"Deleted {count} files ({FormatBytes(freed)}) by the {policy.PolicyType} policy: {string.Join(", ", reasons)}; files being written are kept.");
        return new CleanupResult { FilesDeleted = count, BytesFreed = freed, Message = message };
    }

    private static string FormatBytes(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}

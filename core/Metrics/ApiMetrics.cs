namespace CameraService.Core.Metrics;

/// <summary>
/// Records API calls for <c>get_metrics.api_metrics</c>: a per-second ring of counts over the last 60 s and a
/// reservoir of the last 4096 latencies for the percentiles. Recording takes no lock and allocates nothing (it runs
/// on every call).
/// </summary>
internal sealed class ApiMetrics(TimeProvider timeProvider, ServiceMetrics? instruments = null)
{
    private const int WindowSeconds = 60;
    private const int ReservoirSize = 4096;

    // Seconds are counted on the monotonic timestamp, offset so that they line up with wall-clock seconds at start:
    // reading the wall clock (GetUtcNow) on every call costs more than the rest of the bookkeeping.
    private readonly long _ticksPerSecond = timeProvider.TimestampFrequency;
    private readonly long _epochOffset = timeProvider.GetUtcNow().ToUnixTimeSeconds() - (timeProvider.GetTimestamp() / timeProvider.TimestampFrequency);
    private readonly long[] _secondStamp = new long[WindowSeconds];
    private readonly int[] _requests = new int[WindowSeconds];
    private readonly int[] _errors = new int[WindowSeconds];
    private readonly double[] _latencies = new double[ReservoirSize];
    private int _latencyCount;
    private int _latencyNext;
    private int _connections;

    public int Connections => Volatile.Read(ref _connections);

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        instruments?.SessionsOpened.Add(1);
    }

    public void ConnectionClosed()
    {
        Interlocked.Decrement(ref _connections);
        instruments?.SessionsClosed.Add(1);
    }

    /// <summary>Records a finished call for get_metrics and, per method and error code, for /metrics.</summary>
    public void RecordCall(string method, int code, TimeSpan elapsed)
    {
        Record(elapsed, code != 0);
        instruments?.RecordRequest(method, code, elapsed);
    }

    /// <summary>Counts a request refused by the rate limit.</summary>
    public void RecordRateLimited()
    {
        Record(TimeSpan.Zero, error: true);
        instruments?.RateLimited.Add(1);
    }

    /// <summary>Counts one notification's deliveries: queued to sessions, and dropped because a session's queue was full.</summary>
    public void RecordNotifications(string method, int delivered, int dropped)
    {
        if (instruments is null)
        {
            return;
        }

        if (delivered > 0)
        {
            instruments.NotificationsSent.Add(delivered, new KeyValuePair<string, object?>("method", method));
        }

        if (dropped > 0)
        {
            instruments.NotificationsDropped.Add(dropped, new KeyValuePair<string, object?>("method", method));
        }
    }

    public void Record(TimeSpan elapsed, bool error)
    {
        // Lock-free: every API call passes here. A second's slot is claimed by the first call that sees it stale
        // (its counts reset); a call racing that reset may be counted in the old second — a rounding error of a
        // 60 s rate, never a lost or torn latency.
        var second = timeProvider.GetTimestamp() / _ticksPerSecond + _epochOffset;
        var slot = (int)(second % WindowSeconds);
        var stamp = Volatile.Read(ref _secondStamp[slot]);
        if (stamp != second && Interlocked.CompareExchange(ref _secondStamp[slot], second, stamp) == stamp)
        {
            Interlocked.Exchange(ref _requests[slot], 0);
            Interlocked.Exchange(ref _errors[slot], 0);
        }

        Interlocked.Increment(ref _requests[slot]);
        if (error)
        {
            Interlocked.Increment(ref _errors[slot]);
        }

        var next = Interlocked.Increment(ref _latencyNext) - 1;
        Volatile.Write(ref _latencies[(int)((uint)next % ReservoirSize)], elapsed.TotalMilliseconds);
        if (Volatile.Read(ref _latencyCount) < ReservoirSize)
        {
            Interlocked.Increment(ref _latencyCount);
        }
    }

    public ApiMetricsSnapshot Snapshot()
    {
        var now = timeProvider.GetTimestamp() / _ticksPerSecond + _epochOffset;
        long requests = 0;
        long errors = 0;
        for (var i = 0; i < WindowSeconds; i++)
        {
            // Only complete seconds inside the window; the current second is still filling.
            var stamp = Volatile.Read(ref _secondStamp[i]);
            if (stamp < now && stamp >= now - WindowSeconds)
            {
                requests += Volatile.Read(ref _requests[i]);
                errors += Volatile.Read(ref _errors[i]);
            }
        }

        var latencies = _latencies.AsSpan(0, Math.Min(Volatile.Read(ref _latencyCount), ReservoirSize)).ToArray();

        Array.Sort(latencies);
        return new ApiMetricsSnapshot(
            Math.Round(requests / (double)WindowSeconds, 3),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            Percentile(latencies, 0.99),
            requests == 0 ? 0 : Math.Round(errors / (double)requests, 4),
            Connections);
    }

    private static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return Math.Round(sorted[Math.Clamp(index, 0, sorted.Length - 1)], 3);
    }
}

/// <summary>The <c>api_metrics</c> section.</summary>
internal sealed record ApiMetricsSnapshot(double RequestsPerSecond, double P50Ms, double P95Ms, double P99Ms, double ErrorRate, int Connections);

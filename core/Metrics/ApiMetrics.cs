namespace CameraService.Core.Metrics;

/// <summary>
/// Records API calls for <c>get_metrics.api_metrics</c>: a per-second ring of counts over the last 60 s and a
/// reservoir of the last 4096 latencies for the percentiles. The lock is held for a few instructions, never
/// across an await.
/// </summary>
internal sealed class ApiMetrics(TimeProvider timeProvider, ServiceMetrics? instruments = null)
{
    private const int WindowSeconds = 60;
    private const int ReservoirSize = 4096;

    private readonly Lock _gate = new();
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

    /// <summary>Counts a notification queued to a session or dropped because its queue was full.</summary>
    public void RecordNotification(string method, bool delivered) =>
        (delivered ? instruments?.NotificationsSent : instruments?.NotificationsDropped)?.Add(1, new KeyValuePair<string, object?>("method", method));

    public void Record(TimeSpan elapsed, bool error)
    {
        var second = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var slot = (int)(second % WindowSeconds);
        lock (_gate)
        {
            if (_secondStamp[slot] != second)
            {
                _secondStamp[slot] = second;
                _requests[slot] = 0;
                _errors[slot] = 0;
            }

            _requests[slot]++;
            if (error)
            {
                _errors[slot]++;
            }

            _latencies[_latencyNext] = elapsed.TotalMilliseconds;
            _latencyNext = (_latencyNext + 1) % ReservoirSize;
            _latencyCount = Math.Min(_latencyCount + 1, ReservoirSize);
        }
    }

    public ApiMetricsSnapshot Snapshot()
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        long requests = 0;
        long errors = 0;
        double[] latencies;
        lock (_gate)
        {
            for (var i = 0; i < WindowSeconds; i++)
            {
                // Only complete seconds inside the window; the current second is still filling.
                if (_secondStamp[i] < now && _secondStamp[i] >= now - WindowSeconds)
                {
                    requests += _requests[i];
                    errors += _errors[i];
                }
            }

            latencies = _latencies.AsSpan(0, _latencyCount).ToArray();
        }

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

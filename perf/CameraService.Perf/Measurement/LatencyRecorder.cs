using System.Collections.Concurrent;
using System.Diagnostics;
using CameraService.Perf.Client;
using CameraService.Perf.Results;
using HdrHistogram;

namespace CameraService.Perf.Measurement;

/// <summary>
/// Latency and outcome counts per method, in an HdrHistogram (microseconds, 3 significant digits, up to 5 minutes).
/// Each method's histogram is guarded by its own lock: contention is low (a lock per method, held for one record).
/// </summary>
internal sealed class LatencyRecorder
{
    private const long HighestMicros = 300_000_000;
    private readonly ConcurrentDictionary<string, MethodStats> _methods = new(StringComparer.Ordinal);
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _ended;

    /// <summary>Records one call: latency from <paramref name="startTimestamp"/> (the intended send time in open loop).</summary>
    public void Record(string method, long startTimestamp, in RpcOutcome outcome)
    {
        var end = outcome.ReceivedTimestamp;
        var micros = (long)Stopwatch.GetElapsedTime(startTimestamp, end).TotalMicroseconds;
        Record(method, micros, outcome.Label, outcome.IsOk);
    }

    /// <summary>Records a measurement that is not a JSON-RPC call (a connect, a notification, a download).</summary>
    public void Record(string method, long micros, string label, bool ok)
    {
        var stats = _methods.GetOrAdd(method, static name => new MethodStats(name));
        stats.Add(Math.Clamp(micros, 0, HighestMicros), label, ok);
    }

    /// <summary>Marks the end of the measured interval (for the rate).</summary>
    public void Stop() => Interlocked.CompareExchange(ref _ended, Stopwatch.GetTimestamp(), 0);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started, Interlocked.Read(ref _ended) is var e && e != 0 ? e : Stopwatch.GetTimestamp());

    public long TotalCount => _methods.Values.Sum(m => m.Count);

    public long ErrorCount => _methods.Values.Sum(m => m.Errors);

    /// <summary>Copies the statistics out (percentiles in milliseconds).</summary>
    public IReadOnlyList<MethodResult> Snapshot()
        => [.. _methods.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => m.ToResult())];

    /// <summary>The merged histogram of all methods, for a single p95 figure.</summary>
    public (double P50, double P95, double P99, double Max) Overall(bool excludePseudo = false)
    {
        var merged = new LongHistogram(HighestMicros, 3);
        foreach (var stats in _methods.Values)
        {
            if (excludePseudo && stats.Name.StartsWith('('))
            {
                continue;
            }

            stats.AddTo(merged);
        }

        return merged.TotalCount == 0
            ? (0, 0, 0, 0)
            : (Ms(merged.GetValueAtPercentile(50)), Ms(merged.GetValueAtPercentile(95)), Ms(merged.GetValueAtPercentile(99)), Ms(merged.GetMaxValue()));
    }

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);

    private sealed class MethodStats(string name)
    {
        private readonly LongHistogram _histogram = new(HighestMicros, 3);
        private readonly Dictionary<string, long> _labels = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();
        private long _count;
        private long _errors;

        public string Name { get; } = name;

        public long Count => Interlocked.Read(ref _count);

        public long Errors => Interlocked.Read(ref _errors);

        public void Add(long micros, string label, bool ok)
        {
            lock (_gate)
            {
                _histogram.RecordValue(micros);
                _count++;
                if (!ok)
                {
                    _errors++;
                    _labels[label] = _labels.GetValueOrDefault(label) + 1;
                }
            }
        }

        public void AddTo(LongHistogram target)
        {
            lock (_gate)
            {
                target.Add(_histogram);
            }
        }

        public MethodResult ToResult()
        {
            lock (_gate)
            {
                var empty = _histogram.TotalCount == 0;
                return new MethodResult(
                    Name,
                    _count,
                    _count - _errors,
                    _errors,
                    empty ? 0 : Ms(_histogram.GetValueAtPercentile(50)),
                    empty ? 0 : Ms(_histogram.GetValueAtPercentile(95)),
                    empty ? 0 : Ms(_histogram.GetValueAtPercentile(99)),
                    empty ? 0 : Ms(_histogram.GetMaxValue()),
                    empty ? 0 : Math.Round(_histogram.GetMean() / 1000.0, 3),
                    new Dictionary<string, long>(_labels, StringComparer.Ordinal));
            }
        }
    }
}

/// <summary>Where workloads record (a phase's measurements, or a fan-out to several).</summary>
internal interface IRecordSink
{
    void Record(string method, long startTimestamp, in RpcOutcome outcome);

    void Record(string method, long micros, string label, bool ok);
}

/// <summary>The recorder of one phase.</summary>
internal sealed class Measurements : IRecordSink
{
    public LatencyRecorder Total { get; } = new();

    public void Record(string method, long startTimestamp, in RpcOutcome outcome) => Total.Record(method, startTimestamp, outcome);

    public void Record(string method, long micros, string label, bool ok) => Total.Record(method, micros, label, ok);
}

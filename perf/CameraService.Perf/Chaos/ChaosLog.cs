using System.Collections.Concurrent;
using System.Diagnostics;

namespace CameraService.Perf.Chaos;

/// <summary>One invariant violation: which check, what was seen, when (seconds since the run started).</summary>
internal sealed record ChaosViolation(string Invariant, double AtSeconds, string Detail);

/// <summary>One injected fault and what followed it (seconds since the run started).</summary>
internal sealed class FaultRecord
{
    public required string Kind { get; init; }

    public required double InjectedAt { get; init; }

    public string Detail { get; set; } = string.Empty;

    public double? HealedAt { get; set; }

    public double? RecoveredAt { get; set; }

    /// <summary>From the heal (the end of the fault) to the recovery probe passing; null when it never recovered.</summary>
    public double? RecoverySeconds => RecoveredAt is { } r && HealedAt is { } h ? Math.Max(0, r - h) : null;

    /// <summary>Whether health/the API showed the fault while it lasted (null = this kind is not expected to show).</summary>
    public bool? HealthReported { get; set; }

    /// <summary>The writer interruption this fault caused, if any (its outage is set when the fault recovered).</summary>
    public WriterInterruption? Interruption { get; set; }

    /// <summary>Why the fault could not be injected this time (then it is not counted as injected).</summary>
    public string? NotInjected { get; set; }
}

/// <summary>
/// Everything a chaos run observes, thread-safe: requests by method and outcome (and per second, for the timeline),
/// the faults, the named invariants with their check and violation counts, and the violations themselves.
/// </summary>
internal sealed class ChaosLog
{
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly ConcurrentDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _methods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _invariants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, long> _perSecond = new();
    private readonly ConcurrentQueue<ChaosViolation> _violations = new();
    private readonly ConcurrentQueue<string> _events = new();
    private readonly Lock _faultGate = new();
    private readonly List<FaultRecord> _faults = [];
    private long _requests;

    /// <summary>Seconds since the run started (monotonic).</summary>
    public double Now => Stopwatch.GetElapsedTime(_origin).TotalSeconds;

    public long Requests => Interlocked.Read(ref _requests);

    public IReadOnlyDictionary<string, long> Outcomes => _outcomes;

    public IReadOnlyDictionary<string, long> Methods => _methods;

    public IReadOnlyList<ChaosViolation> Violations => [.. _violations];

    public IReadOnlyList<string> Events => [.. _events];

    /// <summary>Requests answered per second of the run (the timeline's load line).</summary>
    public IReadOnlyDictionary<int, long> PerSecond => _perSecond;

    public IReadOnlyList<FaultRecord> Faults
    {
        get
        {
            lock (_faultGate)
            {
                return [.. _faults];
            }
        }
    }

    /// <summary>The invariants by name: (checks, violations).</summary>
    public IReadOnlyDictionary<string, (long Checks, long Violations)> Invariants
        => _invariants.ToDictionary(p => p.Key, p => (p.Value.Checks, p.Value.Violations), StringComparer.Ordinal);

    /// <summary>Counts one answered (or failed) request.</summary>
    public void Request(string method, string outcome)
    {
        Interlocked.Increment(ref _requests);
        _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        _methods.AddOrUpdate(method, 1, (_, n) => n + 1);
        _perSecond.AddOrUpdate((int)Now, 1, (_, n) => n + 1);
    }

    /// <summary>Registers an invariant so it is reported even with zero checks.</summary>
    public void Declare(string invariant) => _invariants.GetOrAdd(invariant, _ => new Counter());

    /// <summary>One check of <paramref name="invariant"/>; a false <paramref name="holds"/> records the violation.</summary>
    public bool Check(string invariant, bool holds, Func<string> detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        var counter = _invariants.GetOrAdd(invariant, _ => new Counter());
        Interlocked.Increment(ref counter.Checks);
        if (!holds)
        {
            Interlocked.Increment(ref counter.Violations);
            var violation = new ChaosViolation(invariant, Math.Round(Now, 2), detail());
            _violations.Enqueue(violation);
            Note($"VIOLATION {invariant}: {violation.Detail}");
        }

        return holds;
    }

    public FaultRecord AddFault(string kind)
    {
        var record = new FaultRecord { Kind = kind, InjectedAt = Math.Round(Now, 2) };
        lock (_faultGate)
        {
            _faults.Add(record);
        }

        return record;
    }

    /// <summary>A line for the run's event log (kept in the JSON; violations and faults are also printed).</summary>
    public void Note(string line) => _events.Enqueue($"{Now,8:0.00}s {line}");

    private sealed class Counter
    {
        public long Checks;
        public long Violations;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace CameraService.Core.Metrics;

/// <summary>
/// Exports <see cref="System.Diagnostics.Metrics"/> instruments of the service (meters named <c>CameraService*</c>)
/// and of the runtime (<c>System.Runtime</c>) in the Prometheus text format.
/// </summary>
/// <remarks>
/// Written by hand on purpose: prometheus-net 8.2.1's MeterAdapter exported none of our instruments when tried on
/// this platform (only its own gauge), and OpenTelemetry's Prometheus exporter is a beta package that only serves
/// through ASP.NET Core middleware, while our HTTP endpoints are transport-neutral. A MeterListener aggregating
/// counters, up-down counters, gauges and histograms (with fixed buckets from 0.1 ms to 10 s) is small and exact.
/// Names are the instrument names with dots as underscores; counters get <c>_total</c>, histograms
/// <c>_bucket</c>/<c>_sum</c>/<c>_count</c>; the unit <c>s</c> becomes a <c>_seconds</c> suffix.
/// </remarks>
internal sealed class PrometheusExporter : IDisposable
{
    /// <summary>Histogram buckets in the instrument's unit (seconds for durations): fine enough for p50/p95/p99 from 0.1 ms to 10 s.</summary>
    internal static readonly double[] Buckets =
    [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 2.5, 5, 10,
    ];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _states = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("CameraService", StringComparison.Ordinal) || instrument.Meter.Name == "System.Runtime")
            {
                _states[instrument] = new InstrumentState(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _states.TryRemove(instrument, out InstrumentState? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Collects observable instruments and renders every metric.</summary>
    public string Render()
    {
        lock (_listener)
        {
            foreach (var state in _states.Values.Where(s => s.IsObservable))
            {
                state.ResetGauge();
            }

            _listener.RecordObservableInstruments();
        }

        var sb = new StringBuilder(8192);
        foreach (var state in _states.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            state.Write(sb);
        }

        return sb.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_states.TryGetValue(instrument, out var state))
        {
            state.Record(value, tags);
        }
    }

    private sealed class InstrumentState
    {
        private readonly Instrument _instrument;
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<TagKey, Series> _byTags = new();
        private readonly Kind _kind;

        public InstrumentState(Instrument instrument)
        {
            _instrument = instrument;
            var type = instrument.GetType();
            var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            _kind = generic.Name switch
            {
                "Counter`1" or "ObservableCounter`1" => Kind.Counter,
                "Histogram`1" => Kind.Histogram,
                "UpDownCounter`1" => Kind.UpDown,
                _ => Kind.Gauge,
            };
            IsObservable = instrument.IsObservable;
            var baseName = Sanitize(instrument.Name);
            if (instrument.Unit is "s" && !baseName.EndsWith("_seconds", StringComparison.Ordinal))
            {
                baseName += "_seconds";
            }
            else if (instrument.Unit is "By" or "bytes" && !baseName.EndsWith("_bytes", StringComparison.Ordinal))
            {
                baseName += "_bytes";
            }

            Name = _kind == Kind.Counter && !baseName.EndsWith("_total", StringComparison.Ordinal) ? baseName + "_total" : baseName;
        }

        private enum Kind
        {
            Counter,
            UpDown,
            Gauge,
            Histogram,
        }

        public string Name { get; }

        public bool IsObservable { get; }

        public void ResetGauge()
        {
            if (_kind is Kind.Gauge or Kind.UpDown && IsObservable)
            {
                _series.Clear();
                _byTags.Clear();
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // The hot path (every API call, every notification delivered) finds its series by the tags themselves, so
            // neither a label string nor a lock is paid per measurement; the label text is built once per tag set.
            Series series;
            if (tags.Length <= TagKey.MaxTags)
            {
                var key = new TagKey(tags);
                if (!_byTags.TryGetValue(key, out series!))
                {
                    series = _series.GetOrAdd(Labels(tags), static l => new Series(l));
                    _byTags.TryAdd(key.Own(), series);
                }
            }
            else
            {
                series = _series.GetOrAdd(Labels(tags), static l => new Series(l));
            }

            switch (_kind)
            {
                case Kind.Counter when IsObservable:
                case Kind.Gauge:
                    Interlocked.Exchange(ref series.Value, value);
                    break;
                case Kind.Counter:
                case Kind.UpDown:
                    Add(ref series.Value, value);
                    break;
                case Kind.Histogram:
                    var buckets = series.Buckets;
                    var index = Array.BinarySearch(Buckets, value);
                    if (index < 0)
                    {
                        index = ~index;
                    }

                    if (index < Buckets.Length)
                    {
                        Interlocked.Increment(ref buckets[index]);
                    }

                    Add(ref series.Value, value);
                    Interlocked.Increment(ref series.Count);
                    break;
            }
        }

        private static void Add(ref double target, double value)
        {
            var current = Volatile.Read(ref target);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref target, current + value, current);
                if (seen.Equals(current))
                {
                    return;
                }

                current = seen;
            }
        }

        public void Write(StringBuilder sb)
        {
            // A family without samples yet (a counter nobody incremented, a labelled counter before its first label set)
            // is still announced with HELP and TYPE, so dashboards and rules can be checked against a fresh service.
            var type = _kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" };
            sb.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(_instrument.Description ?? _instrument.Name)).Append('\n');
            sb.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            foreach (var series in _series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
            {
                // Recorded without a lock: a scrape during a measurement may see the count before the sum (Prometheus
                // tolerates that; the next scrape is consistent again).
                if (_kind != Kind.Histogram)
                {
                    sb.Append(Name).Append(Braces(series.Labels)).Append(' ').Append(Format(Volatile.Read(ref series.Value))).Append('\n');
                    continue;
                }

                long cumulative = 0;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    cumulative += Volatile.Read(ref series.Buckets[i]);
                    sb.Append(Name).Append("_bucket").Append(Braces(Join(series.Labels, $"le=\"{Format(Buckets[i])}\""))).Append(' ').Append(cumulative).Append('\n');
                }

                sb.Append(Name).Append("_bucket").Append(Braces(Join(series.Labels, "le=\"+Inf\""))).Append(' ').Append(Volatile.Read(ref series.Count)).Append('\n');
                sb.Append(Name).Append("_sum").Append(Braces(series.Labels)).Append(' ').Append(Format(Volatile.Read(ref series.Value))).Append('\n');
                sb.Append(Name).Append("_count").Append(Braces(series.Labels)).Append(' ').Append(Volatile.Read(ref series.Count)).Append('\n');
            }
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return string.Empty;
            }

            var parts = new List<string>(tags.Length);
            foreach (var (key, value) in tags)
            {
                parts.Add($"{Sanitize(key)}=\"{Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty)}\"");
            }

            parts.Sort(StringComparer.Ordinal);
            return string.Join(',', parts);
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static string Braces(string labels) => labels.Length == 0 ? string.Empty : "{" + labels + "}";
    }

    // Fields, not properties: recorded with Interlocked.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1051", Justification = "updated with Interlocked")]
    private sealed class Series(string labels)
    {
        public readonly long[] Buckets = new long[PrometheusExporter.Buckets.Length];
        public double Value;
        public long Count;

        public string Labels { get; } = labels;
    }

    /// <summary>
    /// Up to <see cref="MaxTags"/> tags of one measurement as a dictionary key (keys compared ordinally, values with
    /// <see cref="object.Equals(object?, object?)"/>), so a known tag set is found without building its label text.
    /// </summary>
    private readonly struct TagKey : IEquatable<TagKey>
    {
        public const int MaxTags = 3;

        private readonly int _count;
        private readonly KeyValuePair<string, object?> _t0;
        private readonly KeyValuePair<string, object?> _t1;
        private readonly KeyValuePair<string, object?> _t2;

        public TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            _count = tags.Length;
            _t0 = tags.Length > 0 ? tags[0] : default;
            _t1 = tags.Length > 1 ? tags[1] : default;
            _t2 = tags.Length > 2 ? tags[2] : default;
        }

        private TagKey(int count, KeyValuePair<string, object?> t0, KeyValuePair<string, object?> t1, KeyValuePair<string, object?> t2)
        {
            _count = count;
            _t0 = t0;
            _t1 = t1;
            _t2 = t2;
        }

        /// <summary>A copy safe to keep as a key: mutable values (anything but strings and primitives) become their text.</summary>
        public TagKey Own() => new(_count, Frozen(_t0), Frozen(_t1), Frozen(_t2));

        public bool Equals(TagKey other) =>
            _count == other._count && Same(_t0, other._t0) && Same(_t1, other._t1) && Same(_t2, other._t2);

        public override bool Equals(object? obj) => obj is TagKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_count, Hash(_t0), Hash(_t1), Hash(_t2));

        private static bool Same(KeyValuePair<string, object?> a, KeyValuePair<string, object?> b) =>
            string.Equals(a.Key, b.Key, StringComparison.Ordinal) && Equals(a.Value, b.Value);

        private static int Hash(KeyValuePair<string, object?> t) =>
            HashCode.Combine(t.Key is null ? 0 : StringComparer.Ordinal.GetHashCode(t.Key), t.Value?.GetHashCode() ?? 0);

        private static KeyValuePair<string, object?> Frozen(KeyValuePair<string, object?> t) =>
            t.Value is null or string or ValueType ? t : new(t.Key, Convert.ToString(t.Value, CultureInfo.InvariantCulture));
    }

    internal static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return sb.ToString();
    }

    // HELP text escapes only backslash and line feed (a quote stays as is); label values escape quotes too.
    private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);
}

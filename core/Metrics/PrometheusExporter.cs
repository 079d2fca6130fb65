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
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            var series = _series.GetOrAdd(labels, static l => new Series(l));
            lock (series)
            {
                switch (_kind)
                {
                    case Kind.Counter when IsObservable:
                    case Kind.Gauge:
                        series.Value = value;
                        break;
                    case Kind.Counter:
                    case Kind.UpDown:
                        series.Value += value;
                        break;
                    case Kind.Histogram:
                        series.Value += value;
                        series.Count++;
                        series.Buckets ??= new long[Buckets.Length];
                        var index = Array.BinarySearch(Buckets, value);
                        if (index < 0)
                        {
                            index = ~index;
                        }

                        if (index < Buckets.Length)
                        {
                            series.Buckets[index]++;
                        }

                        break;
                }
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
                lock (series)
                {
                    if (_kind != Kind.Histogram)
                    {
                        sb.Append(Name).Append(Braces(series.Labels)).Append(' ').Append(Format(series.Value)).Append('\n');
                        continue;
                    }

                    long cumulative = 0;
                    for (var i = 0; i < Buckets.Length; i++)
                    {
                        cumulative += series.Buckets?[i] ?? 0;
                        sb.Append(Name).Append("_bucket").Append(Braces(Join(series.Labels, $"le=\"{Format(Buckets[i])}\""))).Append(' ').Append(cumulative).Append('\n');
                    }

                    sb.Append(Name).Append("_bucket").Append(Braces(Join(series.Labels, "le=\"+Inf\""))).Append(' ').Append(series.Count).Append('\n');
                    sb.Append(Name).Append("_sum").Append(Braces(series.Labels)).Append(' ').Append(Format(series.Value)).Append('\n');
                    sb.Append(Name).Append("_count").Append(Braces(series.Labels)).Append(' ').Append(series.Count).Append('\n');
                }
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

    private sealed class Series(string labels)
    {
        public string Labels { get; } = labels;

        public double Value { get; set; }

        public long Count { get; set; }

        public long[]? Buckets { get; set; }
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

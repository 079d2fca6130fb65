using System.Diagnostics.Metrics;
using CameraService.Core.Metrics;

namespace CameraService.Observability.Tests;

public sealed class PrometheusExporterTests : IDisposable
{
    // A meter of its own per test (the exporter takes every CameraService* meter of the process).
    private readonly string _prefix = "camera_service.t" + Guid.NewGuid().ToString("N")[..8];
    private readonly Meter _meter;
    private readonly PrometheusExporter _exporter = new();

    public PrometheusExporterTests()
    {
        _meter = new Meter("CameraService.Tests." + _prefix);
    }

    private string P => _prefix.Replace('.', '_');

    public void Dispose()
    {
        _exporter.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Render_Counter_HasTotalSuffixTypeAndValuesPerLabelSet()
    {
        var counter = _meter.CreateCounter<long>(_prefix + ".hits", description: "Hits");
        counter.Add(2, new KeyValuePair<string, object?>("method", "ping"));
        counter.Add(3, new KeyValuePair<string, object?>("method", "ping"));
        counter.Add(1, new KeyValuePair<string, object?>("method", "get_camera_list"));

        var text = _exporter.Render();

        Assert.Contains($"# HELP {P}_hits_total Hits\n# TYPE {P}_hits_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"{P}_hits_total{{method=\"ping\"}} 5\n", text, StringComparison.Ordinal);
        Assert.Contains($"{P}_hits_total{{method=\"get_camera_list\"}} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CounterWithoutSamples_AnnouncesTheFamilyOnly()
    {
        _meter.CreateCounter<long>(_prefix + ".never", description: "Never incremented");

        var text = _exporter.Render();

        Assert.Contains($"# TYPE {P}_never_total counter\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"\n{P}_never_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Histogram_BucketsAreCumulativeWithInfSumAndCount()
    {
        var histogram = _meter.CreateHistogram<double>(_prefix + ".latency", "s", "Latency");
        foreach (var v in new[] { 0.00005, 0.0001, 0.003, 0.003, 0.2, 42.0 })
        {
            histogram.Record(v, new KeyValuePair<string, object?>("method", "ping"));
        }

        var metrics = MetricsText.Parse(_exporter.Render());
        var buckets = metrics.Of($"{P}_latency_seconds_bucket").ToList();

        Assert.Equal("histogram", metrics.Types[$"{P}_latency_seconds"]);
        Assert.Equal(PrometheusExporter.Buckets.Length + 1, buckets.Count);
        Assert.Equal(2, metrics.Value($"{P}_latency_seconds_bucket", ("method", "ping"), ("le", "0.0001"))); // le is inclusive
        Assert.Equal(2, metrics.Value($"{P}_latency_seconds_bucket", ("method", "ping"), ("le", "0.0025")));
        Assert.Equal(4, metrics.Value($"{P}_latency_seconds_bucket", ("method", "ping"), ("le", "0.005")));
        Assert.Equal(5, metrics.Value($"{P}_latency_seconds_bucket", ("method", "ping"), ("le", "0.25")));
        Assert.Equal(5, metrics.Value($"{P}_latency_seconds_bucket", ("method", "ping"), ("le", "10")));
        Assert.Equal(6, metrics.Value($"{P}_latency_seconds_bucket", ("method", "ping"), ("le", "+Inf")));
        Assert.Equal(6, metrics.Value($"{P}_latency_seconds_count", ("method", "ping")));
        Assert.Equal(42.20615, metrics.Value($"{P}_latency_seconds_sum", ("method", "ping"))!.Value, 6);
        Assert.Equal(buckets.Select(b => b.Value).Order().ToList(), buckets.Select(b => b.Value).ToList());
    }

    [Fact]
    public void Record_SameTagsInAnyOrder_OneSeries_ConcurrentAddsAllCounted_ManyTagsToo()
    {
        // Issue 26: series are found by their tags without a label string or a lock; the sums must stay exact.
        var counter = _meter.CreateCounter<long>(_prefix + ".calls", description: "Calls");
        var histogram = _meter.CreateHistogram<double>(_prefix + ".took", "s", "Took");
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1, Tag("method", "ping"), Tag("code", "0"));
                counter.Add(1, Tag("code", "0"), Tag("method", "ping"));
                counter.Add(1, Tag("method", "get_camera_list"), Tag("code", "0"));
                histogram.Record(0.5, Tag("method", "ping"));
            }
        });
        counter.Add(7, Tag("a", "1"), Tag("b", "2"), Tag("c", "3"), Tag("d", "4"));
        counter.Add(1, Tag("d", "4"), Tag("c", "3"), Tag("b", "2"), Tag("a", "1"));

        var metrics = MetricsText.Parse(_exporter.Render());

        Assert.Equal(80_000, metrics.Value($"{P}_calls_total", ("code", "0"), ("method", "ping")));
        Assert.Equal(40_000, metrics.Value($"{P}_calls_total", ("code", "0"), ("method", "get_camera_list")));
        Assert.Equal(8, metrics.Value($"{P}_calls_total", ("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")));
        Assert.Equal(3, metrics.Of($"{P}_calls_total").Count());
        Assert.Equal(40_000, metrics.Value($"{P}_took_seconds_count", ("method", "ping")));
        Assert.Equal(20_000, metrics.Value($"{P}_took_seconds_sum", ("method", "ping")));
        Assert.Equal(40_000, metrics.Value($"{P}_took_seconds_bucket", ("method", "ping"), ("le", "0.5")));
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    [Fact]
    public void Render_LabelValues_AreEscaped()
    {
        var counter = _meter.CreateCounter<long>(_prefix + ".escaped");
        counter.Add(1, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"), new KeyValuePair<string, object?>("bad-key", "x"));

        var text = _exporter.Render();
        var sample = MetricsText.Parse(text).Of($"{P}_escaped_total").Single();

        Assert.Contains($"{P}_escaped_total{{bad_key=\"x\",path=\"a\\\"b\\\\c\\nd\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Equal("a\"b\\c\nd", sample.Labels["path"]);
    }

    [Fact]
    public void Render_ObservableGauge_ReadsCurrentValuesAtScrapeTime()
    {
        var value = 3.0;
        _meter.CreateObservableGauge(_prefix + ".level", () => new Measurement<double>(value, new KeyValuePair<string, object?>("level", "warn")), "By");

        var first = MetricsText.Parse(_exporter.Render());
        value = 7.5;
        var second = MetricsText.Parse(_exporter.Render());

        Assert.Equal("gauge", first.Types[$"{P}_level_bytes"]);
        Assert.Equal(3, first.Value($"{P}_level_bytes", ("level", "warn")));
        Assert.Equal(7.5, second.Value($"{P}_level_bytes", ("level", "warn")));
    }

    [Fact]
    public void Render_OtherMeters_AreNotExported()
    {
        using var foreign = new Meter("Other.Library." + _prefix);
        foreign.CreateCounter<long>(_prefix + ".foreign").Add(1);

        Assert.DoesNotContain($"{P}_foreign", _exporter.Render(), StringComparison.Ordinal);
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CameraService.Observability.Tests;

/// <summary>Starts one service, runs a scripted workload over two WebSocket sessions and scrapes <c>/metrics</c>.</summary>
public sealed class WorkloadFixture : IAsyncLifetime
{
    public const int Pings = 7;
    public const int CameraLists = 5;
    public const int MissingCameras = 2;

    private ServiceUnderTest? _service;

    internal ServiceUnderTest Service => _service!;

    /// <summary>What the sessions received: method called (as labelled in /metrics) → code → count.</summary>
    internal Dictionary<(string Method, string Code), int> Sent { get; } = [];

    internal MetricsText Scrape { get; private set; } = null!;

    internal string RawScrape { get; private set; } = string.Empty;

    internal int OpenSessions { get; private set; }

    public async Task InitializeAsync()
    {
        _service = ServiceUnderTest.Create();
        var token = await _service.CreateTokenAsync("admin");
        await _service.StartAsync();

        await using var admin = await _service.ConnectAsync(token);
        await using var anonymous = await _service.ConnectAsync();
        for (var i = 0; i < Pings; i++)
        {
            await admin.ResultAsync("ping");
        }

        JsonElement list = default;
        for (var i = 0; i < CameraLists; i++)
        {
            list = await admin.ResultAsync("get_camera_list");
        }

        for (var i = 0; i < MissingCameras; i++)
        {
            await admin.CallAsync("get_camera_status", new { device = "camera99" });
        }

        await admin.CallAsync("no_such_method");
        await admin.CallAsync("get_camera_status", new { });
        var camera = list.GetProperty("cameras").EnumerateArray().First().GetProperty("device").GetString();
        await admin.CallAsync("take_snapshot", new { device = camera });
        await admin.ResultAsync("start_recording", new { device = camera });
        await admin.ResultAsync("stop_recording", new { device = camera });
        await anonymous.ResultAsync("ping");
        await anonymous.CallAsync("get_camera_list");

        foreach (var (method, code) in admin.Answers.Concat(anonymous.Answers))
        {
            var key = (method == "no_such_method" ? "(unknown)" : method, code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Sent[key] = Sent.GetValueOrDefault(key) + 1;
        }

        OpenSessions = 2;
        RawScrape = await _service.ScrapeAsync();
        Scrape = MetricsText.Parse(RawScrape);
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.StopAsync();
            await _service.DisposeAsync();
        }
    }
}

public sealed partial class WorkloadMetricsTests(WorkloadFixture fixture) : IClassFixture<WorkloadFixture>
{
    [Fact]
    public void Requests_AfterWorkload_MatchWhatWasSentPerMethodAndCode()
    {
        var exported = fixture.Scrape.Of("camera_service_rpc_requests_total")
            .ToDictionary(s => (s.Labels["method"], s.Labels["code"]), s => (int)s.Value);

        Assert.Equal(WorkloadFixture.Pings + 1, exported[("ping", "0")]);
        Assert.Equal(WorkloadFixture.CameraLists, exported[("get_camera_list", "0")]);
        Assert.Equal(WorkloadFixture.MissingCameras, exported[("get_camera_status", "-32010")]);
        Assert.Equal(1, exported[("(unknown)", "-32601")]);
        Assert.Equal(1, exported[("get_camera_status", "-32602")]);
        Assert.Equal(fixture.Sent.OrderBy(k => k.Key).ToList(), exported.OrderBy(k => k.Key).ToList());
    }

    [Fact]
    public void Errors_AfterWorkload_CountOnlyTheFailedCallsByCode()
    {
        var exported = fixture.Scrape.Of("camera_service_rpc_errors_total")
            .ToDictionary(s => (s.Labels["method"], s.Labels["code"]), s => (int)s.Value);
        var expected = fixture.Sent.Where(k => k.Key.Code != "0").OrderBy(k => k.Key).ToList();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, exported.OrderBy(k => k.Key).ToList());
    }

    [Fact]
    public void Duration_AfterWorkload_HistogramCountsMatchAndBucketsAreCumulative()
    {
        var byOutcome = fixture.Sent
            .GroupBy(k => (k.Key.Method, Outcome: k.Key.Code == "0" ? "success" : "error"))
            .ToDictionary(g => g.Key, g => g.Sum(k => k.Value));
        var counts = fixture.Scrape.Of("camera_service_rpc_request_duration_seconds_count")
            .ToDictionary(s => (s.Labels["method"], s.Labels["outcome"]), s => (int)s.Value);

        Assert.Equal(byOutcome.OrderBy(k => k.Key).ToList(), counts.OrderBy(k => k.Key).ToList());
        foreach (var ((method, outcome), count) in byOutcome)
        {
            var buckets = fixture.Scrape.Of("camera_service_rpc_request_duration_seconds_bucket")
                .Where(s => s.Labels["method"] == method && s.Labels["outcome"] == outcome)
                .ToList();
            Assert.Equal("+Inf", buckets[^1].Labels["le"]);
            Assert.Equal(count, buckets[^1].Value);
            Assert.Equal(buckets.Select(b => b.Value).Order().ToList(), buckets.Select(b => b.Value).ToList());
            Assert.Equal("0.0001", buckets[0].Labels["le"]);
            Assert.Contains(buckets, b => b.Labels["le"] == "10");
        }
    }

    [Fact]
    public void Sessions_AfterWorkload_OpenedAndActiveMatch()
    {
        Assert.Equal(fixture.OpenSessions, fixture.Scrape.Value("camera_service_api_sessions_opened_total"));
        Assert.Equal(fixture.OpenSessions, fixture.Scrape.Value("camera_service_api_sessions_active"));
    }

    [Fact]
    public void Snapshot_AfterWorkload_DurationRecordedOnce()
    {
        var count = fixture.Scrape.Of("camera_service_snapshot_duration_seconds_count").Sum(s => s.Value);

        Assert.Equal(1, count);
    }

    [Fact]
    public void Recordings_AfterStartAndStop_StartedAndEndedCounted()
    {
        Assert.Equal(1, fixture.Scrape.Value("camera_service_recordings_started_total"));
        Assert.Equal(1, fixture.Scrape.Value("camera_service_recordings_ended_total", ("status", "STOPPED")));
        Assert.Equal(0, fixture.Scrape.Value("camera_service_recordings_active"));
    }

    [Theory]
    [InlineData("dotnet_process_cpu_time_seconds_total")]
    [InlineData("dotnet_process_memory_working_set_bytes")]
    [InlineData("dotnet_gc_collections_total")]
    [InlineData("dotnet_thread_pool_thread_count_total")]
    [InlineData("camera_service_cameras")]
    [InlineData("camera_service_storage_free_bytes")]
    [InlineData("camera_service_component_healthy")]
    [InlineData("camera_service_mediamtx_circuit_state")]
    public void Scrape_RuntimeAndComponentGauges_ArePresent(string name)
    {
        Assert.True(fixture.Scrape.Types.ContainsKey(name) || fixture.Scrape.Types.ContainsKey(name + "_total"), $"{name} is not in /metrics:\n{fixture.RawScrape}");
    }

    [Fact]
    public void AlertRules_EveryReferencedMetric_ExistsInTheScrape()
    {
        var path = Path.Combine(CameraService.Tests.Support.RepositoryPaths.Root, "deploy", "monitoring", "camera-service-alerts.yml");
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode).Children[new YamlScalarNode("groups")];
        var expressions = groups.Cast<YamlMappingNode>()
            .SelectMany(g => (YamlSequenceNode)g.Children[new YamlScalarNode("rules")])
            .Cast<YamlMappingNode>()
            .Select(r => ((YamlScalarNode)r.Children[new YamlScalarNode("expr")]).Value!)
            .ToList();

        Assert.True(expressions.Count >= 10, "the rules file should hold the alert rules");
        AssertAllPresent(expressions, "camera-service-alerts.yml");
    }

    [Fact]
    public void Dashboard_EveryReferencedMetric_ExistsInTheScrape()
    {
        var path = Path.Combine(CameraService.Tests.Support.RepositoryPaths.Root, "deploy", "monitoring", "grafana-dashboard.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var expressions = new List<string>();
        Collect(doc.RootElement, expressions);

        Assert.True(expressions.Count >= 10, "the dashboard should have panels with queries");
        AssertAllPresent(expressions, "grafana-dashboard.json");
    }

    private void AssertAllPresent(IEnumerable<string> expressions, string file)
    {
        var names = fixture.Scrape.Names.ToHashSet(StringComparer.Ordinal);
        var missing = expressions
            .SelectMany(e => MetricName().Matches(e).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .Where(n => !names.Contains(n) && !names.Contains(HistogramSuffix().Replace(n, string.Empty)))
            .ToList();

        Assert.True(missing.Count == 0, $"{file} references metrics the service does not export: {string.Join(", ", missing)}");
    }

    private static void Collect(JsonElement element, List<string> expressions)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        expressions.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        Collect(property.Value, expressions);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, expressions);
                }

                break;
        }
    }

    [GeneratedRegex(@"\b(?:camera_service|dotnet)_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(?:bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}

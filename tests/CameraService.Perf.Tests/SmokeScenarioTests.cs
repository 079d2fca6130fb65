using System.Text.Json;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Tests;

/// <summary>
/// The smoke variant of every scenario the echo server can answer, end to end (echo server + load clients in this
/// process, 127.0.0.1, free ports). Asserts only that each completes without errors and writes its results —
/// never a timing.
/// </summary>
public sealed class SmokeScenarioTests
{
    public static TheoryData<string> EchoScenarios => new()
    {
        "limit", "baseline", "throughput", "load", "connections", "stress", "endurance", "fanout", "control", "files",
        "motion", // standalone (ffmpeg + the detector); the echo target is not used
    };

    [Theory]
    [MemberData(nameof(EchoScenarios))]
    public async Task RunAsync_SmokeAgainstEcho_CompletesWithoutErrorsAndWritesResults(string name)
    {
        using var results = new TempDirectory();
        var scenario = PerfRunner.All.Single(s => s.Name == name);
        var options = new RunOptions
        {
            Target = TargetKind.Echo,
            EchoInProcess = true,
            Smoke = true,
            ResultsDirectory = results.Path,
            CommandLine = $"{name} --smoke --echo",
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var (result, path) = await PerfRunner.RunAsync(scenario, options, new ScenarioSettings(), TextWriter.Null, timeout.Token);

        Assert.True(result.Completed);
        Assert.Equal(0, result.TotalErrors);
        Assert.All(result.Phases, p => Assert.Equal(0, p.Errors));
        Assert.True(result.Phases.Sum(p => p.Requests) > 0, "the scenario sent no request");
        Assert.NotNull(path);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path!));
        Assert.Equal(name, json.RootElement.GetProperty("scenario").GetString());
        Assert.True(json.RootElement.GetProperty("smoke").GetBoolean());
        Assert.NotEmpty(json.RootElement.GetProperty("git_commit").GetString()!);
        var phase = json.RootElement.GetProperty("phases")[0];
        foreach (var field in new[] { "requests_per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms", "methods", "errors" })
        {
            Assert.True(phase.TryGetProperty(field, out _), $"results lack {field}");
        }

        Assert.True(File.Exists(Path.ChangeExtension(path, ".md")), "no markdown summary");
    }

    [Theory]
    [InlineData("discovery")]
    [InlineData("hotplug")]
    public async Task RunAsync_FakeV4l2ScenarioAgainstEcho_FailsWithNotAvailable(string name)
    {
        var scenario = PerfRunner.All.Single(s => s.Name == name);
        var options = new RunOptions { Target = TargetKind.Echo, EchoInProcess = true, Smoke = true, WriteResults = false };

        var error = await Assert.ThrowsAsync<PerfException>(() => PerfRunner.RunAsync(scenario, options, new ScenarioSettings(), TextWriter.Null, CancellationToken.None));

        Assert.Contains("not available", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FanoutWithRpcTriggerAgainstEcho_ReportsMissingNotifications()
    {
        // The echo server answers take_snapshot but never sends snapshot_taken: every delivery is missing, and the
        // scenario must say so as errors rather than report a latency.
        using var results = new TempDirectory();
        var options = new RunOptions { Target = TargetKind.Echo, EchoInProcess = true, Smoke = true, WriteResults = false };
        var settings = new ScenarioSettings { Trigger = "rpc", Events = 1, Sessions = 3 };

        var (result, _) = await PerfRunner.RunAsync(new FanoutScenario(), options, settings, TextWriter.Null, CancellationToken.None);

        Assert.Equal(3, result.Phases[0].Metrics["deliveries_missing"]);
        Assert.Equal(3, result.TotalErrors);
    }

    [Fact]
    public async Task RunAsync_FanoutWithWarmupEvents_MeasuresOnlyTheEventsAfterThem()
    {
        // Two warm-up events are fired and delivered first; only the three events after them are recorded, and the
        // notes give each measured event's first/median/last delivery.
        var options = new RunOptions { Target = TargetKind.Echo, EchoInProcess = true, Smoke = true, WriteResults = false };
        var settings = new ScenarioSettings { Events = 3, WarmupEvents = 2, Sessions = 4 };

        var (result, _) = await PerfRunner.RunAsync(new FanoutScenario(), options, settings, TextWriter.Null, CancellationToken.None);

        var phase = result.Phases[0];
        Assert.Equal(12, phase.Metrics["deliveries_expected"]);
        Assert.Equal(0, phase.Metrics["deliveries_missing"]);
        Assert.Equal(0, phase.Metrics["deliveries_duplicate_or_late"]);
        Assert.Equal(8, phase.Metrics["warmup_deliveries"]);
        Assert.Equal(12, phase.Methods.Single(m => m.Method.StartsWith("notification:", StringComparison.Ordinal)).Count);
        Assert.Equal("2", result.Parameters["warmup_events"]);
        Assert.Contains(result.Notes, n => n.StartsWith("per event", StringComparison.Ordinal) && n.Contains("of 3;", StringComparison.Ordinal));
    }
}

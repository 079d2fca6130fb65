using System.Text.Json;
using CameraService.Perf.Chaos;

namespace CameraService.Perf.Tests;

/// <summary>
/// <c>perf/run.sh chaos --smoke</c> against the REAL built service, once per backend: the MediaMTX emulator in media
/// mode with its RTSP server (mediamtx), test-pattern and fake V4L2 cameras, the steady workload and a seeded fault
/// schedule. Asserts that the run completes, injects faults, serves requests, verifies recordings, writes the
/// md/json/svg report, and ends with zero invariant violations — never a timing.
/// </summary>
public sealed class ChaosSmokeTests
{
    [Theory]
    [InlineData("mediamtx")]
    [InlineData("ffmpeg")]
    public async Task ChaosSmoke_AgainstRealService_CompletesWithZeroViolations(string backend)
    {
        using var results = new TempDirectory();
        var settings = ChaosCommand.Read(backend, duration: null, interval: null, seed: 22, faults: null, smoke: true, tmpfsMiB: 256) with
        {
            Launch = ServiceSmokeTests.ServiceLaunch(),
            ResultsDirectory = results.Path,
            CommandLine = $"chaos --smoke --backend {backend} --seed 22",
        };
        var log = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var runs = await ChaosCommand.RunAllWithReportsAsync(settings, log, timeout.Token);

        var (result, report) = Assert.Single(runs);
        Assert.True(result.Violations == 0, $"{result.Violations} violation(s):\n{string.Join('\n', result.Log.Violations.Select(v => v.Invariant + ": " + v.Detail))}\n{log}");
        Assert.True(result.Log.Faults.Any(f => f.NotInjected is null), "no fault was injected:\n" + log);
        Assert.True(result.Log.Requests > 0, "the service answered no request:\n" + log);
        Assert.True(result.Sessions.Count > 0, "no recording was made:\n" + log);
        Assert.True(result.Log.Invariants["recording-playable"].Checks > 0, "no recording file was checked with ffprobe:\n" + log);
        Assert.NotNull(report);
        Assert.True(File.Exists(report));
        Assert.True(File.Exists(Path.ChangeExtension(report, ".svg")));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(report, ".json")));
        Assert.Equal(backend, json.RootElement.GetProperty("backend").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("violations").GetInt32());
        Assert.Contains("## Invariants", await File.ReadAllTextAsync(report), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--backend", "gstreamer")]
    [InlineData("--faults", "kill-everything")]
    public void Read_BadOption_IsRefusedNamingIt(string option, string value)
    {
        var ex = Assert.Throws<PerfException>(() => ChaosCommand.Read(
            option == "--backend" ? value : "both", null, null, null, option == "--faults" ? value : null, smoke: true, tmpfsMiB: 256));
        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Defaults_GiveAtLeastOneHundredFaultsInThirtyMinutes()
    {
        var settings = ChaosCommand.Read("both", null, null, null, null, smoke: false, tmpfsMiB: 256);
        Assert.Equal(1800, settings.DurationSeconds);
        Assert.True(settings.DurationSeconds / settings.FaultIntervalSeconds >= 100);
        Assert.Equal(["mediamtx", "ffmpeg"], settings.Backends);
    }

    [Fact]
    public void Percentile_IsNearestRank()
    {
        Assert.Null(ChaosReport.Percentile([], 50));
        Assert.Equal(2, ChaosReport.Percentile([3, 1, 2, 4], 50));
        Assert.Equal(4, ChaosReport.Percentile([3, 1, 2, 4], 95));
    }
}

using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Tests;

/// <summary>
/// The rtsp scenario's smoke variant (issue 19's performance section) on both backends: a real GStreamer RTSP server
/// on 127.0.0.1, the built host (the MediaMTX emulator, or the ffmpeg backend), streams added over the API and held.
/// Asserts completion, zero errors and that every added camera was announced CONNECTED and stayed — never a timing.
/// </summary>
public sealed class RtspSmokeTests
{
    [Theory]
    [InlineData("mediamtx")]
    [InlineData("ffmpeg")]
    public async Task RunAsync_RtspSmoke_AddsConnectAndCamerasStayConnected(string backend)
    {
        using var results = new TempDirectory();
        var scenario = PerfRunner.All.Single(s => s.Name == "rtsp");
        var launch = ServiceSmokeTests.ServiceLaunch();
        if (backend == "ffmpeg")
        {
            launch = launch with { Emulator = EmulatorMode.Off, ExtraArgs = ["--CameraService:StreamBackend=ffmpeg"] };
        }

        var options = new RunOptions
        {
            Target = TargetKind.Service,
            Service = launch,
            Smoke = true,
            ResultsDirectory = results.Path,
            CommandLine = "rtsp --smoke --start-service",
        };
        var log = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var (result, _) = await PerfRunner.RunAsync(scenario, options, new ScenarioSettings(), log, timeout.Token);

        Assert.True(result.Completed, log.ToString());
        Assert.True(result.TotalErrors == 0, $"{result.TotalErrors} errors:\n{log}");
        Assert.Equal(backend, result.Parameters["backend"]);
        Assert.Equal(4, result.Phases.Count);
        var add = result.Phases[1];
        var connected = Assert.Single(add.Methods, m => m.Method == "add→CONNECTED");
        Assert.Equal(3, connected.Count);
        Assert.Equal(3.0, add.Metrics["adds"]);
        var hold = result.Phases[2];
        Assert.Equal(3.0, hold.Metrics["cameras_connected_min"]);
        Assert.NotNull(hold.Server);
        Assert.True(hold.Metrics.ContainsKey("children_cpu_percent"), log.ToString());
        var record = result.Phases[3];
        Assert.Equal(3, Assert.Single(record.Methods, m => m.Method == "start_recording").Ok);
        Assert.Equal(3, Assert.Single(record.Methods, m => m.Method == "stop_recording").Ok);
        Assert.Contains("load average", log.ToString(), StringComparison.Ordinal);
    }
}

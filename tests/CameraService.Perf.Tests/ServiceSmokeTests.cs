using System.Reflection;
using System.Text.Json;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Tests;

/// <summary>
/// The smoke variant of every scenario against the REAL service, started the way
/// <c>perf/run.sh &lt;scenario&gt; --start-service</c> starts it: the built host (same configuration as these tests)
/// with the test-pattern source and the MediaMTX emulator, on free 127.0.0.1 ports, with a temporary state and
/// storage directory and an admin token from <c>camera-service token create</c>. <c>fanout</c> uses the fake V4L2
/// plug trigger and <c>control</c> the ffmpeg backend (the emulator's snapshots need a GStreamer RTSP server).
/// Asserts only that each scenario completes without errors and that the service answered — never a timing.
/// </summary>
public sealed class ServiceSmokeTests
{
    private static readonly string Configuration =
        typeof(ServiceSmokeTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static readonly string TargetFramework = Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    public static TheoryData<string> ServiceScenarios => new()
    {
        "baseline", "throughput", "limit", "load", "connections", "stress", "endurance", "fanout", "discovery", "hotplug", "control", "files", "console", "progress",
    };

    [Theory]
    [MemberData(nameof(ServiceScenarios))]
    public async Task RunAsync_SmokeAgainstRealService_CompletesWithoutErrors(string name)
    {
        using var results = new TempDirectory();
        var scenario = PerfRunner.All.Single(s => s.Name == name);
        var launch = ServiceLaunch();
        var settings = new ScenarioSettings();
        if (name == "fanout")
        {
            // A camera event through the real source path: a fake V4L2 node plugged/unplugged → camera_status_update.
            settings = settings with { Trigger = "v4l2" };
        }
        else if (name == "progress")
        {
            // Real recordings of the test pattern (ffmpeg backend) reporting progress every 200 ms to the subscribers.
            launch = launch with { Emulator = EmulatorMode.Off, ExtraArgs = ["--CameraService:StreamBackend=ffmpeg", "--Recording:ProgressInterval=200ms"] };
        }
        else if (name == "control" || name == "console")
        {
            // Real recordings and snapshots of the test pattern with the ffmpeg backend (ffmpeg is installed by test.sh).
            launch = launch with { Emulator = EmulatorMode.Off, ExtraArgs = ["--CameraService:StreamBackend=ffmpeg"] };
        }

        var options = new RunOptions
        {
            Target = TargetKind.Service,
            Service = launch,
            EchoInProcess = true,
            Smoke = true,
            ResultsDirectory = results.Path,
            CommandLine = $"{name} --smoke --start-service",
        };
        var log = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var (result, path) = await PerfRunner.RunAsync(scenario, options, settings, log, timeout.Token);

        Assert.True(result.Completed, log.ToString());
        Assert.True(result.TotalErrors == 0, $"{result.TotalErrors} errors:\n{log}");
        Assert.All(result.Phases, p => Assert.True(p.Errors == 0, $"phase {p.Name}: {p.Errors} errors:\n{log}"));
        var service = result.Phases.Where(p => p.Target == "service").ToList();
        Assert.NotEmpty(service);
        Assert.True(service.Sum(p => p.Requests) > 0, "the service answered no request");
        Assert.Equal("service", result.Parameters["target"]);
        Assert.Contains("service ready on ws://127.0.0.1:", log.ToString(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path!));
        Assert.Equal(name, json.RootElement.GetProperty("scenario").GetString());
        if (name == "progress")
        {
            // The subscribers got recording_progress while every camera recorded, and none before.
            Assert.Equal(0, result.Phases.Single(p => p.Name == "no-recordings").Metrics["recording_progress_received"]);
            Assert.True(result.Phases.Single(p => p.Name == "recordings-with-progress").Metrics["recording_progress_received"] > 0, log.ToString());
        }

        if (name == "limit")
        {
            // Both targets ran under the same load, so the ratio exists (its value is a measurement, not asserted).
            Assert.NotNull(result.LimitRatio);
            Assert.Contains(result.Phases, p => p.Target == "limit (echo)" && p.Requests > 0);
        }
    }

    /// <summary>The host and the emulator built in this test run's configuration (the csproj builds them first).</summary>
    internal static ServiceLaunchOptions ServiceLaunch()
    {
        var root = FindRoot();
        var dll = Path.Combine(root, "host", "bin", Configuration, TargetFramework, "camera-service.dll");
        var emulator = Path.Combine(root, "tests", "MediaMtxEmulator", "bin", Configuration, TargetFramework, "MediaMtxEmulator.dll");
        Assert.True(File.Exists(dll), $"the host is not built at {dll}");
        Assert.True(File.Exists(emulator), $"the MediaMTX emulator is not built at {emulator}");
        return new ServiceLaunchOptions(
            dll,
            ServiceLaunchOptions.DefaultRunArgs,
            ServiceLaunchOptions.DefaultTokenArgs,
            [],
            "/ws",
            TimeSpan.FromSeconds(90),
            KeepTemp: false,
            Emulator: EmulatorMode.On,
            EmulatorDll: emulator);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CameraService.slnx above {AppContext.BaseDirectory}; run the tests from a checkout of the repository.");
    }
}

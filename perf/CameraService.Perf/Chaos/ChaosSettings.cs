using CameraService.Perf.Targets;

namespace CameraService.Perf.Chaos;

/// <summary>What one <c>perf/run.sh chaos</c> invocation was asked to do.</summary>
internal sealed record ChaosSettings
{
    /// <summary>Every fault kind, in the order the report lists them.</summary>
    public static readonly IReadOnlyList<string> AllFaults =
    [
        "kill-ffmpeg", "kill-service", "kill-emulator", "restart-emulator", "emulator-slow", "emulator-500",
        "unplug-camera", "disk-full", "clock-step", "connection-storm", "slow-consumer", "malformed-frames",
    ];

    /// <summary>
    /// What the chaos harness adds to the service's command line: small test-pattern cameras (less CPU on a shared
    /// machine), fast storage and progress checks (so a fault shows within a second), a short in-progress window.
    /// </summary>
    public static readonly IReadOnlyList<string> ServiceArguments =
    [
        "--Plugins:TestPattern:Width=320", "--Plugins:TestPattern:Height=240", "--Plugins:TestPattern:Fps=10",
        "--Storage:MonitorInterval=500ms", "--Storage:InProgressWindow=2s", "--Recording:ProgressInterval=1s",
    ];

    public required IReadOnlyList<string> Backends { get; init; }

    public required double DurationSeconds { get; init; }

    public required double FaultIntervalSeconds { get; init; }

    public required int Seed { get; init; }

    public required bool Smoke { get; init; }

    public required IReadOnlySet<string> Faults { get; init; }

    public required ServiceLaunchOptions Launch { get; init; }

    public bool KeepTemp => Launch.KeepTemp;

    public string? ResultsDirectory { get; init; }

    public bool WriteResults { get; init; } = true;

    public string CommandLine { get; init; } = "perf/run.sh chaos";

    /// <summary>A real MediaMTX binary the mediamtx backend runs instead of the emulator (full path; null = the emulator).</summary>
    public string? MediaMtx { get; init; }

    /// <summary>Size of the tmpfs storage root (disk fault).</summary>
    public int TmpfsMiB { get; init; } = 256;

    /// <summary>API clients at the steady rate.</summary>
    public int Clients => Smoke ? 2 : 4;

    /// <summary>Requests per second over all API clients.</summary>
    public double Rate => Smoke ? 20 : 40;

    /// <summary>Fake V4L2 cameras plugged at the start.</summary>
    public const int FakeCameras = 2;

    /// <summary>Connections opened by one connection storm.</summary>
    public int StormConnections => Smoke ? 300 : 2000;

    /// <summary>How long a fault that lasts (emulator 500s/slow, unplug, disk, clock) is held: min..max seconds.</summary>
    public (double Min, double Max) Hold => Smoke ? (1.5, 2.5) : (2, 8);

    /// <summary>How long a fault may take to recover before it counts as not recovered.</summary>
    public TimeSpan RecoveryTimeout => TimeSpan.FromSeconds(Smoke ? 30 : 60);

    public bool FaultEnabled(string kind) => Faults.Contains(kind);
}

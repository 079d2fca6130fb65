using CameraService.Perf.Targets;

namespace CameraService.Perf.Scenarios;

/// <summary>Where to point a run and how to report it (the options every verb shares).</summary>
internal sealed record RunOptions
{
    public TargetKind Target { get; init; } = TargetKind.Echo;

    public Uri? Url { get; init; }

    public string? Token { get; init; }

    public int? ServerPid { get; init; }

    public string? StorageRoot { get; init; }

    public string? FakeDevicesDirectory { get; init; }

    public string? FakeDeviceFixture { get; init; }

    public ServiceLaunchOptions Service { get; init; } = new(
        null, ServiceLaunchOptions.DefaultRunArgs, ServiceLaunchOptions.DefaultTokenArgs, [], "/ws", TimeSpan.FromSeconds(60), false);

    /// <summary>Run the echo server inside this process instead of as a child process (tests).</summary>
    public bool EchoInProcess { get; init; }

    /// <summary>Kestrel UnsafePreferInlineScheduling in the echo server.</summary>
    public bool EchoInline { get; init; }

    public bool Smoke { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string? Device { get; init; }

    /// <summary>Null = perf/results in the repository (or ./perf-results outside one).</summary>
    public string? ResultsDirectory { get; init; }

    public bool WriteResults { get; init; } = true;

    /// <summary>Append the headline figures to perf/history.csv (<c>--record</c>).</summary>
    public bool RecordHistory { get; init; }

    /// <summary>Where <see cref="RecordHistory"/> appends; null for &lt;repo&gt;/perf/history.csv.</summary>
    public string? HistoryFile { get; init; }

    public string CommandLine { get; init; } = string.Empty;
}

/// <summary>
/// Scenario knobs. Null means the scenario's default (which differs between a full run and <c>--smoke</c>);
/// each scenario documents which it reads.
/// </summary>
internal sealed record ScenarioSettings
{
    public int? Clients { get; init; }

    public int? Sessions { get; init; }

    public double? Rate { get; init; }

    public double? DurationSeconds { get; init; }

    public double? WarmupSeconds { get; init; }

    public string? Mix { get; init; }

    public double? ConnectRate { get; init; }

    public double? HoldSeconds { get; init; }

    public double? StartRate { get; init; }

    public double? RateFactor { get; init; }

    public double? StepSeconds { get; init; }

    public int? MaxSteps { get; init; }

    public double? P95LimitMs { get; init; }

    public double? ErrorLimitPercent { get; init; }

    public double? Minutes { get; init; }

    public double? WindowSeconds { get; init; }

    public int? Events { get; init; }

    /// <summary>fanout: events triggered before the measured ones, not measured (the notification path's JIT).</summary>
    public int? WarmupEvents { get; init; }

    public double? EventSpacingMs { get; init; }

    public string? Trigger { get; init; }

    public string? TriggerMethods { get; init; }

    public string? Notification { get; init; }

    public string? Topics { get; init; }

    public int? Iterations { get; init; }

    public int? FileCount { get; init; }

    public int? Downloads { get; init; }

    public int? BigFileMiB { get; init; }

    public string? CameraCounts { get; init; }

    public int? Plugs { get; init; }

    public int? MaxInFlight { get; init; }

    public string? Methods { get; init; }

    /// <summary>fleet: simulated node counts, comma-separated.</summary>
    public string? NodeCounts { get; init; }

    /// <summary>fleet: gateway client counts, comma-separated.</summary>
    public string? ClientCounts { get; init; }

    /// <summary>fleet: cameras per node (real and simulated).</summary>
    public int? CamerasPerNode { get; init; }
}

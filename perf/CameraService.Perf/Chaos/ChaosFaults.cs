namespace CameraService.Perf.Chaos;

/// <summary>What a fault gets to work with.</summary>
internal sealed record FaultContext(ChaosRig Rig, ChaosWorkload Workload, ChaosLog Log, ChaosSettings Settings, Random Random, FaultRecord Record);

/// <summary>
/// One kind of fault: inject, (hold,) heal, then the run measures the recovery time — until <see cref="RecoveredAsync"/>
/// holds. A fault that should be visible while it lasts names the health observation that shows it.
/// </summary>
internal interface IChaosFault
{
    string Name { get; }

    /// <summary>Why this kind cannot run in this rig (null when it can).</summary>
    string? Unavailable(ChaosRig rig);

    /// <summary>Whether it lasts (held for the drawn hold time before <see cref="HealAsync"/>), or is instantaneous.</summary>
    bool Lasting { get; }

    /// <summary>Injects; returns what was done (for the report), or null when there was nothing to inject into now.</summary>
    Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken);

    Task HealAsync(FaultContext context, CancellationToken cancellationToken);

    /// <summary>Whether health showed the fault in this sample; null = this kind is not expected to show.</summary>
    bool? Shows(FaultContext context, HealthSample sample);

    /// <summary>Whether the service is back (default: the workload's recovery probe).</summary>
    Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken);
}

/// <summary>Defaults: instantaneous, not expected to show in health, recovered when the workload's probe passes.</summary>
internal abstract class ChaosFault : IChaosFault
{
    public abstract string Name { get; }

    public virtual bool Lasting => false;

    public virtual string? Unavailable(ChaosRig rig) => null;

    public abstract Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken);

    public virtual Task HealAsync(FaultContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual bool? Shows(FaultContext context, HealthSample sample) => null;

    public virtual Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Workload.RecoveredAsync(cancellationToken);
    }

    /// <summary>Every fault kind.</summary>
    public static IReadOnlyList<IChaosFault> All { get; } =
    [
        new KillFfmpegFault(), new KillServiceFault(), new KillEmulatorFault(), new RestartEmulatorFault(),
        new EmulatorApiFault("emulator-slow", delayMs: 2000, status500: false), new EmulatorApiFault("emulator-500", delayMs: 0, status500: true),
        new UnplugCameraFault(), new DiskFullFault(), new ClockStepFault(), new ConnectionStormFault(), new SlowConsumerFault(),
        new MalformedFramesFault(),
    ];
}

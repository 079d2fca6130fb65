namespace CameraService.Perf.Chaos;

// Faults that hit the box under the service: a camera unplugged, the disk filled, the wall clock stepped.

/// <summary>A fake V4L2 camera unplugged mid-recording (a recording is started on it first) and plugged back after the hold.</summary>
internal sealed class UnplugCameraFault : ChaosFault
{
    private int _index = -1;
    private string? _device;
    private string? _session;

    public override string Name => "unplug-camera";

    public override bool Lasting => true;

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fakes = context.Workload.FakeCameras;
        if (fakes.Count == 0)
        {
            return null;
        }

        (_index, _device) = fakes.ElementAt(context.Random.Next(fakes.Count)) is var pair ? (pair.Key, pair.Value) : default;
        var start = await context.Workload.Admin.CallAsync("start_recording", new { device = _device }, cancellationToken).ConfigureAwait(false);
        _session = start.Result?["session_id"]?.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        context.Workload.Fakes.Unplug(_index);
        return $"{_device} ({FakeDeviceTreeName(_index)}) unplugged; start_recording before it → {start.Label}";
    }

    public override async Task HealAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Workload.Fakes.Plug(_index);
        if (_session is not null)
        {
            // The session was reported: it must end with a notification or still be stoppable after the replug.
            var stop = await context.Workload.Admin.CallAsync("stop_recording", new { device = _device }, cancellationToken).ConfigureAwait(false);
            context.Log.Note($"{_device}: stop_recording after the replug → {stop.Label}");
        }
    }

    /// <summary>The camera shows DISCONNECTED while unplugged.</summary>
    public override bool? Shows(FaultContext context, HealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return _device is not null && sample.Cameras.TryGetValue(_device, out var status) && status != "CONNECTED";
    }

    private static string FakeDeviceTreeName(int index) => Scenarios.FakeDeviceTree.NodeName(index);
}

/// <summary>The tmpfs storage root filled past the block threshold (90 %) for the hold, then freed (root only).</summary>
internal sealed class DiskFullFault : ChaosFault
{
    private string? _fill;

    public override string Name => "disk-full";

    public override bool Lasting => true;

    public override string? Unavailable(ChaosRig rig) => rig.DiskFaultUnavailable;

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var drive = new DriveInfo(context.Rig.StorageRoot);
        var total = drive.TotalSize;
        var used = total - drive.AvailableFreeSpace;
        var target = (long)(total * 0.93);
        if (target <= used)
        {
            return Task.FromResult<string?>(null);
        }

        _fill = Path.Combine(context.Rig.StorageRoot, "chaos-fill.bin");
        using (var stream = new FileStream(_fill, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, PreallocationSize = target - used }))
        {
            stream.SetLength(target - used);
        }

        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null));
        return Task.FromResult<string?>($"filled {(target - used) / (1024 * 1024)} MiB of a {total / (1024 * 1024)} MiB tmpfs to 93 %");
    }

    public override Task HealAsync(FaultContext context, CancellationToken cancellationToken)
    {
        if (_fill is not null)
        {
            File.Delete(_fill);
        }

        return Task.CompletedTask;
    }

    /// <summary>The storage component shows it (not RUNNING) while the disk is past the block threshold.</summary>
    public override bool? Shows(FaultContext context, HealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return sample.Components.TryGetValue("storage", out var state) && state != "RUNNING";
    }
}

/// <summary>
/// The service's wall clock stepped forward through libfaketime's offset file: a small NTP-like step (+1 s) or a jump
/// (+60 s). Steps only go forward: libfaketime moves CLOCK_MONOTONIC with the wall clock for .NET, and a backward
/// monotonic step is something no real system does.
/// </summary>
internal sealed class ClockStepFault : ChaosFault
{
    private long _offset;

    public override string Name => "clock-step";

    public override string? Unavailable(ChaosRig rig) => rig.ClockFaultUnavailable;

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = context.Random.NextDouble() < 0.7 ? 1 : 60;
        _offset += step;

        // The service's monotonic clock jumps with it, so a timed recording may end up to the step early: allowed loss.
        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null) { OutageSeconds = step });
        context.Rig.SetClockOffset("+" + _offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Task.FromResult<string?>($"wall clock +{step} s (offset now +{_offset} s)");
    }
}

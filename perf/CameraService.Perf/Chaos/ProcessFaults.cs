using System.Text.Json;

namespace CameraService.Perf.Chaos;

// Faults that hit processes: an ffmpeg of the service, the service itself, MediaMTX (the emulator, or a real one).

/// <summary>kill -9 of one ffmpeg child of the service (found through /proc's ppid chain).</summary>
internal sealed partial class KillFfmpegFault : ChaosFault
{
    public override string Name => "kill-ffmpeg";

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The service's own ffmpeg only: the emulator's are its recorders, which real MediaMTX runs in-process (a
        // writer crash there is the kill-emulator fault).
        var children = context.Rig.ServiceFfmpeg();
        if (children.Count == 0)
        {
            return Task.FromResult<string?>(null);
        }

        var victim = children[context.Random.Next(children.Count)];
        var commandLine = ProcTree.CommandLine(victim.Pid);
        var camera = ChaosWorkload.CameraId().Matches(commandLine).Select(m => m.Value).FirstOrDefault(c => context.Workload.PatternCameras.Contains(c));
        if (!ProcTree.KillHard(victim))
        {
            return Task.FromResult<string?>(null);
        }

        context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, camera));
        return Task.FromResult<string?>($"pid {victim.Pid} (parent {victim.ParentPid}) {(camera is null ? string.Empty : camera + " ")}{Shorten(commandLine)}");
    }

    /// <summary>A command line for the report: credentials in URLs masked (<c>rtsp://user:***@</c>), at most 160 characters.</summary>
    internal static string Shorten(string text)
    {
        var masked = Credentials().Replace(text, "://$1:***@");
        return masked.Length <= 160 ? masked : masked[..160] + "…";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"://([^:/@\s]+):[^@/\s]+@")]
    private static partial System.Text.RegularExpressions.Regex Credentials();
}

/// <summary>kill -9 of the service; the supervisor restarts it. Afterwards its ffmpeg children must be gone (no orphans).</summary>
internal sealed class KillServiceFault : ChaosFault
{
    private IReadOnlyList<ProcInfo> _children = [];

    public override string Name => "kill-service";

    public override Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pid = context.Rig.ServicePid;
        if (pid is null)
        {
            return Task.FromResult<string?>(null);
        }

        _children = context.Rig.KillService();
        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null));
        return Task.FromResult<string?>($"pid {pid} with {_children.Count} ffmpeg child(ren)");
    }

    public override async Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!await base.RecoveredAsync(context, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // The killed service's ffmpeg children must not outlive it (a second to notice is allowed).
        var until = context.Log.Now + 3;
        while (_children.Any(ProcTree.IsAlive) && context.Log.Now < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        var orphans = _children.Where(ProcTree.IsAlive).ToList();
        context.Log.Check("no-orphan-ffmpeg", orphans.Count == 0, () =>
            $"after kill -9 of the service, {orphans.Count} of its ffmpeg children still run: {string.Join("; ", orphans.Select(o => o.Pid + " " + KillFfmpegFault.Shorten(ProcTree.CommandLine(o.Pid))))}");
        foreach (var orphan in orphans)
        {
            ProcTree.KillHard(orphan);
        }

        return true;
    }
}

/// <summary>kill -9 of MediaMTX (the emulator, or the real one of --mediamtx); the supervisor restarts it, empty.</summary>
internal class KillEmulatorFault : ChaosFault
{
    public override string Name => "kill-emulator";

    protected virtual bool Hard => true;

    public override string? Unavailable(ChaosRig rig) => rig is { HasEmulator: true } ? null : "the ffmpeg backend runs without MediaMTX";

    public override async Task<string?> InjectAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pid = context.Rig.EmulatorPid;
        if (pid is null)
        {
            return null;
        }

        context.Record.Detail = $"{context.Rig.MediaMtxLabel} pid {pid}";
        await context.Rig.StopEmulatorAsync(Hard).ConfigureAwait(false);
        context.Record.Interruption = context.Workload.AddInterruption(new WriterInterruption(context.Log.Now, Name, null));
        return $"{context.Rig.MediaMtxLabel} pid {pid} {(Hard ? "killed (SIGKILL)" : "stopped (SIGTERM)")}; restarted fresh by the supervisor";
    }

    public override async Task<bool> RecoveredAsync(FaultContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!await base.RecoveredAsync(context, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Recovered when the fresh emulator runs and the service has put its paths back into it (a new MediaMTX has none).
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(new Uri(context.Rig.EmulatorApi, "v3/config/paths/list"), cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(text);
            var names = json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString() ?? string.Empty).ToList();
            return context.Workload.PatternCameras.All(c => names.Any(n => n.Contains(c, StringComparison.Ordinal)));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>The emulator stopped cleanly and started again with no paths (a MediaMTX restart loses every API-made path).</summary>
internal sealed class RestartEmulatorFault : KillEmulatorFault
{
    public override string Name => "restart-emulator";

    protected override bool Hard => false;
}

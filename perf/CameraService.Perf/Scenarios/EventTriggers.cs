using System.Text;
using CameraService.Perf.Client;
using CameraService.Perf.Echo;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Scenarios;

/// <summary>
/// Makes the server emit one notification to every subscribed session. The fan-out scenario timestamps just
/// before <see cref="FireAsync"/> and measures each session's receipt of <see cref="Notification"/> from there.
/// </summary>
internal interface IEventTrigger
{
    /// <summary>What the trigger is, for the results.</summary>
    string Description { get; }

    /// <summary>The notification method the sessions wait for.</summary>
    string Notification { get; }

    /// <summary>The subscribe_events topics that select it.</summary>
    IReadOnlyList<string> Topics { get; }

    Task FireAsync(int sequence, CancellationToken cancellationToken);
}

/// <summary>The echo server's <c>perf.broadcast</c>: the fan-out ceiling of a bare Kestrel WebSocket server.</summary>
internal sealed class EchoBroadcastTrigger(RpcConnection connection) : IEventTrigger
{
    public string Description => $"{EchoServer.BroadcastMethod} on the echo server";

    public string Notification => EchoServer.BroadcastNotification;

    public IReadOnlyList<string> Topics => ["camera.status_change"];

    public async Task FireAsync(int sequence, CancellationToken cancellationToken)
    {
        var method = RpcMethod.Create(EchoServer.BroadcastMethod, "{\"seq\":" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}");
        var outcome = await connection.CallAsync(method, capture: true, cancellationToken).ConfigureAwait(false);
        if (!outcome.IsOk)
        {
            throw new PerfException($"the echo broadcast failed: {outcome.Label}");
        }
    }
}

/// <summary>
/// A state-changing API call whose side effect is a notification to every session: e.g. <c>take_snapshot</c> →
/// <c>snapshot_taken</c>, or <c>start_recording,stop_recording</c> (alternating) → <c>recording_status_update</c>.
/// The measured latency then includes the call's own work (the snapshot), which the results say.
/// </summary>
internal sealed class RpcTrigger(RpcConnection connection, IReadOnlyList<RpcMethod> methods, string notification, IReadOnlyList<string> topics) : IEventTrigger
{
    public string Description => $"API call {string.Join(" / ", methods.Select(m => m.Name))} → {notification}";

    public string Notification => notification;

    public IReadOnlyList<string> Topics => topics;

    public async Task FireAsync(int sequence, CancellationToken cancellationToken)
    {
        var method = methods[sequence % methods.Count];
        var outcome = await connection.CallAsync(method, capture: true, cancellationToken).ConfigureAwait(false);
        if (!outcome.IsOk)
        {
            var detail = outcome.Message is null ? outcome.Label : Encoding.UTF8.GetString(outcome.Message);
            throw new PerfException($"the trigger call {method.Name} failed: {detail}");
        }
    }

    /// <summary>The notification and topics the contract (§5) pairs with a trigger method.</summary>
    public static (string Notification, IReadOnlyList<string> Topics) ContractPairing(string method) => method switch
    {
        "take_snapshot" => ("snapshot_taken", ["snapshot.taken"]),
        "start_recording" or "stop_recording" => ("recording_status_update", ["recording.start", "recording.stop"]),
        _ => ("camera_status_update", ["camera.connected", "camera.disconnected", "camera.status_change"]),
    };
}

/// <summary>
/// Plugs and unplugs a fake V4L2 camera: creating a fixture file in the V4L2 plugin's fake-device directory
/// (<c>Plugins:V4l2:FakeDevicesDirectory</c>) plugs a camera, deleting it unplugs it; the service answers each with
/// <c>camera_status_update</c>.
/// </summary>
internal sealed class FakeV4l2Trigger(FakeDeviceTree tree) : IEventTrigger
{
    public string Description => $"fake V4L2 plug/unplug in {tree.Directory}";

    public string Notification => "camera_status_update";

    public IReadOnlyList<string> Topics => ["camera.connected", "camera.disconnected", "camera.status_change"];

    public Task FireAsync(int sequence, CancellationToken cancellationToken)
    {
        if (sequence % 2 == 0)
        {
            tree.Plug(0);
        }
        else
        {
            tree.Unplug(0);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// The fake V4L2 device mechanism, as the harness expects it: a directory the service watches, in which each file
/// is one fake camera built from a fixture file (the V4L2 plugin's fixture format). The harness copies the fixture
/// to <c>perf-&lt;n&gt;&lt;ext&gt;</c> to plug camera n and deletes it to unplug.
/// </summary>
internal sealed class FakeDeviceTree
{
    private readonly string _fixture;

    private FakeDeviceTree(string directory, string fixture)
    {
        Directory = directory;
        _fixture = fixture;
    }

    public string Directory { get; }

    /// <summary>The service argument that points the V4L2 plugin at the directory (for --start-service).</summary>
    public const string ServiceArgument = "--Plugins:V4l2:FakeDevicesDirectory={fakedev}";

    /// <summary>Checks the mechanism's prerequisites; throws a "not available" error naming what is missing.</summary>
    public static FakeDeviceTree Open(TargetInfo target, string? fixture, string scenario)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind == TargetKind.Echo)
        {
            throw new PerfException($"{scenario} is not available against the echo server: it needs the service's fake V4L2 devices (use --start-service or --url with --fake-devices-dir)");
        }

        if (target.FakeDevicesDirectory is not { } directory || !System.IO.Directory.Exists(directory))
        {
            throw new PerfException($"{scenario} is not available in this build: no fake V4L2 device directory (pass --fake-devices-dir <the service's Plugins:V4l2:FakeDevicesDirectory>)");
        }

        if (fixture is null || !File.Exists(fixture))
        {
            throw new PerfException($"{scenario} is not available in this build: no fake device fixture (pass --fake-device-fixture <one of the V4L2 plugin's fixture files>)");
        }

        return new FakeDeviceTree(directory, fixture);
    }

    public string PathOf(int camera) => Path.Combine(Directory, $"perf-{camera}{Path.GetExtension(_fixture)}");

    public void Plug(int camera)
    {
        // Write to a temporary name first and rename, so the watcher never sees a half-written fixture.
        var temp = Path.Combine(Directory, $".perf-{camera}.tmp");
        File.Copy(_fixture, temp, overwrite: true);
        File.Move(temp, PathOf(camera), overwrite: true);
    }

    public void Unplug(int camera) => File.Delete(PathOf(camera));

    public void UnplugAll()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "perf-*"))
        {
            File.Delete(file);
        }
    }
}

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
/// Plugs and unplugs a fake V4L2 camera in the service's fake device root; the service answers each with
/// <c>camera_status_update</c> (see <see cref="FakeDeviceTree"/>).
/// </summary>
internal sealed class FakeV4l2Trigger(FakeDeviceTree tree) : IEventTrigger
{
    public string Description => $"fake V4L2 plug/unplug in {tree.DeviceRoot}";

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
/// The V4L2 plugin's fake-device mode (docs/v4l2.md, "Fake devices and fixtures"): with
/// <c>Plugins:V4l2:FakeDevicesDirectory</c> set, ioctls are answered from fixture files, and a fake device node is a
/// regular file <c>video&lt;N&gt;</c> in <c>Plugins:V4l2:DeviceRoot</c> whose first line names the fixture, with
/// optional <c>key=value</c> lines. The harness plugs camera n as <c>video&lt;100+2n&gt;</c> (clear of other nodes)
/// with its own <c>bus-info</c>, so serial-less fixtures become distinct cameras; it writes under a temporary name and
/// renames (a watcher never sees half a node) and deletes the file to unplug.
/// </summary>
internal sealed class FakeDeviceTree
{
    /// <summary>A serial-less bundled fixture: each plug on its own bus position is a distinct camera.</summary>
    public const string DefaultFixture = "usb2-pc-camera.txt";

    /// <summary>
    /// What --start-service adds to the service's command line: a fake device root and sysfs root in the run's
    /// temp directory, and the plugin's bundled fixtures.
    /// </summary>
    public static readonly IReadOnlyList<string> ServiceArguments =
    [
        "--Plugins:V4l2:DeviceRoot={fakedev}/dev",
        "--Plugins:V4l2:SysfsRoot={fakedev}/sys",
        "--Plugins:V4l2:FakeDevicesDirectory=fixtures/v4l2",
    ];

    private readonly string _fixture;
    private readonly HashSet<int> _plugged = [];

    private FakeDeviceTree(string deviceRoot, string fixture)
    {
        DeviceRoot = deviceRoot;
        _fixture = fixture;
    }

    public string DeviceRoot { get; }

    /// <summary>Checks the mechanism's prerequisites; throws a "not available" error naming what is missing.</summary>
    public static FakeDeviceTree Open(TargetInfo target, string? fixture, string scenario)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind == TargetKind.Echo)
        {
            throw new PerfException($"{scenario} is not available against the echo server: it needs the service's fake V4L2 devices (use --start-service, or --url with --fake-devices-dir)");
        }

        if (target.FakeDevicesDirectory is not { } directory || !Directory.Exists(directory))
        {
            throw new PerfException($"{scenario} is not available: no fake V4L2 device root (pass --fake-devices-dir <the service's Plugins:V4l2:DeviceRoot, with Plugins:V4l2:FakeDevicesDirectory set>)");
        }

        var name = fixture ?? DefaultFixture;
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.Contains('\n', StringComparison.Ordinal))
        {
            throw new PerfException($"--fake-device-fixture must be a fixture file name in the plugin's fixtures directory (e.g. {DefaultFixture}), got '{name}'");
        }

        if (target.ServiceDirectory is { } service)
        {
            var bundled = Path.Combine(service, "plugins", "v4l2", "fixtures", "v4l2", name);
            if (!File.Exists(bundled))
            {
                throw new PerfException($"{scenario} is not available in this build: {bundled} does not exist (the V4L2 plugin's fake-device assembly with its fixtures, tests/CameraService.Plugins.V4l2.Fakes, is not built; run `dotnet build -c Release`)");
            }
        }

        return new FakeDeviceTree(directory, name);
    }

    public static string NodeName(int camera) => "video" + (100 + (2 * camera)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Plug(int camera)
    {
        var node = NodeName(camera);
        var temp = Path.Combine(DeviceRoot, "." + node);
        var busInfo = "usb-0000:00:1d.0-" + (camera + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(temp, $"{_fixture}\nbus-info={busInfo}\n");
        File.Move(temp, Path.Combine(DeviceRoot, node), overwrite: true);
        _plugged.Add(camera);
    }

    public void Unplug(int camera)
    {
        File.Delete(Path.Combine(DeviceRoot, NodeName(camera)));
        _plugged.Remove(camera);
    }

    /// <summary>Removes every node this harness plugged (and only those).</summary>
    public void UnplugAll()
    {
        foreach (var camera in _plugged.ToList())
        {
            Unplug(camera);
        }
    }
}

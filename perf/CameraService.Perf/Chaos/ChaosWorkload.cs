using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CameraService.Perf.Scenarios;

namespace CameraService.Perf.Chaos;

/// <summary>One observation of the service's health (seconds since the run started).</summary>
internal sealed record HealthSample(
    double At,
    bool Reachable,
    string? Status,
    IReadOnlyDictionary<string, string> Components,
    IReadOnlyDictionary<string, string> Cameras);

/// <summary>
/// The steady, bounded workload of a chaos run: API clients at a fixed total rate (ping / get_camera_list /
/// get_camera_status), subscribers to every topic checking each client's notification sequence, a recorder per
/// test-pattern camera (<see cref="ChaosRecorder"/>; each recording verified by the <see cref="RecordingLedger"/>),
/// the files loop (<see cref="ChaosFilesLoop"/>: snapshots, listings, HTTP downloads, deletes and retention runs), and a
/// health poller (get_status, get_camera_list) every 500 ms.
/// </summary>
internal sealed partial class ChaosWorkload(ChaosRig rig, ChaosLog log, ChaosSettings settings, TextWriter output) : IAsyncDisposable
{
    public const string Topics = "camera.connected,camera.disconnected,camera.status_change,recording.start,recording.stop,recording.error,recording.progress,snapshot.taken,storage.warning,storage.critical,system.health";

    private readonly List<ChaosClient> _clients = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<(string Client, int Generation, string Session), string> _sequences = new();
    private readonly RecordingLedger _ledger = new(rig, log);
    private readonly Lock _healthGate = new();
    private readonly List<HealthSample> _health = [];
    private ChaosClient _probe = null!;
    private ChaosClient _admin = null!;

    public IReadOnlyList<string> PatternCameras { get; private set; } = [];

    /// <summary>Fake V4L2 camera index → camera id.</summary>
    public IReadOnlyDictionary<int, string> FakeCameras { get; private set; } = new Dictionary<int, string>();

    public FakeDeviceTree Fakes { get; private set; } = null!;

    public IReadOnlyCollection<SessionRecord> Sessions => _ledger.Sessions;

    /// <summary>The component states after the warm-up: recovery means every component is back to at least these.</summary>
    public IReadOnlyDictionary<string, string> BaselineComponents { get; private set; } = new Dictionary<string, string>();

    public ChaosClient Admin => _admin;

    public WriterInterruption AddInterruption(WriterInterruption interruption) => _ledger.AddInterruption(interruption);

    public IReadOnlyList<HealthSample> HealthBetween(double from, double to)
    {
        lock (_healthGate)
        {
            return [.. _health.Where(h => h.At >= from && h.At <= to)];
        }
    }

    /// <summary>Plugs the fake cameras, finds the cameras, starts every loop.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _probe = NewClient("probe");
        _admin = NewClient("admin");
        Fakes = FakeDeviceTree.Open(
            new Targets.TargetInfo(Targets.TargetKind.Service, rig.WebSocketUri, rig.Token, rig.ServicePid, rig.StorageRoot, rig.FakeDeviceRoot),
            null,
            "chaos");
        for (var i = 0; i < ChaosSettings.FakeCameras; i++)
        {
            Fakes.Plug(i);
        }

        // Wait for the test-pattern and the fake cameras to be listed CONNECTED.
        var deadline = log.Now + 30;
        while (true)
        {
            var list = await _probe.CallAsync("get_camera_list", null, cancellationToken).ConfigureAwait(false);
            var cameras = list.Result?["cameras"]?.AsArray().Select(c => c!).ToList() ?? [];
            var fakes = new Dictionary<int, string>();
            for (var i = 0; i < ChaosSettings.FakeCameras; i++)
            {
                var node = FakeDeviceTree.NodeName(i);
                var match = cameras.FirstOrDefault(c => (c["device_path"]?.GetValue<string>() ?? string.Empty).EndsWith("/" + node, StringComparison.Ordinal)
                    && c["status"]?.GetValue<string>() == "CONNECTED");
                if (match is not null)
                {
                    fakes[i] = match["device"]!.GetValue<string>();
                }
            }

            PatternCameras = [.. cameras.Where(c => (c["stable_id"]?.GetValue<string>() ?? string.Empty).StartsWith("testpattern-", StringComparison.Ordinal)
                && c["status"]?.GetValue<string>() == "CONNECTED").Select(c => c["device"]!.GetValue<string>())];
            FakeCameras = fakes;
            if ((PatternCameras.Count >= 1 && fakes.Count == ChaosSettings.FakeCameras) || log.Now > deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        if (PatternCameras.Count == 0)
        {
            throw new PerfException("chaos: no test-pattern camera became CONNECTED within 30 s (see the service log)");
        }

        await output.WriteLineAsync($"chaos[{rig.Backend}]: test-pattern cameras {string.Join(", ", PatternCameras)}; fake V4L2 cameras {string.Join(", ", FakeCameras.Values)}").ConfigureAwait(false);
        var retention = await _admin.CallAsync("set_retention_policy", new { policy_type = "age", enabled = true, max_age_days = 1 }, cancellationToken).ConfigureAwait(false);
        log.Note($"set_retention_policy age 1 day → {retention.Label}");

        var token = _stop.Token;
        _tasks.Add(Task.Run(() => HealthLoopAsync(token), CancellationToken.None));
        for (var i = 0; i < settings.Clients; i++)
        {
            var client = NewClient("api" + i.ToString(CultureInfo.InvariantCulture));
            _tasks.Add(Task.Run(() => ApiLoopAsync(client, token), CancellationToken.None));
        }

        for (var i = 0; i < 2; i++)
        {
            var subscriber = NewClient("sub" + i.ToString(CultureInfo.InvariantCulture));
            subscriber.Topics = Topics.Split(',');
            subscriber.OnNotification = OnNotification;
            _tasks.Add(Task.Run(() => SubscriberLoopAsync(subscriber, token), CancellationToken.None));
        }

        foreach (var camera in PatternCameras)
        {
            var recorder = NewClient("rec-" + camera);
            var seed = settings.Seed ^ camera.GetHashCode(StringComparison.Ordinal);
            _tasks.Add(Task.Run(() => new ChaosRecorder(_ledger, log, settings).RunAsync(recorder, camera, new Random(seed), token), CancellationToken.None));
        }

        var files = NewClient("files");
        var filesLoop = new ChaosFilesLoop(rig, log, settings, _ledger, PatternCameras, _admin);
        _tasks.Add(Task.Run(() => filesLoop.RunAsync(files, new Random(settings.Seed + 7), token), CancellationToken.None));

        // Wait for one health sample so the baseline exists.
        for (var i = 0; i < 40 && LatestHealth() is not { Reachable: true }; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        BaselineComponents = LatestHealth()?.Components ?? new Dictionary<string, string>();
        log.Note("baseline components: " + string.Join(", ", BaselineComponents.Select(p => p.Key + "=" + p.Value)));
    }

    /// <summary>Stops every loop; the recorders stop their running recordings and verify them first.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_tasks).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the service is back: ping answers, every test-pattern camera and every plugged fake camera is CONNECTED,
    /// and every component of get_status is at least as good as after the warm-up.
    /// </summary>
    public async Task<bool> RecoveredAsync(CancellationToken cancellationToken)
    {
        var ping = await _probe.CallAsync("ping", null, cancellationToken).ConfigureAwait(false);
        if (!ping.Ok)
        {
            return false;
        }

        var sample = await SampleHealthAsync(_probe, cancellationToken).ConfigureAwait(false);
        if (!sample.Reachable)
        {
            return false;
        }

        foreach (var camera in PatternCameras.Concat(FakeCameras.Values))
        {
            if (!sample.Cameras.TryGetValue(camera, out var status) || status != "CONNECTED")
            {
                return false;
            }
        }

        return BaselineComponents.All(b => sample.Components.TryGetValue(b.Key, out var now) && Rank(now) <= Rank(b.Value));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private static int Rank(string state) => state switch
    {
        "RUNNING" or "HEALTHY" => 0,
        "DEGRADED" => 1,
        "STOPPED" => 2,
        _ => 3,
    };

    private HealthSample? LatestHealth()
    {
        lock (_healthGate)
        {
            return _health.Count == 0 ? null : _health[^1];
        }
    }

    private ChaosClient NewClient(string name)
    {
        var client = new ChaosClient(rig, log, name);
        _clients.Add(client);
        return client;
    }

    private async Task<HealthSample> SampleHealthAsync(ChaosClient client, CancellationToken cancellationToken)
    {
        var at = log.Now;
        var status = await client.CallAsync("get_status", null, cancellationToken).ConfigureAwait(false);
        var list = await client.CallAsync("get_camera_list", null, cancellationToken).ConfigureAwait(false);
        var components = new Dictionary<string, string>(StringComparer.Ordinal);
        if (status.Result?["components"] is JsonObject c)
        {
            foreach (var (key, value) in c)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    components[key] = s;
                }
            }
        }

        var cameras = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var camera in list.Result?["cameras"]?.AsArray() ?? [])
        {
            if (camera?["device"]?.GetValue<string>() is { } device)
            {
                cameras[device] = camera["status"]?.GetValue<string>() ?? "?";
            }
        }

        return new HealthSample(at, status.Ok && list.Ok, status.Result?["status"]?.GetValue<string>(), components, cameras);
    }

    private async Task HealthLoopAsync(CancellationToken token)
    {
        var client = NewClient("health");
        while (!token.IsCancellationRequested)
        {
            try
            {
                var sample = await SampleHealthAsync(client, token).ConfigureAwait(false);
                lock (_healthGate)
                {
                    _health.Add(sample);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ApiLoopAsync(ChaosClient client, CancellationToken token)
    {
        var interval = TimeSpan.FromSeconds(settings.Clients / settings.Rate);
        var i = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var camera = PatternCameras[i % PatternCameras.Count];
                _ = (i % 3) switch
                {
                    0 => await client.CallAsync("ping", null, token).ConfigureAwait(false),
                    1 => await client.CallAsync("get_camera_list", null, token).ConfigureAwait(false),
                    _ => await client.CallAsync("get_camera_status", new { device = camera }, token).ConfigureAwait(false),
                };
                i++;
                await Task.Delay(interval, TimeProvider.System, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task SubscriberLoopAsync(ChaosClient client, CancellationToken token)
    {
        // The subscriber's own calls keep its socket (re)connected; notifications arrive on its reader.
        while (!token.IsCancellationRequested)
        {
            try
            {
                await client.CallAsync("ping", null, token).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void OnNotification(string client, int generation, string method, JsonNode? parameters)
    {
        var session = parameters?["session_id"]?.GetValue<string>();
        if (session is null || (method != "recording_status_update" && method != "recording_progress"))
        {
            return;
        }

        var status = method == "recording_progress" ? "PROGRESS" : parameters?["status"]?.GetValue<string>() ?? "?";
        if (status is "STOPPED" or "FAILED" or "ERROR")
        {
            _ledger.Final(session, status, parameters?["reason"]?.GetValue<string>());
        }

        // Per client connection: after STOPPED/FAILED of a session, nothing more may come for it (no new start reuses an id).
        var key = (client, generation, session);
        var previous = _sequences.TryGetValue(key, out var p) ? p : null;
        var ended = previous is "STOPPED" or "FAILED";
        log.Check("notification-sequence", !ended, () => $"{client} (connection {generation}): {method} {status} for session {session} after {previous}");
        if (!ended)
        {
            _sequences[key] = status;
        }
    }

    [GeneratedRegex(@"\bcamera[0-9]+\b")]
    internal static partial Regex CameraId();
}

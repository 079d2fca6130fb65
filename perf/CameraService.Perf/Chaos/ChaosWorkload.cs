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

/// <summary>A recording session the API reported (start_recording answered ok), and how it ended.</summary>
internal sealed class SessionRecord
{
    public required string Device { get; init; }

    public required string SessionId { get; init; }

    public required double StartAt { get; init; }

    public double? Duration { get; init; }

    /// <summary>start_recording's <c>filename</c>: the session's first segment.</summary>
    public string? FirstFile { get; init; }

    public double? EndAt { get; set; }

    public string Outcome { get; set; } = "open";

    public List<string> Files { get; } = [];

    public double SecondsOnDisk { get; set; }
}

/// <summary>
/// A fault that interrupted the process writing recordings (for the crash-loss allowance). <see cref="OutageSeconds"/>
/// is the time the writer could not run at all (the service or the emulator down until it was back, the disk full),
/// set when the fault recovered.
/// </summary>
internal sealed class WriterInterruption(double at, string kind, string? device)
{
    public double At { get; } = at;

    public string Kind { get; } = kind;

    public string? Device { get; } = device;

    public double OutageSeconds { get; set; }
}

/// <summary>
/// The steady, bounded workload of a chaos run: API clients at a fixed total rate (ping / get_camera_list /
/// get_camera_status), subscribers to every topic checking each client's notification sequence, a recorder per
/// test-pattern camera (timed and stopped recordings, each verified on disk with ffprobe), snapshots, listings,
/// HTTP downloads, deletes and retention runs, and a health poller (get_status, get_camera_list) every 500 ms.
/// </summary>
internal sealed partial class ChaosWorkload(ChaosRig rig, ChaosLog log, ChaosSettings settings, TextWriter output) : IAsyncDisposable
{
    public const string Topics = "camera.connected,camera.disconnected,camera.status_change,recording.start,recording.stop,recording.error,recording.progress,snapshot.taken,storage.warning,storage.critical,system.health";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<ChaosClient> _clients = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, (string Status, string? Reason, double At)> _finals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Client, int Generation, string Session), string> _sequences = new();
    private readonly ConcurrentQueue<SessionRecord> _sessions = new();
    private readonly ConcurrentQueue<WriterInterruption> _interruptions = new();
    private readonly Lock _healthGate = new();
    private readonly List<HealthSample> _health = [];
    private ChaosClient _probe = null!;
    private ChaosClient _admin = null!;

    public IReadOnlyList<string> PatternCameras { get; private set; } = [];

    /// <summary>Fake V4L2 camera index → camera id.</summary>
    public IReadOnlyDictionary<int, string> FakeCameras { get; private set; } = new Dictionary<int, string>();

    public FakeDeviceTree Fakes { get; private set; } = null!;

    public IReadOnlyCollection<SessionRecord> Sessions => _sessions;

    /// <summary>The component states after the warm-up: recovery means every component is back to at least these.</summary>
    public IReadOnlyDictionary<string, string> BaselineComponents { get; private set; } = new Dictionary<string, string>();

    public ChaosClient Admin => _admin;

    public WriterInterruption AddInterruption(WriterInterruption interruption)
    {
        ArgumentNullException.ThrowIfNull(interruption);
        _interruptions.Enqueue(interruption);
        return interruption;
    }

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
            _tasks.Add(Task.Run(() => RecorderLoopAsync(recorder, camera, new Random(seed), token), CancellationToken.None));
        }

        var files = NewClient("files");
        _tasks.Add(Task.Run(() => FilesLoopAsync(files, new Random(settings.Seed + 7), token), CancellationToken.None));

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

    /// <summary>Where a recording file is (the API gives bare names; they live in recordings/&lt;camera&gt;/).</summary>
    public string? FindRecording(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }

        var direct = Path.Combine(rig.StorageRoot, "recordings");
        if (!Directory.Exists(direct))
        {
            return null;
        }

        return Directory.EnumerateFiles(direct, Path.GetFileName(name), SearchOption.AllDirectories).FirstOrDefault();
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
            _finals.TryAdd(session, (status, parameters?["reason"]?.GetValue<string>(), log.Now));
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

    private async Task RecorderLoopAsync(ChaosClient client, string camera, Random random, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await RecordOnceAsync(client, camera, random, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task RecordOnceAsync(ChaosClient client, string camera, Random random, CancellationToken token)
    {
        var timed = random.NextDouble() < 0.4;
        var duration = settings.Smoke ? random.Next(3, 6) : random.Next(3, 10);
        var hold = settings.Smoke ? 3 + (random.NextDouble() * 2) : 3 + (random.NextDouble() * 9);
        var start = await client.CallAsync("start_recording", timed ? new { device = camera, duration } : (object)new { device = camera }, token).ConfigureAwait(false);
        if (!start.Ok)
        {
            if (start.ErrorCode == -32020)
            {
                // Still recording (e.g. a session the restarted service resumed): stop it, it is not ours to verify.
                await client.CallAsync("stop_recording", new { device = camera }, CancellationToken.None).ConfigureAwait(false);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, token).ConfigureAwait(false);
            return;
        }

        var session = new SessionRecord
        {
            Device = camera,
            SessionId = start.Result?["session_id"]?.GetValue<string>() ?? "?",
            FirstFile = start.Result?["filename"]?.GetValue<string>(),
            StartAt = log.Now,
            Duration = timed ? duration : null,
        };
        _sessions.Enqueue(session);
        JsonNode? stopResult = null;
        if (timed)
        {
            var until = log.Now + duration + 20;
            while (!_finals.ContainsKey(session.SessionId) && log.Now < until && !token.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            }

            if (token.IsCancellationRequested && !_finals.ContainsKey(session.SessionId))
            {
                stopResult = await StopAsync(client, camera, session).ConfigureAwait(false);
            }
        }
        else
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(hold), TimeProvider.System, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The run ends: stop and verify this recording anyway.
            }

            stopResult = await StopAsync(client, camera, session).ConfigureAwait(false);
        }

        session.EndAt ??= _finals.TryGetValue(session.SessionId, out var f) ? f.At : log.Now;
        await VerifyAsync(client, session, stopResult).ConfigureAwait(false);
    }

    /// <summary>stop_recording, retried while the service is unreachable (a kill) or answers -32050, for up to the recovery timeout.</summary>
    private async Task<JsonNode?> StopAsync(ChaosClient client, string camera, SessionRecord session)
    {
        var until = log.Now + settings.RecoveryTimeout.TotalSeconds;
        while (true)
        {
            var stop = await client.CallAsync("stop_recording", new { device = camera }, CancellationToken.None).ConfigureAwait(false);
            if (stop.Ok)
            {
                session.EndAt = log.Now;
                session.Outcome = "stopped";
                return stop.Result;
            }

            // A user retries while the service is down or a dependency is failing (-32050); anything else is final.
            if (!(stop.Unreachable || stop.ErrorCode == -32050) || log.Now > until)
            {
                session.Outcome = "stop-" + stop.Label;
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task VerifyAsync(ChaosClient client, SessionRecord session, JsonNode? stopResult)
    {
        var names = new List<string>();
        if (stopResult is not null)
        {
            foreach (var entry in stopResult["files"]?.AsArray() ?? [])
            {
                var name = entry is JsonValue v ? v.GetValue<string>() : entry?["filename"]?.GetValue<string>();
                if (name is not null)
                {
                    names.Add(name);
                }
            }

            var missing = names.Where(n => FindRecording(n) is null).ToList();
            log.Check("stop-lists-existing-files", names.Count > 0 && missing.Count == 0, () =>
                $"{session.Device} session {session.SessionId}: stop_recording listed {names.Count} file(s), missing on disk: {string.Join(", ", missing)}; answer {stopResult.ToJsonString()}");
        }
        else
        {
            // Ended without our stop (timed, failed, or lost): the notification says how; the files are the session's in the listing.
            var wait = log.Now + 5;
            while (!_finals.ContainsKey(session.SessionId) && log.Now < wait)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            }

            if (_finals.TryGetValue(session.SessionId, out var final))
            {
                session.Outcome = final.Status.ToLowerInvariant() + (final.Reason is null ? string.Empty : " (" + final.Reason + ")");
                if (final.Status != "STOPPED")
                {
                    log.Check("recording-accounted", !string.IsNullOrWhiteSpace(final.Reason), () =>
                        $"{session.Device} session {session.SessionId} reported {final.Status} without a reason");
                    return;
                }
            }

            names.AddRange(await SessionFilesAsync(client, session).ConfigureAwait(false));
            log.Check("recording-accounted", _finals.ContainsKey(session.SessionId) || names.Count > 0, () =>
                $"{session.Device} session {session.SessionId}: ended ({session.Outcome}) without stop_recording's answer, a STOPPED/FAILED notification or any file — silent loss");
            if (names.Count == 0)
            {
                return;
            }
        }

        double seconds = 0;
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var path = FindRecording(name);
            var probe = path is null ? null : await FfprobeDurationAsync(path).ConfigureAwait(false);
            log.Check("recording-playable", probe is not null, () =>
                $"{session.Device} session {session.SessionId}: {name} {(path is null ? "is not on disk" : "is not playable (ffprobe found no duration)")}");
            seconds += probe ?? 0;
            session.Files.Add(name);
        }

        session.SecondsOnDisk = Math.Round(seconds, 2);
        CheckCrashLoss(session);
    }

    /// <summary>The files of a session that ended without stop_recording's answer: the camera's recordings written during it.</summary>
    private async Task<List<string>> SessionFilesAsync(ChaosClient client, SessionRecord session)
    {
        var list = await client.CallAsync("list_recordings", new { device = session.Device, limit = 100 }, CancellationToken.None).ConfigureAwait(false);
        var names = new List<string>();
        foreach (var file in list.Result?["files"]?.AsArray() ?? [])
        {
            var name = file?["filename"]?.GetValue<string>();
            if (name is not null && name.Contains(session.SessionId, StringComparison.Ordinal))
            {
                names.Add(name);
            }
        }

        if (names.Count == 0)
        {
            // File names carry the segment's start time, not the session: the session's files are its first file
            // (start_recording's filename) and the later ones written during its span, up to the next session's first.
            var first = session.FirstFile;
            var next = _sessions.Where(s => s != session && s.Device == session.Device && s.FirstFile is not null && (first is null || string.CompareOrdinal(s.FirstFile, first) > 0))
                .Select(s => s.FirstFile!).Order(StringComparer.Ordinal).FirstOrDefault();

            // A file another session already holds is not this one's: the previous session's last file, finalized
            // just before this session started, is within the time window below (the 30-minute run's one violation).
            var claimed = _sessions.Where(s => s != session && s.Device == session.Device).SelectMany(s => s.Files).ToHashSet(StringComparer.Ordinal);
            foreach (var file in list.Result?["files"]?.AsArray() ?? [])
            {
                var name = file?["filename"]?.GetValue<string>();
                var path = name is null || claimed.Contains(name) ? null : FindRecording(name);
                if (path is not null && SessionByFileTime(path, session)
                    && (first is null || string.CompareOrdinal(name, first) >= 0) && (next is null || string.CompareOrdinal(name, next) < 0))
                {
                    names.Add(name!);
                }
            }
        }

        return names;
    }

    private bool SessionByFileTime(string path, SessionRecord session)
    {
        // The harness's clock: file times are the kernel's real time (libfaketime does not touch the harness).
        var age = (TimeProvider.System.GetUtcNow() - File.GetLastWriteTimeUtc(path)).TotalSeconds;
        var writtenAt = log.Now - age;
        return writtenAt >= session.StartAt - 1 && writtenAt <= (session.EndAt ?? log.Now) + 3;
    }

    /// <summary>
    /// Crash loss: the files of a stopped session cover its span minus the allowance — 2 s of start-up/stop slack,
    /// 2 s per interruption of the writer during the session, and the time the writer could not run (service or
    /// emulator down, disk full).
    /// </summary>
    private void CheckCrashLoss(SessionRecord session)
    {
        var end = session.EndAt ?? log.Now;
        var span = end - session.StartAt;
        if (session.Duration is { } limit)
        {
            span = Math.Min(span, limit);
        }

        // An interruption counts when it began during the session (2 s each) or its outage overlaps the session (the
        // overlapping part). An outage not settled yet (not recovered when this session is verified) lasts until its end.
        double Outage(WriterInterruption i) => i.Kind is "kill-service" or "kill-emulator" or "restart-emulator" or "disk-full" && i.OutageSeconds == 0
            ? Math.Max(0, end - i.At)
            : i.OutageSeconds;
        var relevant = _interruptions.Where(i => i.Device is null || i.Device == session.Device).ToList();
        var hits = relevant.Where(i => i.At >= session.StartAt - 1 && i.At <= end + 1).ToList();
        var overlap = relevant.Sum(i => Math.Max(0, Math.Min(i.At + Outage(i), end) - Math.Max(i.At, session.StartAt)));
        var allowance = 2 + (2 * hits.Count) + overlap;
        log.Check("crash-loss", session.SecondsOnDisk >= span - allowance, () =>
            $"{session.Device} session {session.SessionId}: {session.SecondsOnDisk:0.0} s of video in {session.Files.Count} file(s) for a {span:0.0} s span with {hits.Count} writer interruption(s) ({string.Join(", ", hits.Select(h => h.Kind))}); allowed loss {allowance:0.0} s");
    }

    /// <summary>The container duration ffprobe reads, or null when the file is not playable.</summary>
    public static async Task<double?> FfprobeDurationAsync(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ffprobe") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            return null;
        }

        var text = (await stdout.ConfigureAwait(false)).Trim();
        return process.ExitCode == 0 && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : null;
    }

    private async Task FilesLoopAsync(ChaosClient client, Random random, CancellationToken token)
    {
        var round = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                round++;
                var camera = PatternCameras[random.Next(PatternCameras.Count)];
                var snapshot = await client.CallAsync("take_snapshot", new { device = camera }, token).ConfigureAwait(false);
                if (snapshot.Ok && snapshot.Result?["filename"]?.GetValue<string>() is { } name)
                {
                    var path = Path.Combine(rig.StorageRoot, "snapshots", camera, name);
                    log.Check("snapshot-file-exists", File.Exists(path), () => $"take_snapshot {camera} answered {name} but {path} does not exist");
                    await DownloadAsync(snapshot.Result["download_url"]?.GetValue<string>(), path, "snapshot " + name, token).ConfigureAwait(false);
                    await client.CallAsync("delete_snapshot", new { filename = name }, token).ConfigureAwait(false);
                }

                var recordings = await client.CallAsync("list_recordings", new { limit = 50 }, token).ConfigureAwait(false);
                await client.CallAsync("list_snapshots", new { limit = 20 }, token).ConfigureAwait(false);

                // Download and delete verified recordings (not the newest: a recorder may still be verifying it).
                var verified = _sessions.Where(s => s.Files.Count > 0 && s.EndAt < log.Now - 10).SelectMany(s => s.Files).ToHashSet(StringComparer.Ordinal);
                foreach (var file in recordings.Result?["files"]?.AsArray().Select(f => f!).Where(f => verified.Contains(f["filename"]?.GetValue<string>() ?? string.Empty)).Take(2) ?? [])
                {
                    var fileName = file["filename"]!.GetValue<string>();
                    if (FindRecording(fileName) is { } local)
                    {
                        await DownloadAsync(file["download_url"]?.GetValue<string>(), local, "recording " + fileName, token).ConfigureAwait(false);
                    }

                    await client.CallAsync("delete_recording", new { filename = fileName }, token).ConfigureAwait(false);
                }

                if (round % (settings.Smoke ? 3 : 10) == 0)
                {
                    await _admin.CallAsync("cleanup_old_files", null, token).ConfigureAwait(false);
                    await _admin.CallAsync("get_storage_info", null, token).ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 1.5 : 2), TimeProvider.System, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>GET the download URL: 200 and the whole file (invariant download-complete); unreachable is not checked.</summary>
    private async Task DownloadAsync(string? url, string path, string what, CancellationToken token)
    {
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || !File.Exists(path))
        {
            return;
        }

        long expected;
        try
        {
            expected = new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return;
        }

        try
        {
            using var response = await Http.GetAsync(uri, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            log.Request("GET /files", response.IsSuccessStatusCode ? "ok" : "http:" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            log.Check("download-complete", response.IsSuccessStatusCode && body.Length == expected, () =>
                $"{what}: GET {uri.AbsolutePath} → {(int)response.StatusCode}, {body.Length} of {expected} bytes");
        }
        catch (HttpRequestException)
        {
            log.Request("GET /files", "unreachable");
        }
    }

    [GeneratedRegex(@"\bcamera[0-9]+\b")]
    internal static partial Regex CameraId();
}

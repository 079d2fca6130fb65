using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace CameraService.Perf.Chaos;

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

/// <summary>What the service says of a session that has no final status update yet.</summary>
internal enum SessionState
{
    /// <summary>No answer, or the camera's current or last session is another one.</summary>
    Unknown,

    /// <summary>The service still records it.</summary>
    StillRecording,

    /// <summary>It has ended; its final status is recorded.</summary>
    Ended,
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
/// The recordings of a chaos run: every session the API reported and how it ended (the first final status update the
/// subscribers saw), the writer interruptions the faults caused, and the verification of an ended session — its files
/// (stop_recording's answer, or attributed from the listing), each on disk and playable (ffprobe), and their total
/// against the span minus the crash allowance (invariants stop-lists-existing-files, recording-accounted,
/// recording-playable, crash-loss).
/// </summary>
internal sealed class RecordingLedger(ChaosRig rig, ChaosLog log)
{
    private readonly ConcurrentDictionary<string, (string Status, string? Reason, double At)> _finals = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SessionRecord> _sessions = new();
    private readonly ConcurrentQueue<WriterInterruption> _interruptions = new();

    public IReadOnlyCollection<SessionRecord> Sessions => _sessions;

    public void Add(SessionRecord session) => _sessions.Enqueue(session);

    public WriterInterruption AddInterruption(WriterInterruption interruption)
    {
        ArgumentNullException.ThrowIfNull(interruption);
        _interruptions.Enqueue(interruption);
        return interruption;
    }

    /// <summary>Records a session's final status update (STOPPED, FAILED, ERROR); the first one seen counts.</summary>
    public void Final(string session, string status, string? reason) => _finals.TryAdd(session, (status, reason, log.Now));

    public bool HasFinal(string session) => _finals.ContainsKey(session);

    /// <summary>When the session's final status update arrived (null: none yet).</summary>
    public double? FinalAt(string session) => _finals.TryGetValue(session, out var final) ? final.At : null;

    /// <summary>
    /// For a session with no final status update: asks the service (<c>get_recording_status</c>) whether it still
    /// records it, and when it has ended, records how (its <c>last_status</c> and <c>reason</c>) as the session's final.
    /// A notification can be missed without any loss — a timed session whose service was killed ends at once after the
    /// restart, before the subscribers reconnect —, and a user would ask the same.
    /// </summary>
    public async Task<SessionState> AskStatusAsync(ChaosClient client, SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(session);
        var answer = await client.CallRetryingAsync("get_recording_status", new { device = session.Device }, until: log.Now + 10).ConfigureAwait(false);
        if (!answer.Ok)
        {
            return SessionState.Unknown;
        }

        var result = answer.Result;
        if (result?["session_id"]?.GetValue<string>() != session.SessionId)
        {
            return SessionState.Unknown;
        }

        if (result["status"]?.GetValue<string>() == "RECORDING")
        {
            return SessionState.StillRecording;
        }

        Final(session.SessionId, result["last_status"]?.GetValue<string>() ?? "STOPPED", result["reason"]?.GetValue<string>());
        return SessionState.Ended;
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

    /// <summary>
    /// Verifies an ended session: the files stop_recording listed (or, without its answer, the final notification and
    /// the files attributed from the listing), each on disk and playable, and their total against the crash allowance.
    /// </summary>
    public async Task VerifyAsync(ChaosClient client, SessionRecord session, JsonNode? stopResult)
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

            // A stop that lists no file is an honest answer only when it says why (a failed status with a reason);
            // whether video was owed anyway — the writer was up for part of the span — is the crash-loss check's
            // below, which then counts 0 s on disk against the span minus the outages.
            var failedWithReason = stopResult["status"]?.GetValue<string>() is { } status && status != "STOPPED"
                && !string.IsNullOrWhiteSpace(stopResult["reason"]?.GetValue<string>());
            var missing = names.Where(n => FindRecording(n) is null).ToList();
            log.Check("stop-lists-existing-files", (names.Count > 0 || failedWithReason) && missing.Count == 0, () =>
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

            if (!_finals.ContainsKey(session.SessionId))
            {
                await AskStatusAsync(client, session).ConfigureAwait(false);
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
}

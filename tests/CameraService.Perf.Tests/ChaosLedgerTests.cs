using CameraService.Perf.Chaos;

namespace CameraService.Perf.Tests;

/// <summary>
/// The chaos ledger against the REAL built service (ffmpeg backend): a session whose final notification the harness
/// never saw — as when a timed recording's service is killed and the restarted service ends the session before any
/// subscriber reconnects (the 30-minute run's <c>recording-accounted</c> case) — is accounted by asking the service,
/// not reported as a silent loss; and a session that still records is told apart from one that ended.
/// </summary>
public sealed class ChaosLedgerTests
{
    [Fact]
    public async Task SessionWithoutNotification_IsAccountedFromRecordingStatus_AcrossAServiceKill()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var settings = ChaosCommand.Read("ffmpeg", duration: null, interval: null, seed: 1, faults: null, smoke: true, tmpfsMiB: 256) with
        {
            Launch = ServiceSmokeTests.ServiceLaunch(),
            WriteResults = false,
        };
        var log = new ChaosLog();
        var output = new StringWriter();
        await using var rig = await ChaosRig.StartAsync(settings, "ffmpeg", log, output, timeout.Token);
        var ledger = new RecordingLedger(rig, log);

        // No notification handler: the ledger never sees a recording_status_update, so it has no final of its own.
        await using var client = new ChaosClient(rig, log, "ledger-test");
        var started = await client.CallAsync("start_recording", new { device = "camera0", duration = 3 }, timeout.Token);
        Assert.True(started.Ok, $"start_recording: {started.Label} {started.Error?.ToJsonString()}\n{output}");
        var session = new SessionRecord
        {
            Device = "camera0",
            SessionId = started.Result!["session_id"]!.GetValue<string>(),
            FirstFile = started.Result["filename"]?.GetValue<string>(),
            StartAt = log.Now,
            Duration = 3,
        };
        ledger.Add(session);

        Assert.Equal(SessionState.StillRecording, await ledger.AskStatusAsync(client, session));
        Assert.False(ledger.HasFinal(session.SessionId));

        // The service dies mid-recording; the supervisor restarts it and the restarted service ends the timed session.
        // As the soak does, the kill is a writer interruption, its outage lasting until the service answers again.
        var kill = ledger.AddInterruption(new WriterInterruption(log.Now, "kill-service", null));
        rig.KillService();
        var until = log.Now + 60;
        while (log.Now < until && !await EndedAsync(client, session.SessionId, kill, log, timeout.Token))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, timeout.Token);
        }

        session.EndAt = log.Now;
        await ledger.VerifyAsync(client, session, stopResult: null);

        Assert.True(ledger.HasFinal(session.SessionId), "the ledger did not learn how the session ended\n" + output);
        Assert.True(log.Invariants["recording-accounted"].Checks > 0, $"the session was not accounted: outcome {session.Outcome}");
        Assert.True(log.Violations.Count == 0, string.Join('\n', log.Violations.Select(v => v.Invariant + ": " + v.Detail)) + "\n" + output);
    }

    private static async Task<bool> EndedAsync(ChaosClient client, string sessionId, WriterInterruption kill, ChaosLog log, CancellationToken cancellationToken)
    {
        var status = await client.CallAsync("get_recording_status", new { device = "camera0" }, cancellationToken);
        if (status.Ok && kill.OutageSeconds == 0)
        {
            kill.OutageSeconds = log.Now - kill.At;
        }

        return status.Ok && status.Result?["session_id"]?.GetValue<string>() == sessionId && status.Result["status"]?.GetValue<string>() == "STOPPED";
    }
}

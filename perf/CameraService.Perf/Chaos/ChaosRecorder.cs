using System.Text.Json.Nodes;

namespace CameraService.Perf.Chaos;

/// <summary>
/// The recorder of one test-pattern camera: alternates timed (<c>duration</c>) and stopped recordings, each entered in
/// the ledger when start_recording answers and verified there when it ends; stop_recording is retried like a user
/// would while the service is down or a dependency fails.
/// </summary>
internal sealed class ChaosRecorder(RecordingLedger ledger, ChaosLog log, ChaosSettings settings)
{
    /// <summary>Records on the camera until the token is cancelled (the last recording is stopped and verified).</summary>
    public async Task RunAsync(ChaosClient client, string camera, Random random, CancellationToken token)
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
        ledger.Add(session);
        JsonNode? stopResult = null;
        if (timed)
        {
            var until = log.Now + duration + 20;
            while (!ledger.HasFinal(session.SessionId) && log.Now < until && !token.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            }

            if (token.IsCancellationRequested && !ledger.HasFinal(session.SessionId))
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

        if (stopResult is null && !ledger.HasFinal(session.SessionId)
            && await ledger.AskStatusAsync(client, session).ConfigureAwait(false) == SessionState.StillRecording)
        {
            // Our stop failed for good (the dependency was down past the recovery timeout) and the session goes on:
            // stop it again, as the user would once the service answers.
            stopResult = await StopAsync(client, camera, session).ConfigureAwait(false);
        }

        session.EndAt ??= ledger.FinalAt(session.SessionId) ?? log.Now;
        await ledger.VerifyAsync(client, session, stopResult).ConfigureAwait(false);
    }

    /// <summary>stop_recording, retried (<see cref="ChaosClient.CallRetryingAsync"/>) for up to the recovery timeout.</summary>
    private async Task<JsonNode?> StopAsync(ChaosClient client, string camera, SessionRecord session)
    {
        // The session's span ends when the user asks it to: what the service records after that (while the answer is
        // slow — a Control API that takes 2 s per request — or while the stop is retried) is more than asked for,
        // and the answer's own delay is not video the recording owes.
        var asked = log.Now;
        var stop = await client.CallRetryingAsync("stop_recording", new { device = camera }, until: asked + settings.RecoveryTimeout.TotalSeconds).ConfigureAwait(false);
        if (!stop.Ok)
        {
            session.Outcome = "stop-" + stop.Label;
            return null;
        }

        session.EndAt = asked;
        session.Outcome = "stopped";
        return stop.Result;
    }
}

using System.Text;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Results;
using CameraService.Perf.Workloads;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Scenarios;

/// <summary>
/// progress (issue 21, Performance): N sessions subscribed to <c>recording.progress</c> under the open-loop API load,
/// first with no recording running, then with every camera recording — so the API's p95 with and without the
/// <c>recording_progress</c> fan-out is measured in the same run. The service should be started with a short
/// <c>Recording:ProgressInterval</c> (e.g. <c>--service-arg=--Recording:ProgressInterval=1s</c>) to make the fan-out heavy.
/// </summary>
internal sealed class ProgressScenario : IScenario
{
    private static readonly byte[] Progress = Encoding.UTF8.GetBytes("recording_progress");

    public string Name => "progress";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var sessions = context.Pick(context.Settings.Sessions, 1000, 20);
        var rate = context.Pick(context.Settings.Rate, 1000, 100);
        var seconds = context.Pick(context.Settings.DurationSeconds, 20, 3);
        var maxInFlight = context.Pick(context.Settings.MaxInFlight, 50_000, 1_000);
        var mixSpec = context.Settings.Mix ?? MethodMix.Throughput;
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, sessions, 0, null, false, cancellationToken).ConfigureAwait(false);
        var (device, mix) = await LoadScenario.PrepareMixAsync(context, pool, mixSpec, notes, cancellationToken).ConfigureAwait(false);
        var cameras = await CamerasAsync(pool.Connections[0], cancellationToken).ConfigureAwait(false);

        long received = 0;
        foreach (var connection in pool.Connections)
        {
            connection.OnNotification = (method, _, _) =>
            {
                if (method.SequenceEqual(Progress))
                {
                    Interlocked.Increment(ref received);
                }
            };
        }

        var subscribe = RpcMethod.Create("subscribe_events", """{"topics":["recording.progress"]}""");
        foreach (var batch in pool.Connections.Chunk(200))
        {
            var outcomes = await Task.WhenAll(batch.Select(c => c.CallAsync(subscribe, capture: true, cancellationToken))).ConfigureAwait(false);
            if (outcomes.FirstOrDefault(o => !o.IsOk) is { Message: not null } failed)
            {
                throw new PerfException($"subscribe_events recording.progress failed: {Encoding.UTF8.GetString(failed.Message)}");
            }
        }

        async Task<PhaseResult> Phase(string name) =>
            await context.RunPhaseAsync(name, target.Info, async (m, ct) =>
            {
                var before = Interlocked.Read(ref received);
                var sent = await OpenLoop.RunAsync(pool.Connections, mix, rate, TimeSpan.FromSeconds(seconds), maxInFlight, context.Options.RequestTimeout, m, ct).ConfigureAwait(false);
                var delivered = Interlocked.Read(ref received) - before;
                return new Dictionary<string, double>
                {
                    ["offered_req_per_s"] = rate,
                    ["scheduled"] = sent,
                    ["recording_progress_received"] = delivered,
                    ["recording_progress_per_s"] = Math.Round(delivered / seconds, 1),
                };
            }, cancellationToken).ConfigureAwait(false);

        var quiet = await Phase("no-recordings");
        var control = pool.Connections[0];
        var started = new List<string>();
        try
        {
            foreach (var camera in cameras)
            {
                var outcome = await control.CallAsync(RpcMethod.Create("start_recording", JsonSerializer.Serialize(new Dictionary<string, string> { ["device"] = camera }, ProgressJson.Default.DictionaryStringString)), capture: true, cancellationToken).ConfigureAwait(false);
                if (outcome.IsOk)
                {
                    started.Add(camera);
                }
                else
                {
                    notes.Add($"start_recording {camera} failed: {(outcome.Message is null ? outcome.Label : Encoding.UTF8.GetString(outcome.Message))}");
                }
            }

            if (started.Count == 0)
            {
                throw new PerfException("no camera could be recorded, so there is no recording_progress to measure; start the service with a stream backend (e.g. --service-arg=--CameraService:StreamBackend=ffmpeg).");
            }

            var loaded = await Phase("recordings-with-progress");
            notes.Add($"{started.Count} camera(s) recording ({string.Join(' ', started)}), {pool.Connections.Count} sessions subscribed to recording.progress; compare the two phases' p95 (same run, same load)");
            return new ScenarioOutcome(
                [quiet, loaded],
                new Dictionary<string, string>
                {
                    ["sessions"] = Inv(sessions),
                    ["rate"] = Inv(rate),
                    ["seconds"] = Inv(seconds),
                    ["mix"] = mixSpec,
                    ["device"] = device,
                    ["recording_cameras"] = Inv(started.Count),
                },
                notes);
        }
        finally
        {
            foreach (var camera in started)
            {
                await control.CallAsync(RpcMethod.Create("stop_recording", JsonSerializer.Serialize(new Dictionary<string, string> { ["device"] = camera }, ProgressJson.Default.DictionaryStringString)), capture: false, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every camera of get_camera_list.</summary>
    private static async Task<IReadOnlyList<string>> CamerasAsync(RpcConnection connection, CancellationToken cancellationToken)
    {
        var outcome = await connection.CallAsync(RpcMethod.Create("get_camera_list"), capture: true, cancellationToken).ConfigureAwait(false);
        using var document = outcome.ParseMessage();
        if (document is null || !document.RootElement.TryGetProperty("result", out var result) || !result.TryGetProperty("cameras", out var list))
        {
            throw new PerfException("get_camera_list did not answer a camera list.");
        }

        return [.. list.EnumerateArray().Select(c => c.GetProperty("device").GetString()!)];
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ProgressJson : System.Text.Json.Serialization.JsonSerializerContext;

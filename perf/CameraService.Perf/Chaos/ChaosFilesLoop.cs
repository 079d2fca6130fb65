using System.Globalization;

namespace CameraService.Perf.Chaos;

/// <summary>
/// The files part of the workload: <c>take_snapshot</c> → the file on disk → its HTTP download → <c>delete_snapshot</c>;
/// the listings; download and <c>delete_recording</c> of recordings the ledger verified; every few rounds a retention
/// run (<c>cleanup_old_files</c>) and <c>get_storage_info</c> (invariants snapshot-file-exists, download-complete).
/// </summary>
internal sealed class ChaosFilesLoop(ChaosRig rig, ChaosLog log, ChaosSettings settings, RecordingLedger ledger, IReadOnlyList<string> cameras, ChaosClient admin)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Runs a round every 2 s (smoke 1.5 s) until the token is cancelled.</summary>
    public async Task RunAsync(ChaosClient client, Random random, CancellationToken token)
    {
        var round = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                round++;
                var camera = cameras[random.Next(cameras.Count)];
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
                var verified = ledger.Sessions.Where(s => s.Files.Count > 0 && s.EndAt < log.Now - 10).SelectMany(s => s.Files).ToHashSet(StringComparer.Ordinal);
                foreach (var file in recordings.Result?["files"]?.AsArray().Select(f => f!).Where(f => verified.Contains(f["filename"]?.GetValue<string>() ?? string.Empty)).Take(2) ?? [])
                {
                    var fileName = file["filename"]!.GetValue<string>();
                    if (ledger.FindRecording(fileName) is { } local)
                    {
                        await DownloadAsync(file["download_url"]?.GetValue<string>(), local, "recording " + fileName, token).ConfigureAwait(false);
                    }

                    await client.CallAsync("delete_recording", new { filename = fileName }, token).ConfigureAwait(false);
                }

                if (round % (settings.Smoke ? 3 : 10) == 0)
                {
                    await admin.CallAsync("cleanup_old_files", null, token).ConfigureAwait(false);
                    await admin.CallAsync("get_storage_info", null, token).ConfigureAwait(false);
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
}

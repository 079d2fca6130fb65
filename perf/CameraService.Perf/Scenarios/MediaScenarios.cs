using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Measurement;
using CameraService.Perf.Targets;
using CameraService.Perf.Workloads;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Scenarios;

/// <summary>
/// control: start_recording → (hold) → stop_recording → take_snapshot on one camera, N times; p95 per method. Then
/// phase <c>snapshot-live</c>: N snapshots of the same camera, 250 ms apart, after one unrecorded warm-up snapshot —
/// the latency of a snapshot of a live path (issue 26), without the path changes a recording's start and stop make.
/// </summary>
internal sealed class ControlScenario : IScenario
{
    public string Name => "control";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var iterations = context.Pick(context.Settings.Iterations, 20, 2);
        var hold = context.Pick(context.Settings.HoldSeconds, 1, 0.2);
        var notes = new List<string>();
        await using var target = await context.OpenTargetAsync(null, null, cancellationToken).ConfigureAwait(false);
        await using var pool = await context.OpenSessionsAsync(target.Info, 1, 0, null, false, cancellationToken).ConfigureAwait(false);
        var connection = pool.Connections[0];
        var device = await context.ResolveDeviceAsync(connection, notes, cancellationToken).ConfigureAwait(false);
        var start = RpcMethod.Create("start_recording", MethodMix.DefaultParams("start_recording", device));
        var stop = RpcMethod.Create("stop_recording", MethodMix.DefaultParams("stop_recording", device));
        var snapshot = RpcMethod.Create("take_snapshot", MethodMix.DefaultParams("take_snapshot", device));
        // A recording left over from an earlier run would make every start fail with -32020: clear it, unrecorded.
        await connection.CallAsync(stop, capture: false, cancellationToken).ConfigureAwait(false);
        var phase = await context.RunPhaseAsync("control", target.Info, async (m, ct) =>
        {
            for (var i = 0; i < iterations; i++)
            {
                await CallAsync(connection, start, m, ct).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(hold), TimeProvider.System, ct).ConfigureAwait(false);
                await CallAsync(connection, stop, m, ct).ConfigureAwait(false);
                await CallAsync(connection, snapshot, m, ct).ConfigureAwait(false);
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
        await connection.CallAsync(snapshot, capture: false, cancellationToken).ConfigureAwait(false);
        var live = await context.RunPhaseAsync("snapshot-live", target.Info, async (m, ct) =>
        {
            for (var i = 0; i < iterations; i++)
            {
                await CallAsync(connection, snapshot, m, ct).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, ct).ConfigureAwait(false);
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
        return new ScenarioOutcome(
            [phase, live],
            new Dictionary<string, string> { ["iterations"] = Inv(iterations), ["hold_seconds"] = Inv(hold), ["device"] = device },
            notes);
    }

    private static async Task CallAsync(RpcConnection connection, RpcMethod method, Measurements sink, CancellationToken cancellationToken)
    {
        var sent = Stopwatch.GetTimestamp();
        var outcome = await connection.CallAsync(method, capture: false, cancellationToken).ConfigureAwait(false);
        sink.Record(method.Name, sent, outcome);
    }
}

/// <summary>
/// files: N generated recordings in the media root; list_recordings pages (limit 50, random offsets),
/// get_recording_info, HTTP downloads of small files, and one large download (MB/s, server memory).
/// </summary>
internal sealed class FilesScenario : IScenario
{
    public string Name => "files";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var fileCount = context.Pick(context.Settings.FileCount, 100_000, 200);
        var clients = context.Pick(context.Settings.Clients, 10, 2);
        var seconds = context.Pick(context.Settings.DurationSeconds, 15, 1);
        var downloads = context.Pick(context.Settings.Downloads, 500, 5);
        var bigMiB = context.Pick(context.Settings.BigFileMiB, 1024, 1);
        var device = context.Options.Device ?? "camera0";
        var notes = new List<string>();
        var generated = new List<string>();
        string? generatedRoot = null;
        var prepare = new Func<string, CancellationToken, Task>(async (root, ct) =>
        {
            generatedRoot = root;
            var clock = Stopwatch.StartNew();
            generated.AddRange(await GenerateAsync(root, device, fileCount, bigMiB, ct).ConfigureAwait(false));
            await context.Out.WriteLineAsync(FormattableString.Invariant($"generated {fileCount} recordings + a {bigMiB} MiB file in {root}/recordings/{device} in {clock.Elapsed.TotalSeconds:0.0} s")).ConfigureAwait(false);
        });
        var target = await context.OpenTargetAsync(context.Options.Target == TargetKind.Echo && context.Options.StorageRoot is null ? null : prepare, null, cancellationToken).ConfigureAwait(false);
        try
        {
            if (generated.Count == 0)
            {
                notes.Add("no media root to fill (echo target without --storage-root): file names are synthetic and the echo server answers them trivially");
                generated.AddRange(Enumerable.Range(0, fileCount).Select(FileName));
            }

            await using var pool = await context.OpenSessionsAsync(target.Info, clients, 0, null, false, cancellationToken).ConfigureAwait(false);
            var random = new Random(7);
            var pages = Enumerable.Range(0, 64)
                .Select(_ => RpcMethod.Create("list_recordings", FormattableString.Invariant($"{{\"limit\":50,\"offset\":{random.Next(Math.Max(1, fileCount - 50))}}}")))
                .ToList();
            var known = await CollectNamesAsync(pool.Connections[0], pages, cancellationToken).ConfigureAwait(false);
            if (known.Count == 0)
            {
                notes.Add("list_recordings returned no files: info and downloads use the generated names");
            }

            var names = known.Count > 0 ? [.. known.Keys] : generated.Take(1000).ToList();
            var list = await context.RunPhaseAsync("list_recordings", target.Info, async (m, ct) =>
            {
                await ClosedLoop.RunAsync(pool.Connections, MixOf(pages), TimeSpan.FromSeconds(seconds), long.MaxValue, m, ct).ConfigureAwait(false);
                return null;
            }, cancellationToken).ConfigureAwait(false);
            var infos = names.Take(200).Select(n => RpcMethod.Create("get_recording_info", RpcMethod.StringParams("filename", n))).ToList();
            var info = await context.RunPhaseAsync("get_recording_info", target.Info, async (m, ct) =>
            {
                await ClosedLoop.RunAsync(pool.Connections, MixOf(infos), TimeSpan.FromSeconds(seconds), long.MaxValue, m, ct).ConfigureAwait(false);
                return null;
            }, cancellationToken).ConfigureAwait(false);

            using var http = CreateHttpClient(target.Info);
            var urls = names.Select(n => DownloadUri(target.Info, n, known.GetValueOrDefault(n))).ToList();
            var download = await context.RunPhaseAsync("download (small files)", target.Info, async (m, ct) =>
            {
                long bytes = 0;
                var next = -1;
                var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(
                    async () =>
                    {
                        int i;
                        while ((i = Interlocked.Increment(ref next)) < downloads)
                        {
                            var got = await DownloadAsync(http, urls[i % urls.Count], "download", m, ct).ConfigureAwait(false);
                            Interlocked.Add(ref bytes, got);
                        }
                    },
                    ct)).ToList();
                await Task.WhenAll(workers).ConfigureAwait(false);
                return new Dictionary<string, double> { ["bytes"] = bytes };
            }, cancellationToken).ConfigureAwait(false);

            var bigUrl = new Uri(target.Info.HttpBase, "files/recordings/" + BigFileName);
            var big = await context.RunPhaseAsync($"download ({bigMiB} MiB file)", target.Info, async (m, ct) =>
            {
                var clock = Stopwatch.StartNew();
                var got = await DownloadAsync(http, bigUrl, "download-large", m, ct).ConfigureAwait(false);
                var mbPerSecond = got / 1_000_000.0 / Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
                return new Dictionary<string, double> { ["bytes"] = got, ["mb_per_s"] = Math.Round(mbPerSecond, 1) };
            }, cancellationToken).ConfigureAwait(false);

            return new ScenarioOutcome(
                [list, info, download, big],
                new Dictionary<string, string>
                {
                    ["files"] = Inv(fileCount),
                    ["clients"] = Inv(clients),
                    ["seconds_per_phase"] = Inv(seconds),
                    ["downloads"] = Inv(downloads),
                    ["large_file_mib"] = Inv(bigMiB),
                    ["device"] = device,
                },
                notes);
        }
        finally
        {
            await target.DisposeAsync().ConfigureAwait(false);
            if (context.Options.Target != TargetKind.Service && generatedRoot is not null)
            {
                // Leave a given media root as it was: remove exactly the files this run wrote (a started service's
                // temp directory is deleted whole).
                foreach (var name in generated.Append(BigFileName))
                {
                    File.Delete(Path.Combine(generatedRoot, "recordings", device, name));
                }
            }
        }
    }

    internal const string BigFileName = "perf_large.mp4";

    internal static string FileName(int index) => $"perf_{index:D6}.mp4";

    /// <summary>
    /// Writes <paramref name="count"/> small recordings (1 KiB each, modification times one minute apart so "newest
    /// first" is well defined) and one sparse large file under <c>recordings/&lt;device&gt;/</c>.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> GenerateAsync(string root, string device, int count, int bigMiB, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, "recordings", device)).FullName;
        var content = new byte[1024];
        new Random(1).NextBytes(content);
        var origin = TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(-count);
        var names = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var name = FileName(i);
            var path = Path.Combine(directory, name);
            await File.WriteAllBytesAsync(path, content, ct).ConfigureAwait(false);
            File.SetLastWriteTimeUtc(path, origin.AddMinutes(i));
            names[i] = name;
        }).ConfigureAwait(false);
        using (var big = new FileStream(Path.Combine(directory, BigFileName), FileMode.Create, FileAccess.Write))
        {
            // Sparse: the download path reads it like any file, without writing a gigabyte to disk first.
            big.SetLength(bigMiB * 1024L * 1024L);
        }

        return names;
    }

    private static MethodMix MixOf(IReadOnlyList<RpcMethod> methods) => MethodMix.Of(methods);

    private static async Task<Dictionary<string, string?>> CollectNamesAsync(RpcConnection connection, IReadOnlyList<RpcMethod> pages, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var page in pages.Take(8))
        {
            var outcome = await connection.CallAsync(page, capture: true, cancellationToken).ConfigureAwait(false);
            if (!outcome.IsOk)
            {
                continue;
            }

            using var document = outcome.ParseMessage()!;
            if (document.RootElement.TryGetProperty("result", out var result)
                && result.ValueKind == JsonValueKind.Object
                && result.TryGetProperty("files", out var files)
                && files.ValueKind == JsonValueKind.Array)
            {
                foreach (var file in files.EnumerateArray())
                {
                    if (file.TryGetProperty("filename", out var name) && name.GetString() is { } n && n != BigFileName)
                    {
                        names[n] = file.TryGetProperty("download_url", out var url) ? url.GetString() : null;
                    }
                }
            }
        }

        return names;
    }

    /// <summary>
    /// The service's <c>download_url</c> (path and signed query) re-based on the target's loopback address: the
    /// URL's host is the configured public name, and the harness must not send traffic anywhere but 127.0.0.1.
    /// </summary>
    internal static Uri DownloadUri(TargetInfo target, string name, string? downloadUrl)
    {
        ArgumentNullException.ThrowIfNull(target);
        return downloadUrl is not null && Uri.TryCreate(downloadUrl, UriKind.Absolute, out var given)
            ? new Uri(target.HttpBase, given.PathAndQuery)
            : new Uri(target.HttpBase, "files/recordings/" + Uri.EscapeDataString(name));
    }

    private static HttpClient CreateHttpClient(TargetInfo target)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 256 };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
        if (target.Token is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    private static async Task<long> DownloadAsync(HttpClient http, Uri url, string label, Measurements sink, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                sink.Record(label, (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, "http:" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), false);
                return 0;
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
            long total = 0;
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            sink.Record(label, (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, "ok", true);
            return total;
        }
        catch (HttpRequestException ex)
        {
            sink.Record(label, (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, "http-error: " + ex.HttpRequestError, false);
            return 0;
        }
    }
}

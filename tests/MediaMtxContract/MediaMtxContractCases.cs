using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CameraService.Plugins.MediaMtx;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace MediaMtxContract;

/// <summary>The MediaMTX a contract run talks to: its Control API and, optionally, Basic credentials of an <c>api</c> user.</summary>
public sealed record MediaMtxTarget(Uri ApiUrl, string? Username = null, string? Password = null);

/// <summary>One case of the contract: a name (stable, used in reports and test names) and what it checks.</summary>
public sealed record MediaMtxContractCase(string Name, string Checks, Func<MediaMtxTarget, Task> RunAsync);

/// <summary>The outcome of one case: passed, or the first line of why not.</summary>
public sealed record MediaMtxContractResult(string Name, string Checks, bool Passed, string? Failure, double Seconds);

/// <summary>
/// The client contract: what the plugin's <see cref="MediaMtxClient"/> must get from any MediaMTX it drives. The same
/// cases run against the emulator (always, under xUnit), a real MediaMTX (under xUnit when <c>MEDIAMTX_API_URL</c> is
/// set) and the MediaMTX a chaos run starts (<c>perf/run.sh chaos --mediamtx</c>, without a runner). They only use
/// behaviour both must share (status codes, round-trips), never emulator extras. A failed check throws (xunit.assert).
/// </summary>
public static class MediaMtxContractCases
{
    /// <summary>Every case, in the order they run and are reported.</summary>
    public static IReadOnlyList<MediaMtxContractCase> All { get; } =
    [
        new("info-has-version-and-started", "GET /v3/info: a v-prefixed version and a start time", InfoHasVersionAndStartedAsync),
        new("path-lifecycle-round-trips", "config paths add (400 when it exists) / get / patch / replace / delete (404 after), paths/get, recordings/get", PathLifecycleRoundTripsAsync),
        new("replace-creates-missing-path", "config paths replace of a missing path creates it", ReplaceCreatesMissingPathAsync),
        new("invalid-config-rejected-400", "a bad recordFormat and an unknown field are 400 with an error text", InvalidConfigRejectedWith400Async),
    ];

    /// <summary>Runs one case by name (throws what its failed check throws).</summary>
    public static Task RunAsync(string name, MediaMtxTarget target)
        => All.SingleOrDefault(c => c.Name == name) is { } contractCase
            ? contractCase.RunAsync(target)
            : throw new ArgumentException($"no MediaMTX contract case named '{name}'", nameof(name));

    /// <summary>Runs every case, each bounded by <paramref name="perCase"/>; never throws for a failed case.</summary>
    public static async Task<IReadOnlyList<MediaMtxContractResult>> RunAllAsync(MediaMtxTarget target, TimeSpan perCase, CancellationToken cancellationToken)
    {
        var results = new List<MediaMtxContractResult>();
        foreach (var contractCase in All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            string? failure = null;
            try
            {
                await contractCase.RunAsync(target).WaitAsync(perCase, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                failure = $"did not finish within {perCase.TotalSeconds:0} s";
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure = ex.GetType().Name + ": " + FirstLines(ex.Message);
            }

            results.Add(new MediaMtxContractResult(contractCase.Name, contractCase.Checks, failure is null, failure, Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2)));
        }

        return results;
    }

    private static string FirstLines(string message)
        => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(4));

    private static MediaMtxClient Client(MediaMtxTarget target)
    {
        var services = new ServiceCollection();
        services.AddHttpClient();
        var factory = services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        var options = new MediaMtxOptions { ApiUrl = target.ApiUrl, Username = target.Username, Password = target.Password };
        return new MediaMtxClient(factory, Options.Create(options), TimeProvider.System, NullLogger<MediaMtxClient>.Instance);
    }

    private static async Task InfoHasVersionAndStartedAsync(MediaMtxTarget target)
    {
        var info = await Client(target).GetInfoAsync(CancellationToken.None).ConfigureAwait(false);
        Assert.StartsWith("v", info.Version, StringComparison.Ordinal);
        Assert.NotNull(info.Started);
    }

    private static async Task PathLifecycleRoundTripsAsync(MediaMtxTarget target)
    {
        var client = Client(target);
        var name = "contract-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await client.AddPathAsync(name, new JsonObject { ["runOnDemand"] = "ffmpeg -i x -f rtsp rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH", ["recordSegmentDuration"] = "60s", ["recordDeleteAfter"] = "0s" }, CancellationToken.None).ConfigureAwait(false);
            var add = await Assert.ThrowsAsync<MediaMtxApiException>(() => client.AddPathAsync(name, [], CancellationToken.None)).ConfigureAwait(false);
            Assert.Equal(HttpStatusCode.BadRequest, add.Status);

            var conf = await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c != null).ConfigureAwait(false);
            Assert.Equal(name, conf!["name"]!.GetValue<string>());
            Assert.Equal(TimeSpan.FromMinutes(1), PathConfigBuilder.ParseDuration(conf["recordSegmentDuration"]!.GetValue<string>()));
            Assert.Equal(TimeSpan.Zero, PathConfigBuilder.ParseDuration(conf["recordDeleteAfter"]!.GetValue<string>()));

            await client.PatchPathAsync(name, new JsonObject { ["record"] = true }, CancellationToken.None).ConfigureAwait(false);
            conf = await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c?["record"]?.GetValue<bool>() == true).ConfigureAwait(false);
            Assert.Contains("ffmpeg", conf!["runOnDemand"]!.GetValue<string>(), StringComparison.Ordinal);

            await client.ReplacePathAsync(name, new JsonObject { ["recordFormat"] = "fmp4" }, CancellationToken.None).ConfigureAwait(false);
            conf = await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c?["record"]?.GetValue<bool>() == false).ConfigureAwait(false);
            Assert.Equal(string.Empty, conf!["runOnDemand"]!.GetValue<string>());

            var path = await PollAsync(() => client.GetPathAsync(name, CancellationToken.None), p => p != null).ConfigureAwait(false);
            Assert.False(path!.Ready);
            Assert.Contains(await client.ListPathConfigsAsync(CancellationToken.None).ConfigureAwait(false), c => c["name"]!.GetValue<string>() == name);
            var rec = await client.GetRecordingAsync(name, CancellationToken.None).ConfigureAwait(false);
            Assert.NotNull(rec);
            Assert.Empty(rec!.Segments);
        }
        finally
        {
            Assert.True(await client.DeletePathAsync(name, CancellationToken.None).ConfigureAwait(false));
        }

        Assert.False(await client.DeletePathAsync(name, CancellationToken.None).ConfigureAwait(false));
        Assert.Null(await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c is null).ConfigureAwait(false));
        var patch = await Assert.ThrowsAsync<MediaMtxApiException>(() => client.PatchPathAsync(name, [], CancellationToken.None)).ConfigureAwait(false);
        Assert.Equal(HttpStatusCode.NotFound, patch.Status);
    }

    private static async Task ReplaceCreatesMissingPathAsync(MediaMtxTarget target)
    {
        var client = Client(target);
        var name = "contract-" + Guid.NewGuid().ToString("N")[..8];
        await client.ReplacePathAsync(name, [], CancellationToken.None).ConfigureAwait(false);
        Assert.NotNull(await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c != null).ConfigureAwait(false));
        Assert.True(await client.DeletePathAsync(name, CancellationToken.None).ConfigureAwait(false));
    }

    private static async Task InvalidConfigRejectedWith400Async(MediaMtxTarget target)
    {
        var ex = await Assert.ThrowsAsync<MediaMtxApiException>(() => Client(target).AddPathAsync("contract-bad", new JsonObject { ["recordFormat"] = "mkv" }, CancellationToken.None)).ConfigureAwait(false);
        Assert.Equal(HttpStatusCode.BadRequest, ex.Status);
        Assert.False(string.IsNullOrEmpty(ex.Error));
        var unknown = await Assert.ThrowsAsync<MediaMtxApiException>(() => Client(target).AddPathAsync("contract-bad", new JsonObject { ["test"] = 1 }, CancellationToken.None)).ConfigureAwait(false);
        Assert.Equal("json: unknown field \"test\"", unknown.Error);
    }

    /// <summary>Real MediaMTX applies config asynchronously (v1.20.1): poll instead of assuming read-after-write.</summary>
    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var started = Stopwatch.GetTimestamp();
        var limit = TimeSpan.FromSeconds(5);
        while (true)
        {
            var v = await read().ConfigureAwait(false);
            if (done(v) || Stopwatch.GetElapsedTime(started) > limit)
            {
                return v;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}

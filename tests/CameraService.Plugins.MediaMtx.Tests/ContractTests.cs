using System.Net;
using System.Text.Json.Nodes;
using CameraService.Abstractions;
using MediaMtxEmulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>A Fact that runs only when MEDIAMTX_API_URL names a real MediaMTX (v1.15.5+ with the API on); otherwise reported skipped.</summary>
public sealed class RealMediaMtxFactAttribute : FactAttribute
{
    public RealMediaMtxFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MEDIAMTX_API_URL")))
        {
            Skip = "Set MEDIAMTX_API_URL (e.g. http://127.0.0.1:9997) to run the contract suite against a real MediaMTX.";
        }
    }
}

/// <summary>
/// The client contract: the same assertions run against the emulator (always) and a real MediaMTX (when
/// MEDIAMTX_API_URL is set). They only use behaviour both must share (status codes, round-trips), never emulator extras.
/// </summary>
public abstract class ContractSuite
{
    protected abstract Uri ApiUrl { get; }

    private MediaMtxClient Client()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions.AddHttpClient(services);
        var factory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IHttpClientFactory>(
            Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services));
        var options = new MediaMtxOptions
        {
            ApiUrl = ApiUrl,
            Username = Environment.GetEnvironmentVariable("MEDIAMTX_API_USER"),
            Password = Environment.GetEnvironmentVariable("MEDIAMTX_API_PASS"),
        };
        return new MediaMtxClient(factory, Options.Create(options), TimeProvider.System, NullLogger<MediaMtxClient>.Instance);
    }

    protected async Task InfoHasVersionAndStarted()
    {
        var info = await Client().GetInfoAsync(CancellationToken.None);
        Assert.StartsWith("v", info.Version, StringComparison.Ordinal);
        Assert.NotNull(info.Started);
    }

    protected async Task PathLifecycleRoundTrips()
    {
        var client = Client();
        var name = "contract-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await client.AddPathAsync(name, new JsonObject { ["runOnDemand"] = "ffmpeg -i x -f rtsp rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH", ["recordSegmentDuration"] = "60s", ["recordDeleteAfter"] = "0s" }, CancellationToken.None);
            var add = await Assert.ThrowsAsync<MediaMtxApiException>(() => client.AddPathAsync(name, [], CancellationToken.None));
            Assert.Equal(HttpStatusCode.BadRequest, add.Status);

            var conf = await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c != null);
            Assert.Equal(name, conf!["name"]!.GetValue<string>());
            Assert.Equal(TimeSpan.FromMinutes(1), PathConfigBuilder.ParseDuration(conf["recordSegmentDuration"]!.GetValue<string>()));
            Assert.Equal(TimeSpan.Zero, PathConfigBuilder.ParseDuration(conf["recordDeleteAfter"]!.GetValue<string>()));

            await client.PatchPathAsync(name, new JsonObject { ["record"] = true }, CancellationToken.None);
            conf = await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c?["record"]?.GetValue<bool>() == true);
            Assert.Contains("ffmpeg", conf!["runOnDemand"]!.GetValue<string>(), StringComparison.Ordinal);

            await client.ReplacePathAsync(name, new JsonObject { ["recordFormat"] = "fmp4" }, CancellationToken.None);
            conf = await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c?["record"]?.GetValue<bool>() == false);
            Assert.Equal(string.Empty, conf!["runOnDemand"]!.GetValue<string>());

            var path = await PollAsync(() => client.GetPathAsync(name, CancellationToken.None), p => p != null);
            Assert.False(path!.Ready);
            Assert.Contains(await client.ListPathConfigsAsync(CancellationToken.None), c => c["name"]!.GetValue<string>() == name);
            var rec = await client.GetRecordingAsync(name, CancellationToken.None);
            Assert.NotNull(rec);
            Assert.Empty(rec!.Segments);
        }
        finally
        {
            Assert.True(await client.DeletePathAsync(name, CancellationToken.None));
        }

        Assert.False(await client.DeletePathAsync(name, CancellationToken.None));
        Assert.Null(await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c is null));
        var patch = await Assert.ThrowsAsync<MediaMtxApiException>(() => client.PatchPathAsync(name, [], CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, patch.Status);
    }

    protected async Task ReplaceCreatesMissingPath()
    {
        var client = Client();
        var name = "contract-" + Guid.NewGuid().ToString("N")[..8];
        await client.ReplacePathAsync(name, [], CancellationToken.None);
        Assert.NotNull(await PollAsync(() => client.GetPathConfigAsync(name, CancellationToken.None), c => c != null));
        Assert.True(await client.DeletePathAsync(name, CancellationToken.None));
    }

    protected async Task InvalidConfigRejectedWith400()
    {
        var ex = await Assert.ThrowsAsync<MediaMtxApiException>(() => Client().AddPathAsync("contract-bad", new JsonObject { ["recordFormat"] = "mkv" }, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, ex.Status);
        Assert.False(string.IsNullOrEmpty(ex.Error));
        var unknown = await Assert.ThrowsAsync<MediaMtxApiException>(() => Client().AddPathAsync("contract-bad", new JsonObject { ["test"] = 1 }, CancellationToken.None));
        Assert.Equal("json: unknown field \"test\"", unknown.Error);
    }

    /// <summary>Real MediaMTX applies config asynchronously (v1.20.1): poll instead of assuming read-after-write.</summary>
    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(5);
        while (true)
        {
            var v = await read();
            if (done(v) || deadline.Elapsed > limit)
            {
                return v;
            }

            await Task.Delay(50);
        }
    }
}

public sealed class EmulatorContractTests : ContractSuite, IAsyncLifetime
{
    private readonly Emulator _emu = new(new EmulatorOptions { ApiAddress = "127.0.0.1:0", RtspAddress = "127.0.0.1:0", RecordingsRoot = Path.GetTempPath() });

    protected override Uri ApiUrl => _emu.ApiUrl;

    public Task InitializeAsync() => _emu.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await _emu.DisposeAsync();

    [Fact]
    public Task Info_HasVersionAndStarted() => InfoHasVersionAndStarted();

    [Fact]
    public Task Path_Lifecycle_RoundTrips() => PathLifecycleRoundTrips();

    [Fact]
    public Task Replace_Missing_CreatesPath() => ReplaceCreatesMissingPath();

    [Fact]
    public Task InvalidConfig_Rejected400() => InvalidConfigRejectedWith400();
}

public sealed class RealMediaMtxContractTests : ContractSuite
{
    protected override Uri ApiUrl => new(Environment.GetEnvironmentVariable("MEDIAMTX_API_URL") ?? "http://127.0.0.1:9997");

    [RealMediaMtxFact]
    public Task Info_HasVersionAndStarted() => InfoHasVersionAndStarted();

    [RealMediaMtxFact]
    public Task Path_Lifecycle_RoundTrips() => PathLifecycleRoundTrips();

    [RealMediaMtxFact]
    public Task Replace_Missing_CreatesPath() => ReplaceCreatesMissingPath();

    [RealMediaMtxFact]
    public Task InvalidConfig_Rejected400() => InvalidConfigRejectedWith400();
}

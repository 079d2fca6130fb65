using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace CameraService.Core.Tests;

public sealed class SystemMethodsTests
{
    [Fact]
    public async Task GetServerInfo_ListsPluginsWithStates()
    {
        await using var core = new CoreHarness();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var result = (await CoreHarness.CallAsync(session, "get_server_info")).Result();

        Assert.Equal("camera-service", result.Str("name"));
        Assert.False(string.IsNullOrEmpty(result.Str("version")));
        Assert.False(string.IsNullOrEmpty(result.Str("runtime")));
        Assert.False(string.IsNullOrEmpty(result.Str("architecture")));
        Assert.Equal(64, result.GetProperty("max_cameras").GetInt32());
        Assert.Contains("mp4", result.GetProperty("supported_formats").EnumerateArray().Select(f => f.GetString()));
        var plugins = result.GetProperty("plugins").EnumerateArray().Select(p => (p.Str("id"), p.Str("version"), p.Str("status"))).ToList();
        Assert.Equal([("v4l2", "1.0.0", "LOADED"), ("mediamtx", "1.2.0", "DISABLED")], plugins);
    }

    [Fact]
    public async Task GetStatus_NothingLoaded_ReportsComponentsAndUnhealthy()
    {
        await using var core = new CoreHarness();
        await core.StartAsync();
        core.Time.Advance(TimeSpan.FromSeconds(90));
        var session = await core.AuthenticatedAsync(ApiRole.Admin);

        var result = (await CoreHarness.CallAsync(session, "get_status")).Result();

        Assert.Equal("UNHEALTHY", result.Str("status"));
        Assert.Equal(90, result.GetProperty("uptime").GetInt64());
        var components = result.GetProperty("components");
        Assert.Equal("STOPPED", components.Str("api"));
        Assert.Equal("STOPPED", components.Str("camera_sources"));
        Assert.Equal("ERROR", components.Str("stream_backend"));
        Assert.Equal("ERROR", components.Str("storage"));
    }

    [Fact]
    public async Task GetStatus_AllRunning_Healthy_AndBackendDownIsDegraded()
    {
        var transport = Substitute.For<IApiTransport>();
        transport.Name.Returns("websocket");
        transport.GetHealth().Returns(ComponentStatus.Running);
        var backend = Substitute.For<IStreamBackend>();
        backend.Name.Returns("mediamtx");
        backend.GetHealth().Returns(ComponentStatus.Running);
        var store = Substitute.For<IMediaStore>();
        store.Name.Returns("storage");
        store.GetStatus().Returns(new StorageStatus { TotalBytes = 100, UsedBytes = 10, AvailableBytes = 90, UsagePercent = 10, RecordingsBytes = 1, SnapshotsBytes = 1, WarnPercent = 80, BlockPercent = 90, Level = StorageLevel.Ok });
        await using var core = new CoreHarness(
            configure: s =>
            {
                s.AddSingleton(transport);
                s.AddSingleton(backend);
                s.AddSingleton(store);
            },
            sources: new FakeCameraSource());
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Admin);

        var healthy = (await CoreHarness.CallAsync(session, "get_status")).Result();
        backend.GetHealth().Returns(new ComponentStatus { State = ComponentState.Error, Message = "MediaMTX unreachable" });
        var degraded = (await CoreHarness.CallAsync(session, "get_status")).Result();

        Assert.Equal("HEALTHY", healthy.Str("status"));
        Assert.All(healthy.GetProperty("components").EnumerateObject(), c => Assert.Equal("RUNNING", c.Value.GetString()));
        Assert.Equal("DEGRADED", degraded.Str("status"));
        Assert.Equal("ERROR", degraded.GetProperty("components").Str("stream_backend"));
    }

    [Fact]
    public async Task GetMetrics_ReportsApiAndSystemSections()
    {
        var backend = Substitute.For<IStreamBackend>();
        backend.Name.Returns("mediamtx");
        backend.GetStreamsAsync(Arg.Any<CancellationToken>()).ThrowsAsync(new DependencyFailedException("mediamtx", "down"));
        await using var core = new CoreHarness(configure: s => s.AddSingleton(backend));
        var session = await core.AuthenticatedAsync(ApiRole.Admin);
        for (var i = 0; i < 10; i++)
        {
            await CoreHarness.CallAsync(session, "ping");
        }

        await CoreHarness.CallAsync(session, "nope");
        core.Time.Advance(TimeSpan.FromSeconds(1));

        var result = (await CoreHarness.CallAsync(session, "get_metrics")).Result();

        Assert.Equal("2026-11-27T10:00:01.000Z", result.Str("timestamp"));
        var api = result.GetProperty("api_metrics");
        Assert.Equal(1, api.GetProperty("connections").GetInt32());
        Assert.True(api.GetProperty("requests_per_second").GetDouble() > 0);
        Assert.True(api.GetProperty("error_rate").GetDouble() > 0);
        foreach (var name in new[] { "p50_ms", "p95_ms", "p99_ms" })
        {
            Assert.Equal(JsonValueKind.Number, api.GetProperty(name).ValueKind);
        }

        var system = result.GetProperty("system_metrics");
        Assert.True(system.GetProperty("threads").GetInt32() > 0);
        Assert.InRange(system.GetProperty("memory_usage").GetDouble(), 0.01, 100);
        Assert.InRange(system.GetProperty("cpu_usage").GetDouble(), 0, 100);
        Assert.InRange(system.GetProperty("disk_usage").GetDouble(), 0.01, 100);
        Assert.Equal(0, result.GetProperty("camera_metrics").GetProperty("connected_cameras").GetInt32());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("stream_metrics").ValueKind);
    }

    [Fact]
    public async Task GetMetrics_ConnectionsDropWhenSessionCloses()
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);
        var (other, _) = core.Open();

        var two = (await CoreHarness.CallAsync(admin, "get_metrics")).Result();
        other.Dispose();
        var one = (await CoreHarness.CallAsync(admin, "get_metrics")).Result();

        Assert.Equal(2, two.GetProperty("api_metrics").GetProperty("connections").GetInt32());
        Assert.Equal(1, one.GetProperty("api_metrics").GetProperty("connections").GetInt32());
    }

    [Fact]
    public async Task PublicEndpoint_DefaultAndConfiguredBaseUrl()
    {
        await using var byHost = new CoreHarness(new Dictionary<string, string?> { ["Api:Port"] = "9000" });
        await using var configured = new CoreHarness(new Dictionary<string, string?> { ["Api:PublicBaseUrl"] = "https://cams.example.org/" });

        var a = byHost.Services.GetRequiredService<PublicEndpoint>();
        var b = configured.Services.GetRequiredService<PublicEndpoint>();

        Assert.Equal("http://camera.test:9000", a.BaseUrl);
        Assert.Equal("https://cams.example.org/files/recordings/x.mp4?token=a%2Bb", b.BuildUrl("/files/recordings/x.mp4", "a+b"));
    }

    [Fact]
    public async Task ApiOptions_InvalidValues_FailValidationNamingKey()
    {
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["Api:MaxBatchSize"] = "0", ["Api:PublicBaseUrl"] = "ftp://x" });

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => core.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value);

        Assert.Contains("Api:MaxBatchSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Api:PublicBaseUrl", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCameraServiceCore_ResolvesContractsAsSingletons()
    {
        await using var core = new CoreHarness();

        Assert.Same(core.Services.GetRequiredService<IRpcEndpoint>(), core.Services.GetRequiredService<IRpcEndpoint>());
        Assert.Same(core.Services.GetRequiredService<IAccessControl>(), core.Services.GetRequiredService<IAccessControl>());
        Assert.Same(
            core.Services.GetRequiredService<Core.Events.IEventPublisher>(),
            core.Services.GetRequiredService<Core.Events.EventHub>());
    }
}

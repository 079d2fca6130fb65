using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Tests;

/// <summary>
/// Issue 17, hole 4, for the external-stream methods: a client scoped to one network camera must not see, remove or
/// hear about the other streams, and may not add streams or scan the network (docs/security.md, "Per-camera scope").
/// </summary>
public sealed class ExternalStreamScopeTests : IAsyncLifetime
{
    private const string OwnUrl = "rtsp://10.0.0.1/own";
    private const string OtherUrl = "rtsp://10.0.0.2/other";
    private readonly FakeCameraSource _usb = new();
    private readonly FakeExternalStreamSource _rtsp = new();
    private CoreHarness _core = null!;
    private IRpcSession _admin = null!;
    private string _own = null!;
    private string _other = null!;

    public async Task InitializeAsync()
    {
        _core = new CoreHarness(sources: [_usb, _rtsp]);
        await _core.StartAsync();
        _usb.Plug(FakeCameraSource.Camera("usb-0", "Front", "/dev/video0"));
        _admin = await _core.AuthenticatedAsync(ApiRole.Admin);
        (await CoreHarness.CallAsync(_admin, "add_external_stream", $$"""{"stream_url":"{{OwnUrl}}","stream_name":"Gate"}""")).Result();
        (await CoreHarness.CallAsync(_admin, "add_external_stream", $$"""{"stream_url":"{{OtherUrl}}","stream_name":"Yard"}""")).Result();
        _own = await DeviceAsync(OwnUrl);
        _other = await DeviceAsync(OtherUrl);
        Assert.NotEqual(_own, _other);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task GetExternalStreams_Scoped_ListsOnlyItsCamerasStreams()
    {
        var (scoped, _) = await ScopedAsync(_own);

        var mine = (await CoreHarness.CallAsync(scoped, "get_external_streams")).Result();
        var all = (await CoreHarness.CallAsync(_admin, "get_external_streams")).Result();

        Assert.Equal([OwnUrl], mine.GetProperty("external_streams").EnumerateArray().Select(e => e.Str("url")));
        Assert.Equal(1, mine.GetProperty("total_count").GetInt32());
        Assert.Equal([OwnUrl], mine.GetProperty("generic_streams").EnumerateArray().Select(e => e.Str("url")));
        Assert.Equal(2, all.GetProperty("total_count").GetInt32());
    }

    [Fact]
    public async Task RemoveExternalStream_ScopedOnAnotherCamerasStream_RefusedLikeAnUnknownOneAndKept()
    {
        var (scoped, _) = await ScopedAsync(_own);

        var other = await CoreHarness.CallAsync(scoped, "remove_external_stream", $$"""{"stream_url":"{{OtherUrl}}"}""");
        var unknown = await CoreHarness.CallAsync(scoped, "remove_external_stream", """{"stream_url":"rtsp://10.9.9.9/none"}""");
        var own = await CoreHarness.CallAsync(scoped, "remove_external_stream", $$"""{"stream_url":"{{OwnUrl}}"}""");

        Assert.Equal("camera_not_allowed", other.Error(RpcErrorCodes.PermissionDenied).Str("reason"));
        Assert.Equal(other.GetProperty("error").GetRawText(), unknown.GetProperty("error").GetRawText());
        Assert.Equal("REMOVED", own.Result().Str("status"));
        Assert.Equal([OtherUrl], _rtsp.GetExternalStreams().Select(s => s.Url));
    }

    [Theory]
    [InlineData("add_external_stream", """{"stream_url":"rtsp://10.0.0.3/new","stream_name":"New"}""")]
    [InlineData("discover_external_streams", null)]
    [InlineData("set_discovery_interval", """{"scan_interval":60}""")]
    public async Task BoxWideMethods_Scoped_RefusedAndNothingChanges(string method, string? parameters)
    {
        var (scoped, _) = await ScopedAsync(_own, ApiRole.Admin);

        var response = await CoreHarness.CallAsync(scoped, method, parameters);

        Assert.Equal("camera_scope_limited", response.Error(RpcErrorCodes.PermissionDenied).Str("reason"));
        Assert.Equal(2, _rtsp.GetExternalStreams().Count);
        Assert.Equal(0, _rtsp.Scans);
        Assert.Equal(TimeSpan.Zero, _rtsp.DiscoveryInterval);
    }

    [Fact]
    public async Task ExternalStreamUpdates_Scoped_OnlyAboutItsOwnCamera()
    {
        var (_, connection) = await ScopedAsync(_own);
        var unscoped = new FakeRpcConnection();
        await _core.AuthenticatedAsync(ApiRole.Viewer, unscoped);
        _rtsp.Discoverable.Add("rtsp://10.0.0.7/found");

        (await CoreHarness.CallAsync(_admin, "discover_external_streams")).Result();
        (await CoreHarness.CallAsync(_admin, "remove_external_stream", $$"""{"stream_url":"{{OtherUrl}}"}""")).Result();
        (await CoreHarness.CallAsync(_admin, "remove_external_stream", $$"""{"stream_url":"{{OwnUrl}}"}""")).Result();

        var heard = Updates(connection);
        Assert.Equal([OwnUrl], heard.Select(u => u.Str("stream_url")).Distinct());
        Assert.Contains(Updates(unscoped), u => u.Str("stream_url") == "rtsp://10.0.0.7/found");
        Assert.Contains(Updates(unscoped), u => u.Str("stream_url") == OtherUrl);
    }

    private static List<JsonElement> Updates(FakeRpcConnection connection) =>
        [.. connection.Parsed.Where(n => n.Str("method") == "external_stream_update").Select(n => n.GetProperty("params"))];

    /// <summary>The camera id of an added stream, once the registry has given it one.</summary>
    private async Task<string> DeviceAsync(string url)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var list = (await CoreHarness.CallAsync(_admin, "get_external_streams")).Result();
            var entry = list.GetProperty("external_streams").EnumerateArray().Single(e => e.Str("url") == url);
            if (entry.GetProperty("device").ValueKind == JsonValueKind.String)
            {
                return entry.Str("device")!;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("the added stream " + url + " never became a camera");
    }

    private async Task<(IRpcSession Session, FakeRpcConnection Connection)> ScopedAsync(string camera, ApiRole role = ApiRole.Operator)
    {
        var token = _core.Services.GetRequiredService<JwtTokenService>().Create("scoped", role, TimeSpan.FromHours(1), [camera]);
        var connection = new FakeRpcConnection();
        var session = _core.Endpoint.OpenSession(connection);
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""")).Result();
        return (session, connection);
    }
}

using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CameraService.Client;
using MediaMtxEmulator;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// Issue 17, hole 1: MediaMTX with <c>authMethod: http</c> pointed at the real service's <c>POST /mediamtx/auth</c>
/// (the shipped deploy/mediamtx/mediamtx.yml). The emulator calls the endpoint the way MediaMTX v1.20 does for its
/// API, RTSP/HLS reads and publishes; each case is an attack (or the legitimate use) and its verdict.
/// </summary>
public sealed class MediaMtxAuthTests : IAsyncLifetime
{
    private readonly MediaMtxServiceFixture _fx = new();

    private Emulator Emulator => _fx.Emulator;

    public async Task InitializeAsync()
    {
        await _fx.InitializeAsync();

        // Switch the running MediaMTX to the shipped auth settings; from now on every access asks the service.
        using var http = new HttpClient();
        var patch = new JsonObject
        {
            ["authMethod"] = "http",
            ["authHTTPAddress"] = _fx.Service.BaseUrl + "/mediamtx/auth",
            ["authHTTPExclude"] = new JsonArray(),
        };
        using var response = await http.PatchAsJsonAsync(new Uri(Emulator.ApiUrl, "/v3/config/global/patch"), patch);
        response.EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await _fx.DisposeAsync();

    [Fact]
    public async Task AnonymousRtspAndHlsRead_Denied()
    {
        Assert.Null(await Emulator.ReadAsync("camera0", "rtsp"));
        Assert.Null(await Emulator.ReadAsync("camera0", "hls"));
        Assert.Null(await Emulator.ReadAsync("camera0", "rtsp", new ClientCredentials("any", string.Empty)));
        Assert.Contains(Emulator.AuthDecisions, d => d is { Action: "read", Path: "camera0", Allowed: false });
    }

    [Fact]
    public async Task StreamUrlToken_AllowsThatCameraOnly()
    {
        var url = (await _fx.Client.GetStreamUrlAsync("camera0")).StreamUrlValue!;
        var query = new Uri(url).Query.TrimStart('?');

        Assert.StartsWith("token=", query, StringComparison.Ordinal);
        Assert.NotNull(await Emulator.ReadAsync("camera0", "rtsp", query: query));
        Assert.NotNull(await Emulator.ReadAsync("camera0", "hls", query: query));
        Assert.Null(await Emulator.ReadAsync("camera1", "rtsp", query: query));
    }

    [Fact]
    public async Task JwtAsPasswordOrToken_AllowsRead_ButNeverPublish()
    {
        var viewer = await _fx.Service.CreateTokenAsync("viewer");

        Assert.NotNull(await Emulator.ReadAsync("camera1", "rtsp", new ClientCredentials("me", viewer)));
        Assert.NotNull(await Emulator.ReadAsync("camera1", "hls", new ClientCredentials(Token: viewer)));
        Assert.False(await Emulator.PublishAsAsync("camera1", new ClientCredentials("me", viewer)));
        Assert.False(await Emulator.PublishAsAsync("camera1", new ClientCredentials("any", string.Empty)));
        Assert.False(await Emulator.PublishAsAsync("camera1", new ClientCredentials("camera-service", "guessed")));
    }

    [Fact]
    public async Task ScopedApiKey_ReadsItsCameraOnly_AndRevocationEndsItsStreamUrls()
    {
        var output = await _fx.Service.RunCliAsync("apikey", "create", "--role", "viewer", "--cameras", "camera1", "--name", "scoped-e2e");
        var key = output.Trim();
        await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = _fx.Service.WebSocketUrl, Token = key });
        var url = (await client.GetStreamUrlAsync("camera1")).StreamUrlValue!;
        var query = new Uri(url).Query.TrimStart('?');
        var before = await Emulator.ReadAsync("camera1", "rtsp", query: query);
        var other = await Emulator.ReadAsync("camera0", "rtsp", new ClientCredentials("me", key));

        var list = await _fx.Service.RunCliAsync("apikey", "list");
        var id = list.Split('\n').Single(l => l.Contains("scoped-e2e", StringComparison.Ordinal)).Split(' ')[0];
        await _fx.Service.RunCliAsync("apikey", "revoke", id);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the service re-reads the key file at most once a second
        var after = await Emulator.ReadAsync("camera1", "rtsp", query: query);

        Assert.NotNull(before);
        Assert.Null(other);
        Assert.Null(after);
    }

    [Fact]
    public async Task ServicesOwnPublisherAndApiCalls_Allowed()
    {
        // start_streaming makes the plugin change the path over the API and MediaMTX start the publisher, which
        // publishes with the service's own credential: both go through the auth endpoint.
        var before = Emulator.AuthDecisions.Count;
        await _fx.Client.StartStreamingAsync("camera0");

        Assert.True(await Media.WaitUntil(() => Emulator.AuthDecisions.Skip(before).Any(d => d is { Action: "publish", Path: "camera0", Allowed: true }), TimeSpan.FromSeconds(20)),
            "no allowed publish: " + string.Join(", ", Emulator.AuthDecisions));
        Assert.Contains(Emulator.AuthDecisions.Skip(before), d => d is { Action: "api", User: "camera-service", Allowed: true });
        Assert.DoesNotContain(Emulator.AuthDecisions, d => d is { Action: "api", Allowed: false });
    }
}

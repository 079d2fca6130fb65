using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

public sealed class SessionTests : EmulatorTestBase
{
    private async Task<JsonArray> Items(string route)
    {
        var (status, body) = await Get(route);
        Assert.Equal(200, status);
        return body!["items"]!.AsArray();
    }

    [Fact]
    public async Task PublisherAndReaders_ListedGotAndValidAgainstSchemas()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        Emu.Publish("cam");
        var web = Emu.AddReader("cam", "webRTCSession");
        Emu.AddReader("cam", "hlsSession");
        Emu.AddReader("cam", "rtspSession");
        Emu.Advance(TimeSpan.FromSeconds(1));

        var rtsp = await Items("/v3/rtspsessions/list");
        Assert.Equal(["publish", "read"], rtsp.Select(i => i!["state"]!.GetValue<string>()));
        Assert.Equal(2, (await Items("/v3/rtspconns/list")).Count);
        Assert.Equal(web, Assert.Single(await Items("/v3/webrtcsessions/list"))!["id"]!.GetValue<string>());
        Assert.Equal("cam", Assert.Single(await Items("/v3/hlsmuxers/list"))!["path"]!.GetValue<string>());
        Assert.Single(await Items("/v3/hlssessions/list"));
        Assert.Empty(await Items("/v3/rtmpconns/list"));
        Assert.Empty(await Items("/v3/srtconns/list"));

        foreach (var (route, schema) in new[]
        {
            ("/v3/rtspsessions/list", "RTSPSessionList"), ("/v3/rtspconns/list", "RTSPConnList"), ("/v3/webrtcsessions/list", "WebRTCSessionList"),
            ("/v3/hlsmuxers/list", "HLSMuxerList"), ("/v3/hlssessions/list", "HLSSessionList"), ("/v3/rtmpconns/list", "RTMPConnList"),
            ("/v3/srtconns/list", "SRTConnList"), ($"/v3/webrtcsessions/get/{web}", "WebRTCSession"), ("/v3/hlsmuxers/get/cam", "HLSMuxer"),
        })
        {
            var (_, body) = await Get(route);
            var errors = OpenApiSchemas.Validate(schema, body);
            Assert.True(errors.Count == 0, route + ": " + string.Join("; ", errors));
        }
    }

    [Fact]
    public async Task GetAndKick_BadIdsAndUnknownIds_UpstreamErrors()
    {
        var random = Guid.NewGuid().ToString();
        AssertError(await Get("/v3/rtspsessions/get/abc"), 400, "invalid UUID length: 3");
        AssertError(await Get($"/v3/rtspsessions/get/{random}"), 404, "session not found");
        AssertError(await Get($"/v3/rtspconns/get/{random}"), 404, "connection not found");
        AssertError(await Get($"/v3/webrtcsessions/get/{random}"), 404, "session not found");
        AssertError(await Post($"/v3/hlssessions/kick/{random}", string.Empty), 404, "session not found");
        AssertError(await Get("/v3/hlsmuxers/get/nope"), 404, "muxer not found");
        AssertError(await Post($"/v3/rtmpconns/kick/{random}", string.Empty), 404, "connection not found");
        AssertError(await Get($"/v3/srtconns/get/{random}"), 404, "connection not found");
        AssertError(await Get("/v3/rtspsessions/get/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"), 400, "invalid UUID format");
    }

    [Fact]
    public async Task Kick_PublisherAndReader_RemovedFromPath()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        Emu.Publish("cam");
        Emu.AddReader("cam", "webRTCSession");
        var publisher = (await Items("/v3/rtspsessions/list"))[0]!["id"]!.GetValue<string>();
        var reader = (await Items("/v3/webrtcsessions/list"))[0]!["id"]!.GetValue<string>();
        AssertOk(await Post($"/v3/webrtcsessions/kick/{reader}", string.Empty));
        Assert.Empty(await Items("/v3/webrtcsessions/list"));
        AssertOk(await Post($"/v3/rtspsessions/kick/{publisher}", string.Empty));
        Assert.Empty(await Items("/v3/rtspsessions/list"));
        var (_, p) = await Get("/v3/paths/get/cam");
        Assert.False(p!["ready"]!.GetValue<bool>());
        Assert.Empty(p["readers"]!.AsArray());
    }

    [Fact]
    public async Task DisabledProtocol_RoutesArePlain404()
    {
        AssertOk(await Patch("/v3/config/global/patch", """{"rtmp":false}"""));
        using var resp = await Http.GetAsync("/v3/rtmpconns/list");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("404 page not found", await resp.Content.ReadAsStringAsync());
    }
}

using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

public sealed class RuntimeTests : EmulatorTestBase
{
    [Fact]
    public async Task ConfiguredPath_IdleRuntimeShape()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        var (status, p) = await Get("/v3/paths/get/cam");
        Assert.Equal(200, status);
        Assert.Equal(
            """{"name":"cam","confName":"cam","source":null,"ready":false,"readyTime":null,"available":false,"availableTime":null,"online":false,"onlineTime":null,"tracks":[],"tracks2":[],"readers":[],"inboundBytes":0,"inboundFramesInError":0,"outboundBytes":0,"bytesReceived":0,"bytesSent":0}""",
            p!.ToJsonString());
        AssertError(await Get("/v3/paths/get/nonexisting"), 404, "path not found");
    }

    [Fact]
    public async Task StaticSource_SourceObjectWhileNotReady()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"source":"rtsp://127.0.0.1:1/x"}"""));
        var (_, p) = await Get("/v3/paths/get/cam");
        Assert.Equal("""{"type":"rtspSource","id":""}""", p!["source"]!.ToJsonString());
    }

    [Fact]
    public async Task SideChannel_PublishAndReaders_ReflectedInPath()
    {
        AssertOk(await Post("/v3/config/paths/add/my/nested/path", "{}"));
        AssertOk(await Post("/_emulator/publish", """{"path":"my/nested/path","tracks":[{"codec":"H264","width":1280,"height":720,"profile":"High","level":"3.1"}]}"""));
        var (_, r) = await Post("/_emulator/addReader", """{"path":"my/nested/path","type":"webRTCSession"}""");
        var readerId = r!["id"]!.GetValue<string>();
        AssertOk(await Post("/_emulator/advance", """{"seconds":2}"""));
        var (_, p) = await Get("/v3/paths/get/my/nested/path");
        Assert.True(p!["ready"]!.GetValue<bool>());
        Assert.True(p["available"]!.GetValue<bool>());
        Assert.Equal("rtspSession", p["source"]!["type"]!.GetValue<string>());
        Assert.Equal("""["H264"]""", p["tracks"]!.ToJsonString());
        Assert.Equal("""{"width":1280,"height":720,"profile":"High","level":"3.1"}""", p["tracks2"]![0]!["codecProps"]!.ToJsonString());
        Assert.Equal(readerId, p["readers"]![0]!["id"]!.GetValue<string>());
        Assert.True(p["inboundBytes"]!.GetValue<long>() > 0);
        Assert.Equal(p["inboundBytes"]!.GetValue<long>(), p["outboundBytes"]!.GetValue<long>());

        AssertOk(await Post("/_emulator/removeReader", $$"""{"path":"my/nested/path","id":"{{readerId}}"}"""));
        AssertOk(await Post("/_emulator/unpublish", """{"path":"my/nested/path"}"""));
        (_, p) = await Get("/v3/paths/get/my/nested/path");
        Assert.False(p!["ready"]!.GetValue<bool>());
        Assert.Empty(p["readers"]!.AsArray());
        var (_, list) = await Get("/v3/paths/list");
        Assert.Equal(1, list!["itemCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task RunOnInit_HookLoggedWithExpandedArgv_AndSimulatedPublisher()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", """{"runOnInit":"ffmpeg -f v4l2 -i '/dev/v4l/by-id/usb cam' -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH","runOnInitRestart":true}"""));
        var (_, hooks) = await Get("/_emulator/hooks");
        var h = hooks!["items"]!.AsArray().Single()!;
        Assert.Equal("runOnInit", h["hook"]!.GetValue<string>());
        Assert.Equal("start", h["event"]!.GetValue<string>());
        var argv = h["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(["ffmpeg", "-f", "v4l2", "-i", "/dev/v4l/by-id/usb cam", "-f", "rtsp", $"rtsp://localhost:{Emu.RtspPort}/cam0"], argv);
        var (_, p) = await Get("/v3/paths/get/cam0");
        Assert.True(p!["ready"]!.GetValue<bool>());
    }

    [Fact]
    public async Task NonHotReloadableChange_RecreatesPath_HotReloadableDoesNot()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", """{"runOnInit":"ffmpeg a"}"""));
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":true}"""));
        Assert.Single(Emu.Hooks, h => h.Hook == "runOnInit");
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"runOnInit":"ffmpeg b"}"""));
        Assert.Equal(["start:ffmpeg a", "stop:ffmpeg a", "start:ffmpeg b"], Emu.Hooks.Where(h => h.Hook == "runOnInit").Select(h => h.Event + ":" + h.Command));
        AssertOk(await Delete("/v3/config/paths/delete/cam0"));
        Assert.Equal("stop", Emu.Hooks.Last(h => h.Hook == "runOnInit").Event);
    }

    [Fact]
    public async Task RunOnDemand_StartsOnFirstReader_StopsAfterLast()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", """{"runOnDemand":"ffmpeg -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH","runOnDemandRestart":true}"""));
        var (_, p) = await Get("/v3/paths/get/cam0");
        Assert.False(p!["ready"]!.GetValue<bool>());
        Assert.Empty(Emu.Hooks);
        var id = Emu.AddReader("cam0");
        (_, p) = await Get("/v3/paths/get/cam0");
        Assert.True(p!["ready"]!.GetValue<bool>());
        Emu.RemoveReader("cam0", id);
        Assert.Equal(["start", "stop"], Emu.Hooks.Select(h => h.Event));
        Assert.Equal(string.Empty, Emu.Hooks[0].Env["MTX_QUERY"]);
    }

    [Fact]
    public async Task Restart_DropsApiConfig_ChangesStarted()
    {
        var (_, before) = await Get("/v3/info");
        AssertOk(await Post("/v3/config/paths/add/cam0", "{}"));
        await Task.Delay(20);
        AssertOk(await Post("/_emulator/restart", "{}"));
        AssertError(await Get("/v3/config/paths/get/cam0"), 404, "path configuration not found");
        AssertError(await Get("/v3/paths/get/cam0"), 404, "path not found");
        var (_, after) = await Get("/v3/info");
        Assert.NotEqual(before!["started"]!.GetValue<string>(), after!["started"]!.GetValue<string>());
    }

    [Fact]
    public async Task StopStart_IsRealRestart_SamePort()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", "{}"));
        var url = Emu.ApiUrl;
        await Emu.StopAsync(CancellationToken.None);
        await Assert.ThrowsAsync<HttpRequestException>(() => Http.GetAsync("/v3/info"));
        Assert.Equal(url, await Emu.StartAsync(CancellationToken.None));
        AssertError(await Get("/v3/config/paths/get/cam0"), 404, "path configuration not found");
    }

    [Fact]
    public async Task Faults_StatusResetAndSlow()
    {
        AssertOk(await Post("/_emulator/fail", """{"route":"/v3/info","status":500,"body":"terminated","times":1}"""));
        AssertError(await Get("/v3/info"), 500, "terminated");
        Assert.Equal(200, (await Get("/v3/info")).Status);

        Emu.Fail(new FaultRule("/v3/paths", "reset", Times: 1));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => Http.GetAsync("/v3/paths/list"));
        Assert.Equal(200, (await Get("/v3/paths/list")).Status);

        Emu.Fail(new FaultRule("*", "slow", DelayMs: 3000));
        using var shortClient = new HttpClient { BaseAddress = Emu.ApiUrl, Timeout = TimeSpan.FromMilliseconds(300) };
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => shortClient.GetAsync("/v3/info"));
        AssertOk(await Call(HttpMethod.Delete, "/_emulator/fail"));
        Assert.Equal(200, (await Get("/v3/info")).Status);
    }

    [Fact]
    public async Task SideChannel_NotUnderV3_AndUnknownOperation404()
    {
        AssertError(await Post("/_emulator/nope", "{}"), 404, "unknown side-channel operation");
        AssertError(await Post("/_emulator/publish", """{"path":"unconfigured"}"""), 404, "path 'unconfigured' is not configured");
    }
}

using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

public sealed class RecordingsTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options) =>
        options.TimeZone = TimeZoneInfo.CreateCustomTimeZone("plus1", TimeSpan.FromHours(1), "plus1", "plus1");

    private void Touch(string relative)
    {
        var file = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, []);
    }

    [Fact]
    public async Task ListAndGet_UpstreamExactJson()
    {
        AssertOk(await Post("/v3/config/paths/add/mypath1", """{"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        AssertOk(await Post("/v3/config/paths/add/mypath2", """{"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Touch("mypath1/2008-11-07_11-22-00-500000.mp4");
        Touch("mypath1/2009-11-07_11-22-00-900000.mp4");
        Touch("mypath2/2009-11-07_11-22-00-000000.mp4");
        Touch("mypath2/not-a-segment.txt");

        var (_, list) = await Get("/v3/recordings/list");
        AssertJson(
            """{"itemCount":2,"pageCount":1,"items":[{"name":"mypath1","segments":[{"start":"2008-11-07T11:22:00.5+01:00"},{"start":"2009-11-07T11:22:00.9+01:00"}]},{"name":"mypath2","segments":[{"start":"2009-11-07T11:22:00+01:00"}]}]}""",
            list);
        var (_, get) = await Get("/v3/recordings/get/mypath1");
        AssertJson("""{"name":"mypath1","segments":[{"start":"2008-11-07T11:22:00.5+01:00"},{"start":"2009-11-07T11:22:00.9+01:00"}]}""", get);
        AssertError(await Get("/v3/recordings/get/mypath2x"), 400, "path 'mypath2x' is not configured");
    }

    [Fact]
    public async Task DeleteSegment_VerbatimStart_RemovesFile()
    {
        AssertOk(await Post("/v3/config/paths/add/group/cam1", """{"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Touch("group/cam1/2008-11-07_11-22-00-500000.mp4");
        AssertOk(await Delete("/v3/recordings/deletesegment?path=group/cam1&start=" + Uri.EscapeDataString("2008-11-07T11:22:00.5+01:00")));
        Assert.False(File.Exists(Path.Combine(Root, "group/cam1/2008-11-07_11-22-00-500000.mp4")));
        var (_, get) = await Get("/v3/recordings/get/group/cam1");
        Assert.Empty(get!["segments"]!.AsArray());
    }

    [Fact]
    public async Task DeleteSegment_Errors_400()
    {
        AssertOk(await Post("/v3/config/paths/add/group/cam1", """{"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Touch("cam1/2008-11-07_11-22-00-500000.mp4");
        var (status, body) = await RawRequest("DELETE", "/v3/recordings/deletesegment?path=group/../cam1&start=2008-11-07T11%3A22%3A00.5%2B01%3A00");
        Assert.Equal(400, status);
        Assert.Equal("""{"status":"error","error":"invalid path name: can't contain dot path segments (group/../cam1)"}""", body);
        Assert.True(File.Exists(Path.Combine(Root, "cam1/2008-11-07_11-22-00-500000.mp4")));

        var missing = await Delete("/v3/recordings/deletesegment?path=group/cam1&start=" + Uri.EscapeDataString("2008-11-07T11:22:00.5+01:00"));
        Assert.Equal(400, missing.Status);
        Assert.StartsWith("remove " + Root, missing.Body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith(": no such file or directory", missing.Body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        AssertError(await Delete("/v3/recordings/deletesegment?path=nope&start=" + Uri.EscapeDataString("2008-11-07T11:22:00.5+01:00")), 400, "path 'nope' is not configured");
        // api_recordings.go:103-117 (v1.20.1) parses 'start' before it looks the path up: a bad start wins.
        AssertError(await Delete("/v3/recordings/deletesegment?path=&start=x"), 400, "invalid 'start' parameter: parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\"");
        AssertError(await Delete("/v3/recordings/deletesegment?path=&start=" + Uri.EscapeDataString("2008-11-07T11:22:00.5+01:00")), 400, "invalid path name: cannot be empty ()");
        Assert.Equal(400, (await Delete("/v3/recordings/deletesegment?path=group/cam1&start=yesterday")).Status);
    }

    [Fact]
    public async Task Get_DotSegmentsInRawTarget_400()
    {
        AssertOk(await Post("/v3/config/paths/add/cam1", "{}"));
        var (status, body) = await RawRequest("GET", "/v3/recordings/get/group/../cam1");
        Assert.Equal(400, status);
        Assert.Contains("can't contain dot path segments", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordToggle_OnLivePath_TwoSegmentFiles()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"record":true,"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Emu.Publish("cam");
        Emu.Advance(TimeSpan.FromSeconds(3));
        AssertOk(await Patch("/v3/config/paths/patch/cam", """{"record":false}"""));
        Emu.Advance(TimeSpan.FromSeconds(1));
        AssertOk(await Patch("/v3/config/paths/patch/cam", """{"record":true}"""));
        Emu.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(Root, "cam"), "*.mp4").Length);
        var (_, p) = await Get("/v3/paths/get/cam");
        Assert.True(p!["ready"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Advance_CutsSegments_FiresHooks_RunsCleaner()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"record":true,"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f","recordSegmentDuration":"3s","recordDeleteAfter":"10s","runOnRecordSegmentComplete":"sh -c 'echo $MTX_SEGMENT_PATH $MTX_SEGMENT_DURATION'"}"""));
        Emu.Publish("cam");
        Emu.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(Root, "cam")).Length);
        var complete = Emu.Hooks.Where(h => h.Hook == "runOnRecordSegmentComplete").ToList();
        Assert.Equal(2, complete.Count);
        Assert.Equal("3", complete[0].Env["MTX_SEGMENT_DURATION"]);
        Assert.StartsWith(Path.Combine(Root, "cam"), complete[0].Env["MTX_SEGMENT_PATH"], StringComparison.Ordinal);
        Assert.Equal(["sh", "-c", $"echo {complete[0].Env["MTX_SEGMENT_PATH"]} 3"], complete[0].Argv);
        Emu.Advance(TimeSpan.FromSeconds(8));
        var (_, get) = await Get("/v3/recordings/get/cam");
        Assert.All(get!["segments"]!.AsArray(), s => Assert.True(DateTimeOffset.Parse(s!["start"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) >= DateTimeOffset.Parse(get["segments"]![0]!["start"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(Directory.GetFiles(Path.Combine(Root, "cam")).Length <= 4);
        Assert.False(File.Exists(complete[0].Env["MTX_SEGMENT_PATH"]));
    }
}

using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

/// <summary>
/// Behaviour read in MediaMTX's Go source (bluenviron/mediamtx v1.20.1-6-g3e09466c, commit
/// 3e09466c180431272a656b48aeca39c83d52d6c6) that the emulator had differently; each test names the Go lines it pins.
/// See docs/mediamtx.md, "Fidelity to MediaMTX's Go source".
/// </summary>
public sealed class GoSourceFidelityTests : EmulatorTestBase
{
    private void Touch(string relative)
    {
        var file = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, []);
    }

    // conf.FindPathConf (internal/conf/path.go:180-204): regex configs sorted by name, all/all_others after every other.
    [Fact]
    public async Task FindPathConf_RegexConfigsByName_AllOthersLast()
    {
        AssertOk(await Post("/v3/config/paths/add/all_others", "{}"));
        AssertOk(await Post("/v3/config/paths/add/~^cam", "{}"));
        Emu.Publish("cam1");
        var (_, p) = await Get("/v3/paths/get/cam1");
        Assert.Equal("~^cam", p!["confName"]!.GetValue<string>());

        AssertOk(await Post("/v3/config/paths/add/~^c", "{}"));
        Emu.Publish("cam2");
        (_, p) = await Get("/v3/paths/get/cam2");
        Assert.Equal("~^c", p!["confName"]!.GetValue<string>());
        Emu.Publish("other");
        (_, p) = await Get("/v3/paths/get/other");
        Assert.Equal("all_others", p!["confName"]!.GetValue<string>());
    }

    // conf.FindPathConf (path.go:168-171) takes an exact key before it validates the name; recordstore.FindSegments
    // (internal/recordstore/segment.go:131-134) then finds nothing for the invalid name and the handler drops the error.
    [Fact]
    public async Task RecordingsGet_ExactRegexKey_200WithNoSegments()
    {
        AssertOk(await Post("/v3/config/paths/add/~^x$", "{}"));
        var (status, body) = await Get("/v3/recordings/get/~%5Ex%24");
        Assert.Equal(200, status);
        AssertJson("""{"name":"~^x$","segments":[]}""", body);
    }

    // rePathName (path.go:24) has no '~': a concrete path name with one is invalid even when all_others would match.
    [Fact]
    public async Task RecordingsGet_TildeInName_InvalidPathName()
    {
        AssertOk(await Post("/v3/config/paths/add/all_others", "{}"));
        AssertError(await Get("/v3/recordings/get/a~b"), 400, "invalid path name: can contain only alphanumeric characters, underscore, dot, minus, slash (a~b)");
    }

    // paginate (internal/api/paginate.go:31-57) gets gin's ctx.Query: the first value, and "" counts as not given.
    [Fact]
    public async Task Paginate_EmptyMeansDefault_FirstValueWins()
    {
        foreach (var n in new[] { "p1", "p2", "p3" })
        {
            AssertOk(await Post("/v3/config/paths/add/" + n, "{}"));
        }

        var (status, all) = await Get("/v3/config/paths/list?itemsPerPage=&page=");
        Assert.Equal(200, status);
        Assert.Equal(3, all!["items"]!.AsArray().Count);
        Assert.Equal(1, all["pageCount"]!.GetValue<int>());

        var (_, second) = await Get("/v3/config/paths/list?itemsPerPage=2&itemsPerPage=x&page=1&page=y");
        Assert.Equal(2, second!["pageCount"]!.GetValue<int>());
        Assert.Equal("p3", second["items"]![0]!["name"]!.GetValue<string>());
    }

    // onRecordingDeleteSegment parses 'start' with time.Parse(time.RFC3339, …) first (api_recordings.go:105-109);
    // the texts are Go's time/format.go ParseError for the layout "2006-01-02T15:04:05Z07:00".
    [Theory]
    [InlineData("2008-11-07", "parsing time \"2008-11-07\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\"")]
    [InlineData("08-11-07T11:22:00Z", "parsing time \"08-11-07T11:22:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"08-11-07T11:22:00Z\" as \"2006\"")]
    [InlineData("2008-1-07T11:22:00Z", "parsing time \"2008-1-07T11:22:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"1-07T11:22:00Z\" as \"01\"")]
    [InlineData("2008-13-07T11:22:00Z", "parsing time \"2008-13-07T11:22:00Z\": month out of range")]
    [InlineData("2008-02-30T11:22:00Z", "parsing time \"2008-02-30T11:22:00Z\": day out of range")]
    [InlineData("2008-11-07T25:22:00Z", "parsing time \"2008-11-07T25:22:00Z\": hour out of range")]
    [InlineData("2008-11-07T11:22:00", "parsing time \"2008-11-07T11:22:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"")]
    [InlineData("2008-11-07T11:22:00+0100", "parsing time \"2008-11-07T11:22:00+0100\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+0100\" as \"Z07:00\"")]
    [InlineData("2008-11-07T11:22:00Zjunk", "parsing time \"2008-11-07T11:22:00Zjunk\": extra text: \"junk\"")]
    [InlineData("2008-11-07 11:22:00Z", "parsing time \"2008-11-07 11:22:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 11:22:00Z\" as \"T\"")]
    public async Task DeleteSegment_BadStart_GoTimeParseText(string start, string goError)
    {
        AssertError(await Delete("/v3/recordings/deletesegment?path=nope&start=" + Uri.EscapeDataString(start)), 400, "invalid 'start' parameter: " + goError);
    }

    // Go's parser takes a comma as the decimal mark, up to nine fraction digits, and a one-digit hour ("15" is not
    // fixed width): all valid starts for deletesegment.
    [Fact]
    public async Task DeleteSegment_StartsGoAccepts()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Touch("cam/2008-11-07_11-22-00-500000.mp4");
        Touch("cam/2008-11-07_01-22-00-000000.mp4");
        AssertOk(await Delete("/v3/recordings/deletesegment?path=cam&start=" + Uri.EscapeDataString("2008-11-07T11:22:00,500000000+01:00")));
        AssertOk(await Delete("/v3/recordings/deletesegment?path=cam&start=" + Uri.EscapeDataString("2008-11-07T1:22:00Z")));
        Assert.False(File.Exists(Path.Combine(Root, "cam/2008-11-07_11-22-00-500000.mp4")));
        Assert.False(File.Exists(Path.Combine(Root, "cam/2008-11-07_01-22-00-000000.mp4")));
    }

    // FindAllPathsWithSegments (segment.go:97-121) lists every valid name a regex config's files give, without asking
    // which config serves it; the list then reads that name's segments through FindPathConf (api_recordings.go:76-79).
    [Fact]
    public async Task RecordingsList_NameFromRegexConf_SegmentsFromServingConf()
    {
        AssertOk(await Post("/v3/config/paths/add/all_others", """{"recordPath":"b/%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        AssertOk(await Post("/v3/config/paths/add/cam1", """{"recordPath":"a/%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Touch("b/cam1/2008-11-07_11-22-00-000000.mp4");
        var (_, list) = await Get("/v3/recordings/list");
        AssertJson("""{"itemCount":1,"pageCount":1,"items":[{"name":"cam1","segments":[]}]}""", list);
    }

    // recordstore.Path.Decode (internal/recordstore/path.go:113-176): the pattern has no end anchor.
    [Fact]
    public async Task RecordingsGet_FileWithTrailingText_IsASegment()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        Touch("cam/2008-11-07_11-22-00-000000.mp4.bak");
        var (_, get) = await Get("/v3/recordings/get/cam");
        Assert.Single(get!["segments"]!.AsArray());
    }

    // defs.APIPath (internal/defs/api_path.go:71-91) filled by path.go:674-776: tracks2's codec is the formatlabel
    // label like tracks' (api_path_track.go:16-21); readers are sorted by type, then id (path.go:757-771).
    [Fact]
    public async Task PathsGet_CodecLabels_ReadersSorted()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        Emu.Publish("cam", [new TrackSpec("H264"), new TrackSpec("MPEG4Audio")]);
        var web = Emu.AddReader("cam", "webRTCSession");
        var hls = Emu.AddReader("cam", "hlsSession");
        var rtsp = Emu.AddReader("cam", "rtspSession");
        var (_, p) = await Get("/v3/paths/get/cam");
        Assert.Equal("""["H264","MPEG-4 Audio"]""", p!["tracks"]!.ToJsonString());
        Assert.Equal("MPEG-4 Audio", p["tracks2"]![1]!["codec"]!.GetValue<string>());
        Assert.Equal(
            new JsonArray(
                new JsonObject { ["type"] = "hlsSession", ["id"] = hls },
                new JsonObject { ["type"] = "rtspSession", ["id"] = rtsp },
                new JsonObject { ["type"] = "webRTCSession", ["id"] = web }).ToJsonString(),
            p["readers"]!.ToJsonString());
    }

    // A redirect or static source is the path's source from its creation (path.go:229-233; source_redirect.go:15,
    // staticsources/*/source.go APISourceDescribe) and makes it online (isOnline, path.go:214-216) with Go's zero
    // onlineTime until a stream is available (setOnline, path.go:872-885).
    [Fact]
    public async Task PathsGet_RedirectAndStaticSources_OnlineWithZeroTime()
    {
        AssertOk(await Post("/v3/config/paths/add/r", """{"source":"redirect","sourceRedirect":"rtsp://127.0.0.1:1/y"}"""));
        AssertOk(await Post("/v3/config/paths/add/u", """{"source":"udp+mpegts://127.0.0.1:9000"}"""));
        var (_, r) = await Get("/v3/paths/get/r");
        Assert.Equal("""{"type":"redirect","id":""}""", r!["source"]!.ToJsonString());
        Assert.True(r["online"]!.GetValue<bool>());
        Assert.Equal("0001-01-01T00:00:00Z", r["onlineTime"]!.GetValue<string>());
        Assert.False(r["available"]!.GetValue<bool>());
        Assert.Null(r["availableTime"]);
        var (_, u) = await Get("/v3/paths/get/u");
        Assert.Equal("""{"type":"mpegtsSource","id":""}""", u!["source"]!.ToJsonString());
    }

    // conf.Path.validate (path.go:468-470, :589-597, checkRedirect :67-81) and the source schemes (path.go:489-588).
    [Fact]
    public async Task ConfigPathsAdd_RedirectAndSourceValidation()
    {
        AssertError(await Post("/v3/config/paths/add/a", """{"source":"redirect"}"""), 400, "source redirect must be filled");
        AssertError(await Post("/v3/config/paths/add/a", """{"sourceRedirect":"/x"}"""), 400, "'sourceRedirect' is useless when source is not 'redirect'");
        AssertError(await Post("/v3/config/paths/add/a", """{"source":"redirect","sourceRedirect":"/x/"}"""), 400, "'/x/': can't end with a slash");
        AssertError(await Post("/v3/config/paths/add/a", """{"source":"moq://h/x"}"""), 400, "invalid source: 'moq://h/x'");
        AssertOk(await Post("/v3/config/paths/add/a", """{"source":"moqt://127.0.0.1:1/x"}"""));
        var (_, p) = await Get("/v3/paths/get/a");
        Assert.Equal("moqSource", p!["source"]!["type"]!.GetValue<string>());
    }

    // onHLSMuxersGet reads the name with paramName (api.go:41-49, api_hls.go:34-38): an empty one is "invalid name".
    [Fact]
    public async Task HlsMuxersGet_EmptyName_InvalidName()
    {
        AssertError(await Get("/v3/hlsmuxers/get/"), 400, "invalid name");
    }

    // conf.setDefaults (internal/conf/conf.go:427-538) and Global's marshalling in Conf's field order
    // (conf/global.go:8-41, conf.go:241-425). moq stays false on purpose (no MoQ server in the emulator).
    [Fact]
    public async Task ConfigGlobalGet_GoDefaults_InDeclarationOrder()
    {
        var (status, g) = await Get("/v3/config/global/get");
        Assert.Equal(200, status);
        Assert.Equal(1452, g!["udpMaxPayloadSize"]!.GetValue<int>());
        Assert.Equal(":8892", g["moqHTTP3Address"]!.GetValue<string>());
        Assert.Equal("auto.key", g["moqServerKey"]!.GetValue<string>());
        Assert.Equal("auto.crt", g["moqServerCert"]!.GetValue<string>());
        Assert.Equal(["logLevel", "logDestinations", "logStructured", "logFile"], g.AsObject().Select(p => p.Key).Take(4));
        Assert.Equal("moqTrustedProxies", g.AsObject().Last().Key);
    }
}

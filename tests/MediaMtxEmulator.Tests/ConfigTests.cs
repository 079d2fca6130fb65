using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

public sealed class ConfigTests : EmulatorTestBase
{
    [Fact]
    public async Task GlobalPatch_FieldsIncludingDeprecated_Reflected()
    {
        AssertOk(await Patch("/v3/config/global/patch", """{"rtmp":false,"readTimeout":"7s","protocols":["tcp"],"readBufferCount":4096}"""));
        var (_, g) = await Get("/v3/config/global/get");
        Assert.False(g!["rtmp"]!.GetValue<bool>());
        Assert.Equal("7s", g["readTimeout"]!.GetValue<string>());
        Assert.Equal("""["tcp"]""", g["protocols"]!.ToJsonString());
        Assert.Equal(4096, g["readBufferCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task GlobalPatch_UnknownField_400AndUnchanged()
    {
        AssertError(await Patch("/v3/config/global/patch", """{"test":"asd"}"""), 400, "json: unknown field \"test\"");
    }

    [Fact]
    public async Task GlobalGet_DefaultsLikeMediamtxYml()
    {
        var (_, g) = await Get("/v3/config/global/get");
        Assert.Equal("1m0s", g!["hlsMuxerCloseAfter"]!.GetValue<string>());
        Assert.Equal("50M", g["hlsSegmentMaxSize"]!.GetValue<string>());
        Assert.Equal("internal", g["authMethod"]!.GetValue<string>());
        Assert.Null(g["protocols"]);
    }

    [Fact]
    public async Task PathDefaults_GetAndPatch()
    {
        var (_, d) = await Get("/v3/config/pathdefaults/get");
        Assert.Equal("publisher", d!["source"]!.GetValue<string>());
        Assert.Equal("1h0m0s", d["recordSegmentDuration"]!.GetValue<string>());
        Assert.Equal("1d", d["recordDeleteAfter"]!.GetValue<string>());
        AssertOk(await Patch("/v3/config/pathdefaults/patch", """{"recordFormat":"mpegts"}"""));
        (_, d) = await Get("/v3/config/pathdefaults/get");
        Assert.Equal("mpegts", d!["recordFormat"]!.GetValue<string>());
    }

    [Fact]
    public async Task PathsList_SortedByName_PasswordsRedacted()
    {
        AssertOk(await Post("/v3/config/paths/add/path2", "{}"));
        AssertOk(await Post("/v3/config/paths/add/path1", """{"readUser":"myuser","readPass":"mypass"}"""));
        var (_, l) = await Get("/v3/config/paths/list");
        Assert.Equal(2, l!["itemCount"]!.GetValue<int>());
        Assert.Equal(1, l["pageCount"]!.GetValue<int>());
        var items = l["items"]!.AsArray();
        Assert.Equal(["path1", "path2"], items.Select(i => i!["name"]!.GetValue<string>()));
        Assert.Equal("myuser", items[0]!["readUser"]!.GetValue<string>());
        Assert.Equal("<redacted>", items[0]!["readPass"]!.GetValue<string>());
        Assert.Null(items[1]!["readUser"]);
    }

    [Fact]
    public async Task AddThenGet_NestedNameAndFieldsEchoed()
    {
        AssertOk(await Post("/v3/config/paths/add/my/path", """{"source":"rtsp://127.0.0.1:9999/mypath","sourceOnDemand":true,"disablePublisherOverride":true,"rpiCameraVFlip":true,"maxReaders":5}"""));
        var (status, p) = await Get("/v3/config/paths/get/my/path");
        Assert.Equal(200, status);
        Assert.Equal("my/path", p!["name"]!.GetValue<string>());
        Assert.Equal("rtsp://127.0.0.1:9999/mypath", p["source"]!.GetValue<string>());
        Assert.True(p["sourceOnDemand"]!.GetValue<bool>());
        Assert.True(p["disablePublisherOverride"]!.GetValue<bool>());
        Assert.Equal(5, p["maxReaders"]!.GetValue<int>());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, JsonValueKindOf(p["maxReaders"]!));
    }

    private static System.Text.Json.JsonValueKind JsonValueKindOf(JsonNode n) => n.GetValueKind();

    [Fact]
    public async Task Add_Existing_400PathAlreadyExists()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        AssertError(await Post("/v3/config/paths/add/cam", "{}"), 400, "path already exists");
    }

    [Fact]
    public async Task Add_DecodeErrors_400WithGoMessages()
    {
        AssertError(await Post("/v3/config/paths/add/cam", """{"test":"asd"}"""), 400, "json: unknown field \"test\"");
        AssertError(await Post("/v3/config/paths/add/cam", string.Empty), 400, "unexpected end of JSON input");
        AssertError(await Post("/v3/config/paths/add/cam", """{"record":"yes"}"""), 400, "json: cannot unmarshal string into Go value of type bool");
        AssertError(await Post("/v3/config/paths/add/cam", """{"recordFormat":"mkv"}"""), 400, "invalid record format 'mkv'");
        AssertError(await Post("/v3/config/paths/add/cam", """{"rtspTransport":"x"}"""), 400, "invalid transport 'x'");
        AssertError(await Post("/v3/config/paths/add/cam", """{"recordSegmentDuration":"abc"}"""), 400, "time: invalid duration \"abc\"");
        AssertError(await Get("/v3/config/paths/get/cam"), 404, "path configuration not found");
    }

    [Fact]
    public async Task Add_NullField_MeansNotSet()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"record":null,"forward":null}"""));
        var (_, p) = await Get("/v3/config/paths/get/cam");
        Assert.False(p!["record"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Add_ValidationErrors_400AndNothingChanged()
    {
        AssertError(await Post("/v3/config/paths/add/cam", """{"source":"rtsp://x/y","runOnDemand":"ffmpeg"}"""), 400, "'runOnDemand' and 'runOnUnDemand' can be used only when source is 'publisher'");
        AssertError(await Post("/v3/config/paths/add/cam", """{"sourceOnDemand":true}"""), 400, "'sourceOnDemand' is useless when source is 'publisher'");
        AssertError(await Post("/v3/config/paths/add/cam", """{"source":"nope"}"""), 400, "invalid source: 'nope'");
        AssertError(await Post("/v3/config/paths/add/cam", """{"recordPath":"./rec/%Y-%m-%d_%H-%M-%S"}"""), 400, "'recordPath' must contain %path");
        AssertError(await Post("/v3/config/paths/add/cam", """{"recordPath":"./rec/%path/%Y"}"""), 400, "'recordPath' must contain either %s or %Y %m %d %H %M %S");
        AssertError(await Post("/v3/config/paths/add/cam", """{"recordSegmentDuration":"2h","recordDeleteAfter":"1h"}"""), 400, "'recordDeleteAfter' cannot be lower than 'recordSegmentDuration'");
        AssertError(await Post("/v3/config/paths/add/cam", """{"recordSegmentDuration":"25h","recordDeleteAfter":"0s"}"""), 400, "maximum segment duration is 1 day");
        AssertError(await Post("/v3/config/paths/add/a%20b", "{}"), 400, "invalid path name 'a b': can contain only alphanumeric characters, underscore, dot, minus, slash");
        AssertError(await Post("/v3/config/paths/add/~^cam.*$", """{"runOnInit":"ffmpeg"}"""), 400, "a path with a regular expression (or path 'all') does not support option 'runOnInit'; use another path");
        var (_, l) = await Get("/v3/config/paths/list");
        Assert.Equal(0, l!["itemCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Durations_RoundTripInGoFormat()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"recordSegmentDuration":"3600s","recordDeleteAfter":"0s","runOnDemandCloseAfter":"90s","recordMaxPartSize":"10MB"}"""));
        var (_, p) = await Get("/v3/config/paths/get/cam");
        Assert.Equal("1h0m0s", p!["recordSegmentDuration"]!.GetValue<string>());
        Assert.Equal(string.Empty, p["recordDeleteAfter"]!.GetValue<string>());
        Assert.Equal("1m30s", p["runOnDemandCloseAfter"]!.GetValue<string>());
        Assert.Equal("10M", p["recordMaxPartSize"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_OnlyGivenFieldsChange_MissingIs404()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"runOnInit":"ffmpeg -i x","runOnInitRestart":true,"disablePublisherOverride":true}"""));
        AssertOk(await Patch("/v3/config/paths/patch/cam", """{"record":true}"""));
        var (_, p) = await Get("/v3/config/paths/get/cam");
        Assert.True(p!["record"]!.GetValue<bool>());
        Assert.Equal("ffmpeg -i x", p["runOnInit"]!.GetValue<string>());
        Assert.True(p["runOnInitRestart"]!.GetValue<bool>());
        Assert.True(p["disablePublisherOverride"]!.GetValue<bool>());
        AssertError(await Patch("/v3/config/paths/patch/nope", "{}"), 404, "path not found");
    }

    [Fact]
    public async Task Replace_UnsetFieldsRevert_DeprecatedGone_MissingCreated()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", """{"rpiCameraVFlip":true,"rpiCameraCodec":"hardwareH264","disablePublisherOverride":true}"""));
        AssertOk(await Post("/v3/config/paths/replace/cam", """{"record":true}"""));
        var (_, p) = await Get("/v3/config/paths/get/cam");
        Assert.False(p!["rpiCameraVFlip"]!.GetValue<bool>());
        Assert.Equal("auto", p["rpiCameraCodec"]!.GetValue<string>());
        Assert.Equal(60, p["rpiCameraIDRPeriod"]!.GetValue<int>());
        Assert.Equal(5000000, p["rpiCameraBitrate"]!.GetValue<int>());
        Assert.Equal("4.1", p["rpiCameraH264Level"]!.GetValue<string>());
        Assert.Null(p["disablePublisherOverride"]);
        AssertOk(await Post("/v3/config/paths/replace/newone", """{"record":true}"""));
        Assert.Equal(200, (await Get("/v3/config/paths/get/newone")).Status);
    }

    [Fact]
    public async Task Delete_ThenGet404_MissingDelete404()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        AssertOk(await Delete("/v3/config/paths/delete/cam"));
        AssertError(await Get("/v3/config/paths/get/cam"), 404, "path configuration not found");
        AssertError(await Delete("/v3/config/paths/delete/cam"), 404, "path not found");
        AssertError(await Get("/v3/config/paths/get/"), 400, "invalid name");
    }
}

public sealed class AllOthersTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options) => options.SeedAllOthers = true;

    [Fact]
    public async Task ShippedConfig_ListsAllOthers()
    {
        var (_, l) = await Get("/v3/config/paths/list");
        Assert.Equal("all_others", l!["items"]!.AsArray().Single()!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task SpecificConfigForLiveRegexPath_RebindsWithoutDisconnect_AndBackOnDelete()
    {
        Emu.Publish("cam");
        var (_, before) = await Get("/v3/paths/get/cam");
        Assert.Equal("all_others", before!["confName"]!.GetValue<string>());
        AssertOk(await Post("/v3/config/paths/add/cam", """{"record":true,"recordPath":"%path/%Y-%m-%d_%H-%M-%S-%f"}"""));
        var (_, during) = await Get("/v3/paths/get/cam");
        Assert.Equal("cam", during!["confName"]!.GetValue<string>());
        Assert.Equal(before["source"]!["id"]!.GetValue<string>(), during["source"]!["id"]!.GetValue<string>());
        AssertOk(await Delete("/v3/config/paths/delete/cam"));
        var (_, after) = await Get("/v3/paths/get/cam");
        Assert.Equal("all_others", after!["confName"]!.GetValue<string>());
        Assert.Equal(before["source"]!["id"]!.GetValue<string>(), after["source"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnconfiguredName_RecordingsGet200EmptyAndDynamicPathOnPublish()
    {
        var (status, body) = await Get("/v3/recordings/get/some/cam");
        Assert.Equal(200, status);
        Assert.Equal("""{"name":"some/cam","segments":[]}""", body!.ToJsonString());
        AssertError(await Get("/v3/paths/get/some/cam"), 404, "path not found");
        Emu.Publish("some/cam");
        var (_, p) = await Get("/v3/paths/get/some/cam");
        Assert.Equal("all_others", p!["confName"]!.GetValue<string>());
        Emu.Unpublish("some/cam");
        AssertError(await Get("/v3/paths/get/some/cam"), 404, "path not found");
    }
}

/// <summary>
/// Mutations are answered at once and applied later. The delay is long (3 s) so that the reads made right after the
/// mutations see the old state even on a loaded machine (300 ms was overtaken under load).
/// </summary>
public sealed class ApplyDelayTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options) => options.ApplyDelay = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Mutation_AnsweredBeforeApplied_ReadsEventuallyConsistent()
    {
        AssertOk(await Post("/v3/config/paths/add/cam", "{}"));
        AssertError(await Post("/v3/config/paths/add/cam", "{}"), 400, "path already exists");
        AssertOk(await Patch("/v3/config/paths/patch/cam", """{"record":true}"""));
        AssertError(await Get("/v3/config/paths/get/cam"), 404, "path configuration not found");
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(10);
        JsonNode? conf = null;
        while (deadline.Elapsed < limit)
        {
            var r = await Get("/v3/config/paths/get/cam");
            if (r.Status == 200 && r.Body!["record"]!.GetValue<bool>())
            {
                conf = r.Body;
                break;
            }

            await Task.Delay(50);
        }

        Assert.NotNull(conf);
        Assert.Equal(200, (await Get("/v3/paths/get/cam")).Status);
    }
}

using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

/// <summary>Every response body the emulator produces validates against the OpenAPI schema of its endpoint.</summary>
public sealed class SchemaConformanceTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options)
    {
        options.SeedAllOthers = true;
        options.AuthInternalUsersJson = """[{"user":"any","pass":"","ips":["127.0.0.1/32"],"permissions":[{"action":"api","path":""}]},{"user":"u","pass":"p","ips":[],"permissions":[{"action":"read","path":""}]}]""";
    }

    private async Task Check(string schema, HttpMethod method, string route, string? body = null)
    {
        var (_, json) = await Call(method, route, body);
        var errors = OpenApiSchemas.Validate(schema, json);
        Assert.True(errors.Count == 0, $"{route} vs {schema}: {string.Join("; ", errors)}\n{json?.ToJsonString()}");
    }

    [Fact]
    public async Task AllCameraRelevantEndpoints_MatchTheirSchemas()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", $$"""{"runOnInit":"ffmpeg -i x","record":true,"recordPath":"{{Root}}/%path/%Y-%m-%d_%H-%M-%S-%f","readUser":"a","readPass":"b"}"""));
        AssertOk(await Post("/v3/config/paths/add/idle", """{"source":"rtsp://127.0.0.1:1/x","sourceOnDemand":true}"""));
        Emu.AddReader("cam0", "hlsSession");
        Emu.Advance(TimeSpan.FromSeconds(3));

        await Check("Info", HttpMethod.Get, "/v3/info");
        await Check("GlobalConf", HttpMethod.Get, "/v3/config/global/get");
        await Check("PathConf", HttpMethod.Get, "/v3/config/pathdefaults/get");
        await Check("PathConf", HttpMethod.Get, "/v3/config/paths/get/cam0");
        await Check("PathConfList", HttpMethod.Get, "/v3/config/paths/list");
        await Check("Path", HttpMethod.Get, "/v3/paths/get/cam0");
        await Check("Path", HttpMethod.Get, "/v3/paths/get/idle");
        await Check("PathList", HttpMethod.Get, "/v3/paths/list");
        await Check("Recording", HttpMethod.Get, "/v3/recordings/get/cam0");
        await Check("RecordingList", HttpMethod.Get, "/v3/recordings/list");
        await Check("OK", HttpMethod.Patch, "/v3/config/paths/patch/cam0", """{"record":false}""");
        await Check("OK", HttpMethod.Post, "/v3/auth/jwks/refresh", string.Empty);
        await Check("Error", HttpMethod.Get, "/v3/paths/get/nope");
        await Check("Error", HttpMethod.Post, "/v3/config/paths/add/cam0", "{}");
    }

    [Fact]
    public void Validator_RejectsWrongShapes()
    {
        Assert.NotEmpty(OpenApiSchemas.Validate("Path", JsonNode.Parse("""{"ready":"yes"}""")));
        Assert.NotEmpty(OpenApiSchemas.Validate("Path", JsonNode.Parse("""{"source":{"type":"nonsense","id":""}}""")));
        Assert.NotEmpty(OpenApiSchemas.Validate("OK", JsonNode.Parse("""{"status":"fine"}""")));
        Assert.Empty(OpenApiSchemas.Validate("Path", JsonNode.Parse("""{"source":null,"readyTime":null}""")));
    }
}

using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Core.Rpc;

namespace CameraService.Core.Tests;

public sealed class RpcProtocolTests : IAsyncLifetime
{
    private CoreHarness _core = null!;

    public Task InitializeAsync()
    {
        _core = new CoreHarness(
            new Dictionary<string, string?> { ["Api:MaxBatchSize"] = "4" },
            services => services.AddRpcMethods<FailingMethods>());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task HandleMessage_Ping_ReturnsPongWithSameId()
    {
        var (session, _) = _core.Open();

        var numeric = await CoreHarness.SendRawAsync(session, """{"jsonrpc":"2.0","method":"ping","id":7}""");
        var text = await CoreHarness.SendAsync(session, """{"jsonrpc":"2.0","method":"ping","id":"abc"}""");
        var nullId = await CoreHarness.SendAsync(session, """{"jsonrpc":"2.0","method":"ping","id":null}""");

        Assert.Equal("""{"jsonrpc":"2.0","result":"pong","id":7}""", numeric);
        Assert.Equal("abc", text!.Value.Str("id"));
        Assert.Equal(JsonValueKind.Null, nullId!.Value.GetProperty("id").ValueKind);
        Assert.Equal("pong", nullId.Value.Result().GetString());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("""{"jsonrpc":"2.0","method":"ping","id":1""")]
    public async Task HandleMessage_NotJson_Returns32700WithNullId(string body)
    {
        var (session, _) = _core.Open();

        var response = (await CoreHarness.SendAsync(session, body))!.Value;

        response.Error(RpcErrorCodes.ParseError);
        Assert.Equal(JsonValueKind.Null, response.GetProperty("id").ValueKind);
    }

    [Fact]
    public async Task HandleMessage_InvalidUtf8_Returns32700()
    {
        var (session, _) = _core.Open();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        await session.HandleMessageAsync(new byte[] { 0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d }, buffer, CancellationToken.None);

        JsonDocument.Parse(buffer.WrittenMemory).RootElement.Error(RpcErrorCodes.ParseError);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"1.0","method":"ping","id":3}""", "jsonrpc_must_be_2.0", true)]
    [InlineData("""{"method":"ping","id":3}""", "jsonrpc_must_be_2.0", true)]
    [InlineData("""{"jsonrpc":"2.0","method":5,"id":3}""", "method_must_be_string", true)]
    [InlineData("""{"jsonrpc":"2.0","id":3}""", "method_must_be_string", true)]
    [InlineData("""{"jsonrpc":"2.0","method":"ping","params":"x","id":3}""", "params_must_be_object", true)]
    [InlineData("""{"jsonrpc":"2.0","method":"ping","id":{"a":1}}""", "id_must_be_string_number_or_null", false)]
    [InlineData("""{"jsonrpc":"2.0","method":"ping","id":[1]}""", "id_must_be_string_number_or_null", false)]
    [InlineData("""{"jsonrpc":"2.0","method":"ping","id":true}""", "id_must_be_string_number_or_null", false)]
    [InlineData("42", "request_must_be_object", false)]
    [InlineData("\"ping\"", "request_must_be_object", false)]
    public async Task HandleMessage_InvalidEnvelope_Returns32600WithReason(string body, string reason, bool echoesId)
    {
        var (session, _) = _core.Open();

        var response = (await CoreHarness.SendAsync(session, body))!.Value;

        var data = response.Error(RpcErrorCodes.InvalidRequest);
        Assert.Equal(reason, data.Str("reason"));
        if (echoesId)
        {
            Assert.Equal(3, response.GetProperty("id").GetInt32());
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, response.GetProperty("id").ValueKind);
        }
    }

    [Fact]
    public async Task HandleMessage_InvalidEnvelopeWithoutId_IsStillAnswered()
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.SendAsync(session, """{"jsonrpc":"2.0","method":1}""");

        Assert.NotNull(response);
        response.Value.Error(RpcErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task HandleMessage_PositionalParams_Returns32602()
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var response = (await CoreHarness.SendAsync(session, """{"jsonrpc":"2.0","method":"get_camera_status","params":["camera0"],"id":1}"""))!.Value;

        var data = response.Error(RpcErrorCodes.InvalidParams);
        Assert.Equal("named_params_required", data.Str("rule"));
    }

    [Fact]
    public async Task HandleMessage_UnknownParam_Returns32602WithParamAndRule()
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "ping", """{"verbose":true}""");

        var data = response.Error(RpcErrorCodes.InvalidParams);
        Assert.Equal("verbose", data.Str("param"));
        Assert.Equal("unknown_param", data.Str("rule"));
    }

    [Theory]
    [InlineData("{}", "device", "required")]
    [InlineData("""{"device":null}""", "device", "required")]
    [InlineData("""{"device":3}""", "device", "type:string")]
    [InlineData("""{"device":"video0"}""", "device", "pattern:^camera[0-9]+$")]
    [InlineData("""{"device":"camera0","extra":1}""", "extra", "unknown_param")]
    public async Task HandleMessage_BadParams_Returns32602WithParamAndRule(string parameters, string param, string rule)
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var response = await CoreHarness.CallAsync(session, "get_camera_capabilities", parameters);

        var data = response.Error(RpcErrorCodes.InvalidParams);
        Assert.Equal(param, data.Str("param"));
        Assert.Equal(rule, data.Str("rule"));
    }

    [Fact]
    public async Task HandleMessage_RangeRules_Returns32602()
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var low = await CoreHarness.CallAsync(session, "test.range", """{"n":0}""");
        var high = await CoreHarness.CallAsync(session, "test.range", """{"n":101}""");
        var fraction = await CoreHarness.CallAsync(session, "test.range", """{"n":1.5}""");
        var ok = await CoreHarness.CallAsync(session, "test.range", """{"n":100}""");

        Assert.Equal("minimum:1", low.Error(RpcErrorCodes.InvalidParams).Str("rule"));
        Assert.Equal("maximum:100", high.Error(RpcErrorCodes.InvalidParams).Str("rule"));
        Assert.Equal("type:integer", fraction.Error(RpcErrorCodes.InvalidParams).Str("rule"));
        Assert.Equal(100, ok.Result().GetInt64());
    }

    [Fact]
    public async Task HandleMessage_UnknownMethod_Returns32601WithMethod()
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "camera_status_update");

        Assert.Equal("camera_status_update", response.Error(RpcErrorCodes.MethodNotFound).Str("method"));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"ping"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"no_such_method"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"get_camera_list"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"ping","params":["x"]}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"test.crash"}""")]
    public async Task HandleMessage_Notification_IsNeverAnswered(string body)
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.SendAsync(session, body);

        Assert.Null(response);
    }

    [Fact]
    public async Task HandleMessage_NotificationIsExecuted()
    {
        var (session, _) = _core.Open();

        Assert.Null(await CoreHarness.SendAsync(session, $$$"""{"jsonrpc":"2.0","method":"authenticate","params":{"auth_token":"{{{_core.Token(ApiRole.Viewer)}}}"}}"""));
        var list = await CoreHarness.CallAsync(session, "get_camera_list");

        list.Result();
    }

    [Fact]
    public async Task HandleMessage_MixedBatch_AnswersOnlyRequests()
    {
        var (session, _) = _core.Open();
        const string batch = """
            [
              {"jsonrpc":"2.0","method":"ping","id":1},
              {"jsonrpc":"2.0","method":"ping"},
              {"jsonrpc":"2.0","method":"nope","id":"b"},
              1
            ]
            """;

        var response = (await CoreHarness.SendAsync(session, batch))!.Value;

        Assert.Equal(JsonValueKind.Array, response.ValueKind);
        var items = response.EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.Equal("pong", items.Single(i => i.GetProperty("id").ValueKind == JsonValueKind.Number).Result().GetString());
        items.Single(i => i.GetProperty("id").ValueKind == JsonValueKind.String).Error(RpcErrorCodes.MethodNotFound);
        Assert.Equal("request_must_be_object", items.Single(i => i.GetProperty("id").ValueKind == JsonValueKind.Null).Error(RpcErrorCodes.InvalidRequest).Str("reason"));
    }

    [Fact]
    public async Task HandleMessage_BatchOfNotifications_WritesNothing()
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.SendAsync(session, """[{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","method":"nope"}]""");

        Assert.Null(response);
    }

    [Fact]
    public async Task HandleMessage_EmptyBatch_Returns32600()
    {
        var (session, _) = _core.Open();

        var response = (await CoreHarness.SendAsync(session, "[]"))!.Value;

        Assert.Equal(JsonValueKind.Object, response.ValueKind);
        Assert.Equal("empty_batch", response.Error(RpcErrorCodes.InvalidRequest).Str("reason"));
    }

    [Fact]
    public async Task HandleMessage_BatchLongerThanCap_Returns32600()
    {
        var (session, _) = _core.Open();
        var batch = "[" + string.Join(',', Enumerable.Range(0, 5).Select(i => $$"""{"jsonrpc":"2.0","method":"ping","id":{{i}}}""")) + "]";

        var response = (await CoreHarness.SendAsync(session, batch))!.Value;

        Assert.Equal("batch_too_long", response.Error(RpcErrorCodes.InvalidRequest).Str("reason"));
    }

    [Fact]
    public async Task HandleMessage_BatchAtCap_AnswersEveryRequest()
    {
        var (session, _) = _core.Open();
        var batch = "[" + string.Join(',', Enumerable.Range(0, 4).Select(i => $$"""{"jsonrpc":"2.0","method":"ping","id":{{i}}}""")) + "]";

        var response = (await CoreHarness.SendAsync(session, batch))!.Value;

        Assert.Equal([0, 1, 2, 3], response.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()).Order());
    }

    [Fact]
    public async Task HandleMessage_HandlerBug_Returns32603WithLoggedRequestIdAndNoExceptionText()
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var raw = await CoreHarness.SendRawAsync(session, """{"jsonrpc":"2.0","method":"test.crash","id":1}""");

        var data = JsonDocument.Parse(raw).RootElement.Error(RpcErrorCodes.InternalError);
        var requestId = data.Str("request_id");
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.DoesNotContain("secret-path", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", raw, StringComparison.Ordinal);
        Assert.Contains(_core.Logs.Lines, l => l.Contains(requestId!, StringComparison.Ordinal) && l.Contains("secret-path", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("test.notfound", RpcErrorCodes.NotFound, "resource", "camera")]
    [InlineData("test.state", RpcErrorCodes.InvalidState, "reason", "already_recording")]
    [InlineData("test.unsupported", RpcErrorCodes.Unsupported, "feature", "webrtc")]
    [InlineData("test.dependency", RpcErrorCodes.DependencyFailed, "dependency", "mediamtx")]
    [InlineData("test.storage", RpcErrorCodes.InsufficientStorage, "threshold_percent", null)]
    [InlineData("test.param", RpcErrorCodes.InvalidParams, "param", "filename")]
    public async Task HandleMessage_TypedException_MapsToContractCode(string method, int code, string dataKey, string? dataValue)
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var response = await CoreHarness.CallAsync(session, method);

        var data = response.Error(code);
        Assert.True(data.TryGetProperty(dataKey, out var value));
        if (dataValue is not null)
        {
            Assert.Equal(dataValue, value.GetString());
        }
    }

    [Fact]
    public async Task HandleMessage_WithoutSession_Returns32001AuthRequired()
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "get_camera_list");

        Assert.Equal("auth_required", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    /// <summary>Methods that exercise failure mapping.</summary>
    internal sealed class FailingMethods : IRpcMethodProvider
    {
        public IEnumerable<RpcMethod> GetMethods()
        {
            RpcMethod M(string name, Func<RpcResult> body, IReadOnlyList<RpcParam>? p = null) =>
                new(name, RpcRole.Viewer, name, p ?? [], CoreJsonContext.Default.Int32, [], (_, _, _) => ValueTask.FromResult(body()));

            yield return M("test.crash", () => throw new InvalidOperationException("boom at /srv/secret-path/file.cs"));
            yield return M("test.notfound", () => throw new ResourceNotFoundException("camera", "camera9"));
            yield return M("test.state", () => throw new InvalidStateException("already_recording", "RECORDING", "Already recording."));
            yield return M("test.unsupported", () => throw new UnsupportedFeatureException("webrtc", "WebRTC is off."));
            yield return M("test.dependency", () => throw new DependencyFailedException("mediamtx", "unreachable"));
            yield return M("test.storage", () => throw new InsufficientStorageException(1000, 95));
            yield return M("test.param", () => throw new InvalidParameterException("filename", "no path separators"));
            yield return new RpcMethod(
                "test.range",
                RpcRole.Viewer,
                "range",
                [new RpcParam("n", RpcParamType.Integer, "n", Required: true) { Minimum = 1, Maximum = 100 }],
                CoreJsonContext.Default.Int32,
                [],
                (_, p, _) => ValueTask.FromResult(RpcResult.Raw(System.Text.Encoding.UTF8.GetBytes(p.GetInt64("n")!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }
    }
}

using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Cameras.Controls;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Tests;

public sealed class CameraControlsTests
{
    private static CoreHarness Core(ICameraSource source, string? state = null) => new(
        new Dictionary<string, string?> { ["CameraService:CameraSources:0"] = source.Name },
        stateDirectory: state,
        sources: source);

    private static async Task<JsonElement> SetAsync(Abstractions.Api.IRpcSession session, string controls, bool? persist = null) =>
        await CoreHarness.CallAsync(
            session, "set_camera_controls", $$"""{"device":"camera0","controls":{{controls}}{{(persist is { } p ? ",\"persist\":" + (p ? "true" : "false") : "")}}}""");

    private static async Task WaitRestoredAsync(CoreHarness core, string stableId) =>
        await core.Services.GetRequiredService<CameraControlsService>().RestoreOf("ctl", stableId).WaitAsync(TimeSpan.FromSeconds(20));

    [Fact]
    public async Task GetCameraControls_ListsTypedControlsPerContract()
    {
        await using var core = Core(new FakeControlledCameraSource().With("usb-a"));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var result = (await CoreHarness.CallAsync(session, "get_camera_controls", """{"device":"camera0"}""")).Result();

        Assert.Equal("camera0", result.Str("device"));
        var controls = result.GetProperty("controls").EnumerateArray().ToList();
        Assert.Equal(["brightness", "white_balance_automatic", "white_balance_temperature", "power_line_frequency", "pan_relative"], controls.Select(c => c.Str("name")));
        var brightness = controls[0];
        Assert.Equal(("integer", 0, 255, 1, 128, 128), (brightness.Str("type"), brightness.GetProperty("min").GetInt64(), brightness.GetProperty("max").GetInt64(),
            brightness.GetProperty("step").GetInt64(), brightness.GetProperty("default").GetInt64(), brightness.GetProperty("value").GetInt64()));
        Assert.False(brightness.GetProperty("read_only").GetBoolean());
        Assert.False(brightness.TryGetProperty("menu", out _));
        Assert.Equal("boolean", controls[1].Str("type"));
        Assert.True(controls[2].GetProperty("inactive").GetBoolean());
        Assert.Equal(["Disabled", "50 Hz", "60 Hz"], controls[3].GetProperty("menu").EnumerateArray().Select(m => m.Str("label")));
        Assert.True(controls[4].GetProperty("relative").GetBoolean());
        Assert.Equal(JsonValueKind.Null, controls[4].GetProperty("value").ValueKind);
    }

    [Fact]
    public async Task SetCameraControls_Valid_AppliesPersistsAndNotifies()
    {
        var source = new FakeControlledCameraSource().With("usb-a");
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
        (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["camera.controls"]}""")).Result();

        // A boolean as true/false, a menu entry by its label.
        var result = (await SetAsync(session, """{"brightness":140,"white_balance_automatic":false,"white_balance_temperature":5000,"power_line_frequency":"60 Hz"}""")).Result();

        Assert.Equal(140, result.GetProperty("applied").GetProperty("brightness").GetInt64());
        Assert.Equal(2, result.GetProperty("applied").GetProperty("power_line_frequency").GetInt64());
        Assert.Equal((140L, 0L, 5000L, 2L), (source.Value("usb-a", "brightness"), source.Value("usb-a", "white_balance_automatic"),
            source.Value("usb-a", "white_balance_temperature"), source.Value("usb-a", "power_line_frequency")));
        var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(core.StateDirectory, CameraControlStore.FileName))).RootElement;
        var camera = saved.GetProperty("cameras").EnumerateArray().Single();
        Assert.Equal(("ctl", "usb-a", 140), (camera.Str("source"), camera.Str("stable_id"), camera.GetProperty("controls").GetProperty("brightness").GetInt32()));
        var notification = connection.Parsed.Single(n => n.Str("method") == "camera_controls_changed").GetProperty("params");
        Assert.Equal("camera0", notification.Str("device"));
        Assert.Equal(140, notification.GetProperty("controls").GetProperty("brightness").GetInt64());
        Assert.True(result.GetProperty("controls").EnumerateArray().First().GetProperty("persisted").GetBoolean());
    }

    [Theory]
    [InlineData("""{"brightness":140,"contrast":3,"power_line_frequency":2}""", "controls.contrast", "unknown_control")]
    [InlineData("""{"brightness":140,"power_line_frequency":"70 Hz","white_balance_automatic":true}""", "controls.power_line_frequency", "not_in_menu:Disabled|50 Hz|60 Hz")]
    [InlineData("""{"brightness":300,"power_line_frequency":2,"white_balance_automatic":true}""", "controls.brightness", "out_of_range:0..255")]
    [InlineData("""{"brightness":140,"white_balance_temperature":5000,"power_line_frequency":2}""", "controls.white_balance_temperature", "inactive")]
    [InlineData("""{"brightness":1.5}""", "controls.brightness", "type:integer|boolean|string")]
    [InlineData("""{}""", "controls", "min_properties:1")]
    public async Task SetCameraControls_OneBadValue_NothingChangedNorSaved(string controls, string param, string rule)
    {
        var source = new FakeControlledCameraSource().With("usb-a");
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var data = (await SetAsync(session, controls)).Error(RpcErrorCodes.InvalidParams);

        Assert.Equal((param, rule), (data.Str("param"), data.Str("rule")));
        Assert.Equal(128, source.Value("usb-a", "brightness"));
        Assert.Equal(2, source.Value("usb-a", "power_line_frequency") + 1);
        Assert.False(File.Exists(Path.Combine(core.StateDirectory, CameraControlStore.FileName)));
    }

    [Fact]
    public async Task SetCameraControls_Viewer_PermissionDeniedAndNothingChanged()
    {
        var source = new FakeControlledCameraSource().With("usb-a");
        await using var core = Core(source);
        await core.StartAsync();
        var viewer = await core.AuthenticatedAsync(ApiRole.Viewer);

        var set = (await SetAsync(viewer, """{"brightness":140}""")).Error(RpcErrorCodes.PermissionDenied);
        var reset = (await CoreHarness.CallAsync(viewer, "reset_camera_controls", """{"device":"camera0"}""")).Error(RpcErrorCodes.PermissionDenied);

        Assert.Equal(("operator", "viewer"), (set.Str("required_role"), set.Str("role")));
        Assert.Equal("operator", reset.Str("required_role"));
        Assert.Equal(128, source.Value("usb-a", "brightness"));
        Assert.Equal(0, source.Writes);
    }

    [Fact]
    public async Task Persisted_ReappliedOnReplugAndAfterRestart_AutoModesFirst()
    {
        var state = Directory.CreateTempSubdirectory("core-controls-").FullName;
        try
        {
            var source = new FakeControlledCameraSource().With("usb-a");
            await using (var core = Core(source, state))
            {
                await core.StartAsync();
                var session = await core.AuthenticatedAsync(ApiRole.Operator);
                (await SetAsync(session, """{"white_balance_temperature":5000,"white_balance_automatic":0,"brightness":90,"pan_relative":3}""")).Result();
                (await SetAsync(session, """{"brightness":95}""", persist: false)).Result();

                // Replug: the camera comes back with its defaults; the persisted values are written again.
                source.Unplug("usb-a");
                source.Plug("usb-a");
                await WaitRestoredAsync(core, "usb-a");
                Assert.Equal((90L, 0L, 5000L), (source.Value("usb-a", "brightness"), source.Value("usb-a", "white_balance_automatic"), source.Value("usb-a", "white_balance_temperature")));
                var restore = source.Calls.Last();
                Assert.Equal(CameraControlApplyMode.Restore, restore.Mode);

                // Relative moves are never replayed.
                Assert.False(restore.Values.ContainsKey("pan_relative"));
            }

            // Restart: a new core over the same state directory, the camera found by the first discovery.
            var again = new FakeControlledCameraSource().With("usb-a");
            await using (var core = Core(again, state))
            {
                await core.StartAsync();
                await WaitRestoredAsync(core, "usb-a");
                Assert.Equal((90L, 0L, 5000L), (again.Value("usb-a", "brightness"), again.Value("usb-a", "white_balance_automatic"), again.Value("usb-a", "white_balance_temperature")));
                var session = await core.AuthenticatedAsync(ApiRole.Viewer);
                var controls = (await CoreHarness.CallAsync(session, "get_camera_controls", """{"device":"camera0"}""")).Result().GetProperty("controls");
                Assert.True(controls.EnumerateArray().Single(c => c.Str("name") == "brightness").GetProperty("persisted").GetBoolean());
            }
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task ResetCameraControls_RestoresDefaultsAndForgetsPersisted()
    {
        var source = new FakeControlledCameraSource().With("usb-a");
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);
        (await SetAsync(session, """{"brightness":90}""")).Result();

        var result = (await CoreHarness.CallAsync(session, "reset_camera_controls", """{"device":"camera0"}""")).Result();

        Assert.True(result.GetProperty("reset").GetBoolean());
        Assert.Equal(128, result.GetProperty("applied").GetProperty("brightness").GetInt64());
        Assert.Equal(128, source.Value("usb-a", "brightness"));
        source.Unplug("usb-a");
        source.Plug("usb-a");
        await WaitRestoredAsync(core, "usb-a");
        Assert.DoesNotContain(source.Calls, c => c.Mode == CameraControlApplyMode.Restore);
    }

    [Fact]
    public async Task ChangeBehindOurBack_NotifiedToSubscribers()
    {
        var source = new FakeControlledCameraSource().With("usb-a");
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer, connection);
        (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["camera.controls"]}""")).Result();

        source.ChangeBehindTheBack("usb-a", "brightness", 201);

        var notification = connection.Parsed.Single(n => n.Str("method") == "camera_controls_changed").GetProperty("params");
        Assert.Equal(("camera0", 201), (notification.Str("device"), notification.GetProperty("controls").GetProperty("brightness").GetInt32()));
    }

    [Fact]
    public async Task Controls_SourceWithoutControls_Unsupported()
    {
        await using var core = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A", "/dev/video0")));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var get = (await CoreHarness.CallAsync(session, "get_camera_controls", """{"device":"camera0"}""")).Error(RpcErrorCodes.Unsupported);
        var set = (await SetAsync(session, """{"brightness":1}""")).Error(RpcErrorCodes.Unsupported);
        var caps = (await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera0"}""")).Result();

        Assert.Equal("controls", get.Str("feature"));
        Assert.Equal("controls", set.Str("feature"));
        Assert.Equal(0, caps.GetProperty("controls").GetArrayLength());
    }

    [Fact]
    public async Task Controls_DisconnectedCamera_InvalidState()
    {
        var source = new FakeControlledCameraSource().With("usb-a");
        await using var core = Core(source);
        await core.StartAsync();
        source.Unplug("usb-a");
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var data = (await SetAsync(session, """{"brightness":1}""")).Error(RpcErrorCodes.InvalidState);

        Assert.Equal(("camera_not_connected", "DISCONNECTED"), (data.Str("reason"), data.Str("state")));
    }

    [Fact]
    public async Task GetCameraCapabilities_HasControlsFrameRatesPerResolutionAndAudio()
    {
        await using var core = Core(new FakeControlledCameraSource().With("usb-a"));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var result = (await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera0"}""")).Result();

        var rates = result.GetProperty("frame_rates");
        Assert.Equal(["1280x720", "640x480", "320x240"], rates.EnumerateObject().Select(p => p.Name));
        Assert.Equal([30.0, 20.0, 15.0], rates.GetProperty("640x480").EnumerateArray().Select(r => r.GetDouble()));
        Assert.Equal([30.0], rates.GetProperty("320x240").EnumerateArray().Select(r => r.GetDouble()));
        Assert.Equal(5, result.GetProperty("controls").GetArrayLength());
        Assert.False(result.GetProperty("audio").GetBoolean());
    }
}

using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Cameras.Controls;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary><c>set_camera_format</c> with a source offering capture modes, a substitute backend and store.</summary>
public sealed class CameraFormatTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("format-tests-").FullName;
    private readonly IStreamBackend _backend;
    private readonly IMediaStore _store;

    public CameraFormatTests() => (_backend, _store) = SubstituteMedia.Create();

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private CoreHarness Core(FakeControlledCameraSource source) => new(
        new Dictionary<string, string?> { ["CameraService:CameraSources:0"] = source.Name },
        services =>
        {
            services.AddSingleton(_backend);
            services.AddSingleton(_store);
        },
        stateDirectory: _state,
        sources: source);

    private async Task WaitPublishedAsync(int width)
    {
        for (var i = 0; i < 500; i++)
        {
            if (_backend.ReceivedCalls().Any(c => c.GetMethodInfo().Name == "PublishAsync" && c.GetArguments()[0] is StreamCamera s && s.Input.Video.Width == width))
            {
                return;
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException("the camera was never published with width " + width);
    }

    [Fact]
    public async Task SetCameraFormat_Valid_RepublishedPersistedAndKeptAcrossRestart()
    {
        await using (var core = Core(new FakeControlledCameraSource().With("usb-a")))
        {
            await core.StartAsync();
            var session = await core.AuthenticatedAsync(ApiRole.Operator);

            var result = (await CoreHarness.CallAsync(session, "set_camera_format", """{"device":"camera0","format":"YUYV","resolution":"640x480","fps":20}""")).Result();

            Assert.Equal(("YUYV", "640x480", 20.0, true), (result.Str("format"), result.Str("resolution"), result.GetProperty("fps").GetDouble(), result.GetProperty("restarted").GetBoolean()));
            await WaitPublishedAsync(640);
            var camera = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];
            Assert.Equal(("640x480", 20.0), (camera.Str("resolution"), camera.GetProperty("fps").GetDouble()));
            var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(_state, CameraFormatService.FileName))).RootElement.GetProperty("cameras")[0];
            Assert.Equal(("usb-a", "YUYV", 640, 20.0), (saved.Str("stable_id"), saved.Str("format"), saved.GetProperty("width").GetInt32(), saved.GetProperty("fps").GetDouble()));
        }

        _backend.ClearReceivedCalls();
        await using (var core = Core(new FakeControlledCameraSource().With("usb-a")))
        {
            await core.StartAsync();
            await WaitPublishedAsync(640);
            var session = await core.AuthenticatedAsync(ApiRole.Viewer);
            var camera = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];
            Assert.Equal(("640x480", 20.0), (camera.Str("resolution"), camera.GetProperty("fps").GetDouble()));
        }
    }

    [Fact]
    public async Task SetCameraFormat_OnlyFps_KeepsFormatAndResolution()
    {
        await using var core = Core(new FakeControlledCameraSource().With("usb-a"));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var result = (await CoreHarness.CallAsync(session, "set_camera_format", """{"device":"camera0","fps":15}""")).Result();

        Assert.Equal(("MJPG", "1280x720", 15.0), (result.Str("format"), result.Str("resolution"), result.GetProperty("fps").GetDouble()));
    }

    [Theory]
    [InlineData("""{"device":"camera0","format":"H264"}""", "format", "not_offered:MJPG|YUYV")]
    [InlineData("""{"device":"camera0","format":"YUYV","resolution":"1280x720"}""", "resolution", "not_offered:640x480|320x240")]
    [InlineData("""{"device":"camera0","format":"MJPG","resolution":"640x480","fps":60}""", "fps", "not_offered:30|15")]
    [InlineData("""{"device":"camera0","resolution":"big"}""", "resolution", "pattern:^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$")]
    public async Task SetCameraFormat_NotOffered_InvalidParamsAndNothingChanged(string request, string param, string rule)
    {
        await using var core = Core(new FakeControlledCameraSource().With("usb-a"));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var data = (await CoreHarness.CallAsync(session, "set_camera_format", request)).Error(RpcErrorCodes.InvalidParams);

        Assert.Equal((param, rule), (data.Str("param"), data.Str("rule")));
        Assert.False(File.Exists(Path.Combine(_state, CameraFormatService.FileName)));
        Assert.Equal("1280x720", (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0].Str("resolution"));
    }

    [Fact]
    public async Task SetCameraFormat_WhileRecording_RefusedWithInvalidState()
    {
        await using var core = Core(new FakeControlledCameraSource().With("usb-a"));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);
        (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""")).Result();

        var data = (await CoreHarness.CallAsync(session, "set_camera_format", """{"device":"camera0","fps":15}""")).Error(RpcErrorCodes.InvalidState);

        Assert.Equal(("recording", "RECORDING"), (data.Str("reason"), data.Str("state")));
        Assert.False(File.Exists(Path.Combine(_state, CameraFormatService.FileName)));
    }

    [Fact]
    public async Task SetCameraFormat_Viewer_PermissionDenied()
    {
        await using var core = Core(new FakeControlledCameraSource().With("usb-a"));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var data = (await CoreHarness.CallAsync(session, "set_camera_format", """{"device":"camera0","fps":15}""")).Error(RpcErrorCodes.PermissionDenied);

        Assert.Equal("operator", data.Str("required_role"));
    }

    [Fact]
    public async Task SetCameraFormat_SourceWithoutCaptureModes_Unsupported()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A", "/dev/video0"));
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["CameraService:CameraSources:0"] = "fake" }, sources: source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var data = (await CoreHarness.CallAsync(session, "set_camera_format", """{"device":"camera0","fps":15}""")).Error(RpcErrorCodes.Unsupported);

        Assert.Equal("capture_modes", data.Str("feature"));
    }
}

using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Cameras;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace CameraService.Core.Tests;

public sealed class CameraRegistryTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("registry-tests-").FullName;
    private readonly IStreamBackend _backend = Substitute.For<IStreamBackend>();
    private readonly IMediaStore _store = Substitute.For<IMediaStore>();

    public CameraRegistryTests()
    {
        _backend.Name.Returns("mediamtx");
        _backend.GetStreamUrls(Arg.Any<string>()).Returns(ci => new StreamUrls { Rtsp = $"rtsp://camera.test:8554/{ci.Arg<string>()}", Hls = $"http://camera.test:8888/{ci.Arg<string>()}" });
        _backend.GetHealth().Returns(ComponentStatus.Running);
        _store.Name.Returns("storage");
        _store.GetRecordingDirectory(Arg.Any<string>()).Returns(ci => "/media/recordings/" + ci.Arg<string>());
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private CoreHarness Core(FakeCameraSource source, bool withBackend = true) =>
        new(
            configure: services =>
            {
                if (withBackend)
                {
                    services.AddSingleton(_backend);
                    services.AddSingleton(_store);
                }
            },
            stateDirectory: _state,
            sources: source);

    [Fact]
    public async Task GetCameraList_AfterDiscovery_ListsCamerasWithContractShape()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A", "/dev/video0"), FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var result = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();

        Assert.Equal(2, result.GetProperty("total").GetInt32());
        Assert.Equal(2, result.GetProperty("connected").GetInt32());
        var first = result.GetProperty("cameras")[0];
        Assert.Equal("camera0", first.Str("device"));
        Assert.Equal("CONNECTED", first.Str("status"));
        Assert.Equal("Cam A", first.Str("name"));
        Assert.Equal("1280x720", first.Str("resolution"));
        Assert.Equal(JsonValueKind.Number, first.GetProperty("fps").ValueKind);
        Assert.Equal(30, first.GetProperty("fps").GetDouble());
        Assert.Equal("rtsp://camera.test:8554/camera0", first.GetProperty("streams").Str("rtsp"));
        Assert.Equal("http://camera.test:8888/camera0", first.GetProperty("streams").Str("hls"));
        Assert.Equal(JsonValueKind.Null, first.GetProperty("streams").GetProperty("webrtc").ValueKind);
        Assert.Equal("usb-a", first.Str("stable_id"));
        Assert.Equal("/dev/video0", first.Str("device_path"));
        Assert.Equal("fake", first.Str("source"));
        Assert.Equal("camera1", result.GetProperty("cameras")[1].Str("device"));
    }

    [Fact]
    public async Task Replug_SameCameraOnOtherNode_KeepsIdAndDisconnectedIsListed()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A", "/dev/video0"), FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        source.Unplug("usb-a");
        var unplugged = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        source.Plug(FakeCameraSource.Camera("usb-a", "Cam A", "/dev/video4"));
        source.Plug(FakeCameraSource.Camera("usb-c", "Cam C", "/dev/video0"));
        var replugged = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();

        Assert.Equal(2, unplugged.GetProperty("total").GetInt32());
        Assert.Equal(1, unplugged.GetProperty("connected").GetInt32());
        var gone = unplugged.GetProperty("cameras")[0];
        Assert.Equal(("camera0", "DISCONNECTED", "Cam A"), (gone.Str("device"), gone.Str("status"), gone.Str("name")));
        Assert.Equal(JsonValueKind.Null, gone.GetProperty("streams").GetProperty("rtsp").ValueKind);
        var byStable = replugged.GetProperty("cameras").EnumerateArray().ToDictionary(c => c.Str("stable_id")!, c => (c.Str("device"), c.Str("status"), c.Str("device_path")));
        Assert.Equal(("camera0", "CONNECTED", "/dev/video4"), byStable["usb-a"]);
        Assert.Equal(("camera1", "CONNECTED", "/dev/video2"), byStable["usb-b"]);
        Assert.Equal(("camera2", "CONNECTED", "/dev/video0"), byStable["usb-c"]);
    }

    [Fact]
    public async Task Restart_NewRegistryOverSameState_KeepsIdsAndListsAbsentAsDisconnected()
    {
        await using (var first = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"), FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"))))
        {
            await first.StartAsync();
        }

        // After the restart only camera B is plugged in, on a different node.
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video0"));
        await using var second = Core(source);
        await second.StartAsync();
        var session = await second.AuthenticatedAsync(ApiRole.Viewer);
        var result = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        source.Plug(FakeCameraSource.Camera("usb-new", "New"));

        var cameras = result.GetProperty("cameras").EnumerateArray().ToList();
        Assert.Equal(2, cameras.Count);
        Assert.Equal(("camera0", "DISCONNECTED", "Cam A", "1280x720"), (cameras[0].Str("device"), cameras[0].Str("status"), cameras[0].Str("name"), cameras[0].Str("resolution")));
        Assert.Equal(("camera1", "CONNECTED", "usb-b"), (cameras[1].Str("device"), cameras[1].Str("status"), cameras[1].Str("stable_id")));
        Assert.True(second.Registry.TryGet("camera2", out var added));
        Assert.Equal("usb-new", added.Binding.StableId);
    }

    [Fact]
    public async Task Delete_CameraLeavesTheList_IdStaysReservedAcrossRestart_AndReturnsOnReAdd()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("net-a", "Stream A"), FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        await using (var first = Core(source))
        {
            await first.StartAsync();
            var session = await first.AuthenticatedAsync(ApiRole.Viewer);
            await WaitFor(() => Calls("PublishAsync").Count == 2);

            source.Delete("net-a");

            var list = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
            Assert.Equal(["camera1"], list.GetProperty("cameras").EnumerateArray().Select(c => c.Str("device")));
            Assert.Equal((1, 1), (list.GetProperty("total").GetInt32(), list.GetProperty("connected").GetInt32()));
            (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Error(RpcErrorCodes.NotFound);
            await WaitFor(() => Calls("UnpublishAsync").Any(c => (string)c[0]! == "camera0"));
        }

        // After a restart the deleted camera is still not listed, and its id is not given to another camera.
        var again = new FakeCameraSource().With(FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        await using var second = Core(again);
        await second.StartAsync();
        var viewer = await second.AuthenticatedAsync(ApiRole.Viewer);
        Assert.Equal(["camera1"], (await CoreHarness.CallAsync(viewer, "get_camera_list")).Result().GetProperty("cameras").EnumerateArray().Select(c => c.Str("device")));
        again.Plug(FakeCameraSource.Camera("usb-new", "New"));
        Assert.True(second.Registry.TryGet("camera2", out var fresh));
        Assert.Equal("usb-new", fresh.Binding.StableId);

        // The same camera reported again (the stream re-added) gets its id back.
        again.Plug(FakeCameraSource.Camera("net-a", "Stream A"));
        Assert.True(second.Registry.TryGet("camera0", out var back));
        Assert.Equal(("net-a", CameraStatus.Connected), (back.Binding.StableId, back.Status));
        Assert.Equal(3, (await CoreHarness.CallAsync(viewer, "get_camera_list")).Result().GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Connect_PublishesToBackendAndDisconnectUnpublishes()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();

        await WaitFor(() => Calls("PublishAsync").Count == 1);
        source.Unplug("usb-a");
        await WaitFor(() => Calls("UnpublishAsync").Count == 1);

        var published = (StreamCamera)Calls("PublishAsync")[0][0]!;
        Assert.Equal("camera0", published.CameraId);
        Assert.Equal("Cam A", published.Name);
        Assert.Equal("/media/recordings/camera0", published.RecordingDirectory);
        Assert.Equal(1280, published.Input.Video.Width);
        Assert.Equal("camera0", Calls("UnpublishAsync")[0][0]);
    }

    [Fact]
    public async Task Connect_BackendFails_CameraStillListedAndFailureLogged()
    {
        _backend.PublishAsync(Arg.Any<StreamCamera>(), Arg.Any<CancellationToken>()).ThrowsAsync(new DependencyFailedException("mediamtx", "unreachable"));
        _backend.GetStreamAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).ThrowsAsync(new DependencyFailedException("mediamtx", "unreachable"));
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        await WaitFor(() => core.Logs.Lines.Any(l => l.Contains("PublishAsync failed for camera0", StringComparison.Ordinal)));
        var list = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        var status = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result();

        Assert.Equal("CONNECTED", list.GetProperty("cameras")[0].Str("status"));
        Assert.Equal(0, status.GetProperty("metrics").GetProperty("bytes_sent").GetInt64());
    }

    [Fact]
    public async Task GetCameraList_NoBackend_StreamsAreNull()
    {
        await using var core = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a")), withBackend: false);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var camera = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];

        Assert.Equal("CONNECTED", camera.Str("status"));
        Assert.Equal(JsonValueKind.Null, camera.GetProperty("streams").GetProperty("rtsp").ValueKind);
    }

    [Fact]
    public async Task GetCameraCapabilities_DeduplicatesAndUsesNumbers()
    {
        await using var core = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a")));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var result = (await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera0"}""")).Result();

        Assert.Equal("camera0", result.Str("device"));
        Assert.Equal(["MJPG", "YUYV"], result.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["1280x720", "640x480", "320x240"], result.GetProperty("resolutions").EnumerateArray().Select(f => f.GetString()));
        Assert.All(result.GetProperty("fps_options").EnumerateArray(), f => Assert.Equal(JsonValueKind.Number, f.ValueKind));
        Assert.Equal([30.0, 20.0, 15.0], result.GetProperty("fps_options").EnumerateArray().Select(f => f.GetDouble()));
        Assert.Equal("CONFIRMED", result.Str("validation_status"));
    }

    [Fact]
    public async Task GetCameraCapabilities_DisconnectedAndErrorCameras_ReportStatus()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a"), FakeCameraSource.Camera("usb-b", state: CameraState.Error));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);
        source.Unplug("usb-a");

        var disconnected = (await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera0"}""")).Result();
        var error = (await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera1"}""")).Result();
        var errorStatus = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera1"}""")).Result();

        Assert.Equal("DISCONNECTED", disconnected.Str("validation_status"));
        Assert.Equal("NONE", error.Str("validation_status"));
        Assert.Equal("ERROR", errorStatus.Str("status"));
    }

    [Fact]
    public async Task GetCameraStatus_ReturnsCameraMetricsAndCapabilities()
    {
        _backend.GetStreamAsync("camera0", Arg.Any<CancellationToken>())
            .Returns(new StreamInfo { CameraId = "camera0", Name = "camera0", Source = "publisher", State = StreamState.Active, Ready = true, Readers = 3, BytesSent = 4096 });
        await using var core = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A")));
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);
        core.Time.Advance(TimeSpan.FromSeconds(42));

        var result = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result();

        Assert.Equal(("camera0", "CONNECTED", "Cam A", "1280x720"), (result.Str("device"), result.Str("status"), result.Str("name"), result.Str("resolution")));
        var metrics = result.GetProperty("metrics");
        Assert.Equal((4096L, 3, 42L), (metrics.GetProperty("bytes_sent").GetInt64(), metrics.GetProperty("readers").GetInt32(), metrics.GetProperty("uptime").GetInt64()));
        Assert.Equal(["MJPG", "YUYV"], result.GetProperty("capabilities").GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(3, result.GetProperty("capabilities").GetProperty("resolutions").GetArrayLength());
    }

    [Theory]
    [InlineData("get_camera_status")]
    [InlineData("get_camera_capabilities")]
    public async Task CameraMethods_UnknownCamera_Returns32010(string method)
    {
        await using var core = Core(new FakeCameraSource());
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var response = await CoreHarness.CallAsync(session, method, """{"device":"camera7"}""");

        var data = response.Error(RpcErrorCodes.NotFound);
        Assert.Equal(("camera", "camera7"), (data.Str("resource"), data.Str("id")));
    }

    [Fact]
    public async Task Registry_DamagedStateFile_StartsFreshAndKeepsBackup()
    {
        await File.WriteAllTextAsync(Path.Combine(_state, CameraRegistry.FileName), "{broken");
        await using var core = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a")));
        await core.StartAsync();

        Assert.Equal("camera0", Assert.Single(core.Registry.Cameras).Id);
        Assert.Equal("{broken", await File.ReadAllTextAsync(Path.Combine(_state, CameraRegistry.FileName + ".damaged")));
        Assert.Contains("usb-a", await File.ReadAllTextAsync(Path.Combine(_state, CameraRegistry.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registry_PersistsBindingsAtomicallyAsJson()
    {
        await using var core = Core(new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A")));
        await core.StartAsync();

        var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_state, CameraRegistry.FileName))).RootElement;

        var binding = Assert.Single(json.GetProperty("cameras").EnumerateArray());
        Assert.Equal(("camera0", "fake", "usb-a"), (binding.Str("id"), binding.Str("source"), binding.Str("stable_id")));
        Assert.Empty(Directory.GetFiles(_state, "*.tmp"));
    }

    [Fact]
    public async Task GetSystemStatus_BeforeAndAfterDiscoveryAndWithFailedSource()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a"));
        await using var core = Core(source);
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);
        var before = (await CoreHarness.CallAsync(session, "get_system_status")).Result();
        await core.StartAsync();
        var after = (await CoreHarness.CallAsync(session, "get_system_status")).Result();

        var failing = new FakeCameraSource("broken") { FailOnStart = true };
        await using var partialCore = new CoreHarness(sources: [new FakeCameraSource(), failing]);
        await partialCore.StartAsync();
        var partial = (await CoreHarness.CallAsync(await partialCore.AuthenticatedAsync(ApiRole.Viewer), "get_system_status")).Result();

        Assert.Equal(("starting", true), (before.Str("status"), before.GetProperty("discovery_active").GetBoolean()));
        Assert.Equal(("ready", false), (after.Str("status"), after.GetProperty("discovery_active").GetBoolean()));
        Assert.Equal(["camera0"], after.GetProperty("available_cameras").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("partial", partial.Str("status"));
        Assert.Contains("broken", partial.Str("message"), StringComparison.Ordinal);
    }

    private List<object?[]> Calls(string name) =>
        _backend.ReceivedCalls().Where(c => c.GetMethodInfo().Name == name).Select(c => c.GetArguments()).ToList();

    private static async Task WaitFor(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}

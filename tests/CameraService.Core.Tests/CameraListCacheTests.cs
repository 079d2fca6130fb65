using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Auth;
using CameraService.Core.Methods;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary>
/// <c>get_camera_list</c> is served pre-serialized to unscoped callers (issue 26): the cached answer must follow every
/// change of the registry at once, and callers with a camera scope must never get it (nor another scope's list).
/// </summary>
public sealed class CameraListCacheTests
{
    [Fact]
    public async Task UnscopedList_IsServedFromTheCacheUntilTheRegistryChanges()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = new CoreHarness(sources: source);
        await core.StartAsync();
        var methods = core.Services.GetServices<CameraService.Core.Rpc.IRpcMethodProvider>().OfType<CameraMethods>().Single();

        var first = methods.ListResult(CameraScope.All);
        var second = methods.ListResult(CameraScope.All);
        source.Plug(FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        var afterChange = methods.ListResult(CameraScope.All);

        Assert.Same(first, second);
        Assert.NotSame(first, afterChange);
        Assert.Same(afterChange, methods.ListResult(CameraScope.All));
    }

    [Fact]
    public async Task RegistryChanges_AreSeenByTheNextListAtOnce()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"), FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        await using var core = new CoreHarness(sources: source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);
        var before = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        var again = (await CoreHarness.CallAsync(session, "get_camera_list", id: 2)).Result();

        source.Unplug("usb-a");
        var unplugged = (await CoreHarness.CallAsync(session, "get_camera_list", id: 3)).Result();
        source.Plug(FakeCameraSource.Camera("usb-b", "Cam B renamed", "/dev/video2"));
        var renamed = (await CoreHarness.CallAsync(session, "get_camera_list", id: 4)).Result();
        source.Plug(FakeCameraSource.Camera("usb-c", "Cam C", "/dev/video4"));
        var plugged = (await CoreHarness.CallAsync(session, "get_camera_list", id: 5)).Result();

        Assert.Equal(before.ToString(), again.ToString());
        Assert.Equal((2, 2), (before.GetProperty("total").GetInt32(), before.GetProperty("connected").GetInt32()));
        Assert.Equal((2, 1), (unplugged.GetProperty("total").GetInt32(), unplugged.GetProperty("connected").GetInt32()));
        Assert.Equal("DISCONNECTED", unplugged.GetProperty("cameras")[0].Str("status"));
        Assert.Equal("Cam B renamed", renamed.GetProperty("cameras")[1].Str("name"));
        Assert.Equal(["camera0", "camera1", "camera2"], plugged.GetProperty("cameras").EnumerateArray().Select(c => c.Str("device")));
        Assert.Equal(2, plugged.GetProperty("connected").GetInt32());
    }

    [Fact]
    public async Task ScopedCallers_NeverSeeAnotherScopesCameras_BeforeOrAfterTheUnscopedListWasCached()
    {
        var source = new FakeCameraSource().With(
            FakeCameraSource.Camera("usb-a", "Cam A"),
            FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"),
            FakeCameraSource.Camera("usb-c", "Cam C", "/dev/video4"));
        await using var core = new CoreHarness(sources: source);
        await core.StartAsync();
        var tokens = core.Services.GetRequiredService<JwtTokenService>();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);
        var scopedA = await Scoped(core, tokens.Create("a", ApiRole.Viewer, TimeSpan.FromHours(1), ["camera0"]));
        var scopedB = await Scoped(core, tokens.Create("b", ApiRole.Admin, TimeSpan.FromHours(1), ["camera1", "camera2"]));

        var aFirst = await Devices(scopedA);
        var all = await Devices(admin);
        var allAgain = await Devices(admin);
        var aAfter = await Devices(scopedA);
        var bAfter = await Devices(scopedB);
        source.Unplug("usb-b");
        var bUnplugged = (await CoreHarness.CallAsync(scopedB, "get_camera_list", id: 9)).Result();
        var allUnplugged = (await CoreHarness.CallAsync(admin, "get_camera_list", id: 10)).Result();

        Assert.Equal(["camera0"], aFirst);
        Assert.Equal(["camera0", "camera1", "camera2"], all);
        Assert.Equal(all, allAgain);
        Assert.Equal(["camera0"], aAfter);
        Assert.Equal(["camera1", "camera2"], bAfter);
        Assert.Equal((2, 1), (bUnplugged.GetProperty("total").GetInt32(), bUnplugged.GetProperty("connected").GetInt32()));
        Assert.Equal((3, 2), (allUnplugged.GetProperty("total").GetInt32(), allUnplugged.GetProperty("connected").GetInt32()));
    }

    [Fact]
    public async Task CameraStatus_StreamMetrics_ReadFromTheBackendAtMostOncePerSecondPerCamera()
    {
        var backend = Substitute.For<IStreamBackend>();
        backend.Name.Returns("mediamtx");
        backend.GetHealth().Returns(ComponentStatus.Running);
        backend.GetStreamUrls(Arg.Any<string>()).Returns(new StreamUrls());
        long bytes = 100;
        backend.GetStreamAsync(Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(ci => new StreamInfo { CameraId = ci.Arg<string>(), Name = ci.Arg<string>(), Source = "publisher", State = StreamState.Active, Ready = true, Readers = 2, BytesSent = bytes });
        var store = Substitute.For<IMediaStore>();
        store.Name.Returns("storage");
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"), FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2"));
        await using var core = new CoreHarness(configure: s => { s.AddSingleton(backend); s.AddSingleton(store); }, sources: source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        async Task<long> Sent(string device) =>
            (await CoreHarness.CallAsync(session, "get_camera_status", $$"""{"device":"{{device}}"}""")).Result().GetProperty("metrics").GetProperty("bytes_sent").GetInt64();

        var first = await Sent("camera0");
        bytes = 500;
        var withinSecond = await Sent("camera0");
        var otherCamera = await Sent("camera1");
        core.Time.Advance(TimeSpan.FromSeconds(1));
        var afterSecond = await Sent("camera0");

        Assert.Equal((100L, 100L, 500L, 500L), (first, withinSecond, otherCamera, afterSecond));
        await backend.Received(2).GetStreamAsync("camera0", Arg.Any<CancellationToken>());
        await backend.Received(1).GetStreamAsync("camera1", Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task CameraStatus_CapabilitySummaryAndName_FollowTheCamerasNewDescriptor()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = new CoreHarness(sources: source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);
        var before = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result();
        var again = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""", id: 2)).Result();

        source.Plug(FakeCameraSource.Camera("usb-a", "Cam A2") with
        {
            Formats = [new CameraFormat { FourCc = "H264", Description = "H.264", Compressed = true, Sizes = [new FrameSize { Width = 1920, Height = 1080, FrameRates = [25] }] }],
        });
        var after = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""", id: 3)).Result();

        Assert.Equal(before.ToString(), again.ToString());
        Assert.Equal(["MJPG", "YUYV"], before.GetProperty("capabilities").GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["H264"], after.GetProperty("capabilities").GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["1920x1080"], after.GetProperty("capabilities").GetProperty("resolutions").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("Cam A2", after.Str("name"));
    }

    private static async Task<IRpcSession> Scoped(CoreHarness core, string token)
    {
        var session = core.Endpoint.OpenSession(new FakeRpcConnection());
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""")).Result();
        return session;
    }

    private static async Task<List<string?>> Devices(IRpcSession session) =>
        [.. (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras").EnumerateArray().Select(c => c.Str("device"))];
}

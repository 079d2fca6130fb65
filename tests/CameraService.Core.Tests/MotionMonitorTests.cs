using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Media.Motion;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary>
/// Motion detection settings and the monitor, on the real core with a substitute backend that delivers frames pushed
/// by the test (a fake <see cref="IVideoFrameSource"/>) on a fake clock: methods (bad input, roles, persistence,
/// quarantine, -32030 without a frame source), motion_detected, motion recording with post-roll, a client's stop
/// winning, and a failing reader started again.
/// </summary>
public sealed class MotionMonitorTests : IDisposable
{
    private const int W = MotionMonitor.FrameWidth;
    private const int H = MotionMonitor.FrameHeight;
    private readonly string _state = Directory.CreateTempSubdirectory("motion-tests-").FullName;
    private readonly IStreamBackend _backend;
    private readonly IMediaStore _store;
    private readonly FakeFrames _frames = new();

    public MotionMonitorTests()
    {
        (_backend, _store) = SubstituteMedia.Create(frameSource: true);
        _backend.StopRecordingAsync("camera0", Arg.Any<CancellationToken>())
            .Returns(new BackendRecording { CameraId = "camera0", Format = "fmp4", StartTime = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.UnixEpoch, Files = [new RecordedFile { Path = "/recordings/camera0/camera0_1.mp4", Size = 1000 }], BytesWritten = 1000 });
        ((IVideoFrameSource)_backend).ReadFramesAsync(Arg.Any<VideoFrameRequest>(), Arg.Any<CancellationToken>())
            .Returns(ci => _frames.ReadAsync(ci.Arg<VideoFrameRequest>(), ci.Arg<CancellationToken>()));
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);

    // ---- settings and methods ----

    [Theory]
    [InlineData("""{"device":"camera0","enabled":true,"threshold":0}""", "threshold")]
    [InlineData("""{"device":"camera0","enabled":true,"threshold":256}""", "threshold")]
    [InlineData("""{"device":"camera0","enabled":true,"min_area":0}""", "min_area")]
    [InlineData("""{"device":"camera0","enabled":true,"min_area":101}""", "min_area")]
    [InlineData("""{"device":"camera0","enabled":true,"pre_seconds":31}""", "pre_seconds")]
    [InlineData("""{"device":"camera0","enabled":true,"post_seconds":-1}""", "post_seconds")]
    [InlineData("""{"device":"camera0","enabled":"yes"}""", "enabled")]
    [InlineData("""{"device":"camera0","threshold":30}""", "enabled")]
    public async Task SetMotionDetection_BadInput_IsInvalidParamsNamingTheField_AndChangesNothing(string request, string field)
    {
        await using var core = Core();
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);
        (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":false,"threshold":40}""")).Result();

        var response = await CoreHarness.CallAsync(session, "set_motion_detection", request);

        Assert.Equal(-32602, response.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains(field, response.GetProperty("error").ToString(), StringComparison.Ordinal);
        var kept = (await CoreHarness.CallAsync(session, "get_motion_detection", """{"device":"camera0"}""")).Result();
        Assert.Equal((false, 40), (kept.GetProperty("enabled").GetBoolean(), kept.GetProperty("threshold").GetInt32()));
    }

    [Fact]
    public async Task Roles_ViewerReadsButCannotSet_ListHasEveryCamera_AndAbsentFieldsKeepTheirValue()
    {
        await using var core = Core(FakeCameraSource.Camera("usb-a", "Cam A"), FakeCameraSource.Camera("usb-b", "Cam B"));
        await core.StartAsync();
        var operatorSession = await core.AuthenticatedAsync(ApiRole.Operator);
        var viewer = await core.AuthenticatedAsync(ApiRole.Viewer);

        var stored = (await CoreHarness.CallAsync(operatorSession, "set_motion_detection",
            """{"device":"camera1","enabled":true,"threshold":30,"min_area":2.5,"record":true,"pre_seconds":3,"post_seconds":20}""")).Result();
        Assert.Equal((30, 2.5, true, 3, 20), (stored.GetProperty("threshold").GetInt32(), stored.GetProperty("min_area").GetDouble(),
            stored.GetProperty("record").GetBoolean(), stored.GetProperty("pre_seconds").GetInt32(), stored.GetProperty("post_seconds").GetInt32()));
        var off = (await CoreHarness.CallAsync(operatorSession, "set_motion_detection", """{"device":"camera1","enabled":false}""")).Result();
        Assert.Equal((false, 30, 20), (off.GetProperty("enabled").GetBoolean(), off.GetProperty("threshold").GetInt32(), off.GetProperty("post_seconds").GetInt32()));
        Assert.Equal("off", off.Str("state"));

        var refused = await CoreHarness.CallAsync(viewer, "set_motion_detection", """{"device":"camera0","enabled":true}""");
        Assert.Equal(-32002, refused.GetProperty("error").GetProperty("code").GetInt32());
        var list = (await CoreHarness.CallAsync(viewer, "list_motion_detection")).Result();
        Assert.Equal(2, list.GetProperty("total").GetInt32());
        var defaults = (await CoreHarness.CallAsync(viewer, "get_motion_detection", """{"device":"camera0"}""")).Result();
        Assert.Equal((false, 25, 1.0, false, 5, 10), (defaults.GetProperty("enabled").GetBoolean(), defaults.GetProperty("threshold").GetInt32(),
            defaults.GetProperty("min_area").GetDouble(), defaults.GetProperty("record").GetBoolean(), defaults.GetProperty("pre_seconds").GetInt32(), defaults.GetProperty("post_seconds").GetInt32()));
    }

    [Fact]
    public async Task Settings_SurviveARestart_AndFollowTheStableId()
    {
        await using (var first = Core())
        {
            await first.StartAsync();
            var session = await first.AuthenticatedAsync(ApiRole.Operator);
            (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":true,"threshold":33,"record":true}""")).Result();
        }

        await using var second = Core();
        await second.StartAsync();
        var again = await second.AuthenticatedAsync(ApiRole.Viewer);
        var kept = (await CoreHarness.CallAsync(again, "get_motion_detection", """{"device":"camera0"}""")).Result();
        Assert.Equal((true, 33, true), (kept.GetProperty("enabled").GetBoolean(), kept.GetProperty("threshold").GetInt32(), kept.GetProperty("record").GetBoolean()));
        Assert.Contains("\"stable_id\":\"usb-a\"", File.ReadAllText(Path.Combine(_state, MotionSettingsStore.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void Store_UnreadableFile_IsKeptAsideAndEveryCameraIsOff()
    {
        var state = new Core.Hosting.StateDirectory(_state);
        File.WriteAllText(state.PathOf(MotionSettingsStore.FileName), "{not json");

        var store = new MotionSettingsStore(state);

        Assert.Null(store.Get("testpattern", "usb-a"));
        Assert.Equal("{not json", File.ReadAllText(state.PathOf(MotionSettingsStore.FileName + ".corrupt")));
    }

    [Fact]
    public async Task BackendWithoutFrameSource_EnablingIsUnsupported_AndNothingIsStored()
    {
        var (plain, store) = SubstituteMedia.Create();
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = new CoreHarness(configure: s => s.AddSingleton(plain).AddSingleton(store), stateDirectory: _state, sources: source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var refused = await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":true}""");

        var error = refused.GetProperty("error");
        Assert.Equal(-32030, error.GetProperty("code").GetInt32());
        Assert.Equal("motion_detection", error.GetProperty("data").Str("feature"));
        Assert.False((await CoreHarness.CallAsync(session, "get_motion_detection", """{"device":"camera0"}""")).Result().GetProperty("enabled").GetBoolean());
        Assert.False(File.Exists(Path.Combine(_state, MotionSettingsStore.FileName)));
        // Turning it off is always possible.
        (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":false}""")).Result();
    }

    // ---- the monitor ----

    [Fact]
    public async Task MovingPicture_SendsMotionDetected_StillPictureDoesNot()
    {
        await using var core = Core();
        await core.StartAsync();
        var (session, connection, _) = await WatchingAsync(core, """{"device":"camera0","enabled":true}""");
        var request = await _frames.Requested.Task;
        Assert.Equal(("camera0", 640, 480, 5.0), (request.CameraId, request.Width, request.Height, request.FrameRate));

        var random = new Random(3);
        var card = MotionDetectorTests.TestCard();
        for (var i = 0; i < 10; i++)
        {
            await _frames.PushAsync(MotionDetectorTests.Noisy(card, random, 8), core);
        }

        Assert.DoesNotContain(connection.Parsed, n => n.Str("method") == "motion_detected");
        Assert.Equal("running", (await CoreHarness.CallAsync(session, "get_motion_detection", """{"device":"camera0"}""")).Result().Str("state"));

        for (var i = 1; i <= 3; i++)
        {
            await _frames.PushAsync(MotionDetectorTests.WithBox(card, 50 * i, 100, 80), core);
        }

        var start = await WaitForMotion(connection, active: true);
        Assert.Equal("camera0", start.Str("device"));
        Assert.True(start.GetProperty("score").GetDouble() >= 1.0);
        Assert.Equal("2026-11-27T10:00:02.200Z", start.Str("timestamp"));
        Assert.True((await CoreHarness.CallAsync(session, "get_motion_detection", """{"device":"camera0"}""")).Result().GetProperty("motion").GetBoolean());

        // Still again: the event ends two seconds after the last motion frame.
        for (var i = 0; i < 12; i++)
        {
            await _frames.PushAsync(MotionDetectorTests.WithBox(card, 150, 100, 80), core);
        }

        var end = await WaitForMotion(connection, active: false);
        Assert.Equal("camera0", end.Str("device"));
        Assert.Single(connection.Parsed, n => n.Str("method") == "motion_detected" && n.GetProperty("params").GetProperty("active").GetBoolean());
        Assert.DoesNotContain(connection.Parsed, n => n.Str("method") == "recording_status_update");
    }

    [Fact]
    public async Task RecordTrue_MotionStartsARecording_WhichStopsPostSecondsAfterTheLastMotion()
    {
        await using var core = Core();
        await core.StartAsync();
        var (session, connection, monitor) = await WatchingAsync(core, """{"device":"camera0","enabled":true,"record":true,"pre_seconds":4,"post_seconds":5}""");
        var card = MotionDetectorTests.TestCard();

        await _frames.PushAsync(card, core);
        await _frames.PushAsync(MotionDetectorTests.WithBox(card, 0, 0, 100), core);
        var started = await connection.WaitForRecordingUpdate("STARTED");
        Assert.Equal("motion", started.Str("reason"));
        await _backend.Received(1).StartRecordingAsync(Arg.Is<RecordingRequest>(r => r.PreEvent == TimeSpan.FromSeconds(4)), Arg.Any<CancellationToken>());

        // Motion goes on for 3 s: the recording is kept.
        for (var i = 1; i <= 15; i++)
        {
            await _frames.PushAsync(MotionDetectorTests.WithBox(card, 20 * (i % 20), 0, 100), core);
            await monitor.RunPassAsync(CancellationToken.None);
        }

        Assert.DoesNotContain(connection.Parsed, n => n.Str("method") == "recording_status_update" && n.GetProperty("params").Str("status") == "STOPPED");

        // Still from here: 4.8 s after the last motion it still records, at 5 s it stops with reason "motion".
        var still = MotionDetectorTests.WithBox(card, 300, 0, 100);
        for (var i = 0; i < 24; i++)
        {
            await _frames.PushAsync(still, core);
            await monitor.RunPassAsync(CancellationToken.None);
        }

        Assert.DoesNotContain(connection.Parsed, n => n.Str("method") == "recording_status_update" && n.GetProperty("params").Str("status") == "STOPPED");
        await _frames.PushAsync(still, core);
        await monitor.RunPassAsync(CancellationToken.None);
        var stopped = await connection.WaitForRecordingUpdate("STOPPED");
        Assert.Equal(("motion", started.Str("session_id")), (stopped.Str("reason"), stopped.Str("session_id")));
    }

    [Fact]
    public async Task ClientStop_WinsUntilTheNextMotion_AndAClientRecordingIsNeverStoppedByMotion()
    {
        await using var core = Core();
        await core.StartAsync();
        var (session, connection, monitor) = await WatchingAsync(core, """{"device":"camera0","enabled":true,"record":true,"pre_seconds":0,"post_seconds":1}""");
        var card = MotionDetectorTests.TestCard();
        await _frames.PushAsync(card, core);
        await _frames.PushAsync(MotionDetectorTests.WithBox(card, 0, 0, 100), core);
        await connection.WaitForRecordingUpdate("STARTED");

        (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();
        connection.Clear();
        for (var i = 1; i <= 5; i++)
        {
            await _frames.PushAsync(MotionDetectorTests.WithBox(card, 30 * i, 0, 100), core);
        }

        Assert.DoesNotContain(connection.Parsed, n => n.Str("method") == "recording_status_update");

        // Quiet, then new motion: a new motion recording.
        for (var i = 0; i < 12; i++)
        {
            await _frames.PushAsync(card, core);
        }

        await WaitForMotion(connection, active: false);
        await _frames.PushAsync(MotionDetectorTests.WithBox(card, 0, 200, 100), core);
        Assert.Equal("motion", (await connection.WaitForRecordingUpdate("STARTED")).Str("reason"));
        (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();

        // A client's recording outlives motion and its post-roll.
        (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""")).Result();
        for (var i = 0; i < 20; i++)
        {
            await _frames.PushAsync(card, core);
            await monitor.RunPassAsync(CancellationToken.None);
        }

        Assert.True((await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result().GetProperty("recording").GetBoolean());
    }

    [Fact]
    public async Task PreEventBufferRefused_RecordsWithoutIt()
    {
        _backend.StartRecordingAsync(Arg.Is<RecordingRequest>(r => r.PreEvent > TimeSpan.Zero), Arg.Any<CancellationToken>())
            .Returns<BackendRecording>(_ => throw new UnsupportedFeatureException("pre_event_buffer", "no buffer; set Plugins:MediaMtx:PreEventBuffer"));
        await using var core = Core();
        await core.StartAsync();
        var (_, connection, _) = await WatchingAsync(core, """{"device":"camera0","enabled":true,"record":true,"pre_seconds":5}""");
        var card = MotionDetectorTests.TestCard();

        await _frames.PushAsync(card, core);
        await _frames.PushAsync(MotionDetectorTests.WithBox(card, 0, 0, 100), core);

        Assert.Equal("motion", (await connection.WaitForRecordingUpdate("STARTED")).Str("reason"));
        await _backend.Received(1).StartRecordingAsync(Arg.Is<RecordingRequest>(r => r.PreEvent == TimeSpan.Zero), Arg.Any<CancellationToken>());
        Assert.Contains(core.Logs.Lines, m => m.Contains("without the pre-event buffer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailingReader_IsStartedAgainAfterABackoff_AndDisablingStopsIt()
    {
        await using var core = Core();
        await core.StartAsync();
        var (session, _) = await SubscribedAsync(core);
        _frames.FailNext = new DependencyFailedException("ffmpeg", "no video frame from the camera's stream: Connection refused");
        (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":true}""")).Result();
        var monitor = Monitor(core);
        await monitor.RunPassAsync(CancellationToken.None);

        var failed = await WaitForState(session, "retrying");
        Assert.Contains("Connection refused", failed.Str("last_error"), StringComparison.Ordinal);
        for (var i = 0; i < 100 && !_frames.Requested.Task.IsCompleted; i++)
        {
            // The back-off runs on the fake clock (its timer may be armed just after the state says retrying).
            core.Time.Advance(MotionMonitor.FirstBackoff);
            await Task.WhenAny(_frames.Requested.Task, Task.Delay(50));
        }

        await _frames.Requested.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _frames.PushAsync(MotionDetectorTests.TestCard(), core);
        var running = await WaitForState(session, "running");
        Assert.Equal(JsonValueKind.Null, running.GetProperty("last_error").ValueKind);

        (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":false}""")).Result();
        await monitor.RunPassAsync(CancellationToken.None);
        Assert.Equal("off", (await CoreHarness.CallAsync(session, "get_motion_detection", """{"device":"camera0"}""")).Result().Str("state"));
        Assert.True(_frames.ReaderEnded.Task.IsCompleted);
    }

    [Fact]
    public async Task ChangingRecordOrPostRoll_KeepsTheReader_ChangingTheThreshold_StartsANewOne()
    {
        await using var core = Core();
        await core.StartAsync();
        var (session, _, monitor) = await WatchingAsync(core, """{"device":"camera0","enabled":true}""");
        await _frames.PushAsync(MotionDetectorTests.TestCard(), core);

        (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":true,"record":true,"post_seconds":30}""")).Result();
        await monitor.RunPassAsync(CancellationToken.None);
        Assert.False(_frames.ReaderEnded.Task.IsCompleted);
        ((IVideoFrameSource)_backend).Received(1).ReadFramesAsync(Arg.Any<VideoFrameRequest>(), Arg.Any<CancellationToken>());

        (await CoreHarness.CallAsync(session, "set_motion_detection", """{"device":"camera0","enabled":true,"threshold":40}""")).Result();
        await monitor.RunPassAsync(CancellationToken.None);
        await _frames.ReaderEnded.Task.WaitAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 500 && Readers() < 2; i++)
        {
            await Task.Delay(10); // the new reader starts on its own task
        }

        Assert.Equal(2, Readers());
    }

    private int Readers() => _backend.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IVideoFrameSource.ReadFramesAsync));

    private static async Task<JsonElement> WaitForMotion(FakeRpcConnection connection, bool active)
    {
        for (var i = 0; i < 500; i++)
        {
            var match = connection.Parsed.FirstOrDefault(n => n.Str("method") == "motion_detected" && n.GetProperty("params").GetProperty("active").GetBoolean() == active);
            if (match.ValueKind == JsonValueKind.Object)
            {
                return match.GetProperty("params");
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException($"no motion_detected active={active}; got: {string.Join(" | ", connection.Notifications)}");
    }

    private static async Task<JsonElement> WaitForState(IRpcSession session, string state)
    {
        for (var i = 0; i < 500; i++)
        {
            var result = (await CoreHarness.CallAsync(session, "get_motion_detection", """{"device":"camera0"}""")).Result();
            if (result.Str("state") == state)
            {
                return result;
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException($"motion detection never reached state {state}");
    }

    /// <summary>A subscribed operator session, the camera's settings stored, one pass run and the reader started.</summary>
    private async Task<(IRpcSession Session, FakeRpcConnection Connection, MotionMonitor Monitor)> WatchingAsync(CoreHarness core, string settings)
    {
        var (session, connection) = await SubscribedAsync(core);
        (await CoreHarness.CallAsync(session, "set_motion_detection", settings)).Result();
        var monitor = Monitor(core);
        await monitor.RunPassAsync(CancellationToken.None);
        await _frames.Requested.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return (session, connection, monitor);
    }

    private static async Task<(IRpcSession Session, FakeRpcConnection Connection)> SubscribedAsync(CoreHarness core)
    {
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
        (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["camera.motion","recording_status_update"]}""")).Result();
        return (session, connection);
    }

    private static MotionMonitor Monitor(CoreHarness core) => core.Services.GetRequiredService<MotionMonitor>();

    private CoreHarness Core(params CameraDescriptor[] cameras)
    {
        var source = new FakeCameraSource().With(cameras.Length > 0 ? cameras : [FakeCameraSource.Camera("usb-a", "Cam A")]);
        return new CoreHarness(
            configure: services =>
            {
                services.AddSingleton(_backend);
                services.AddSingleton(_store);
            },
            stateDirectory: _state,
            sources: source);
    }

    /// <summary>
    /// A frame source the test feeds: <see cref="PushAsync"/> hands one frame to the reader and returns once the
    /// monitor has processed it (asked for the next one), then moves the clock 200 ms (5 fps).
    /// </summary>
    private sealed class FakeFrames
    {
        private readonly Channel<byte[]> _pending = Channel.CreateUnbounded<byte[]>();
        private readonly SemaphoreSlim _processed = new(0);

        public TaskCompletionSource<VideoFrameRequest> Requested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReaderEnded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? FailNext { get; set; }

        public async IAsyncEnumerable<VideoFrame> ReadAsync(VideoFrameRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }

            Requested.TrySetResult(request);
            try
            {
                while (true)
                {
                    var luma = await _pending.Reader.ReadAsync(cancellationToken);
                    yield return new VideoFrame(luma, W, H, DateTimeOffset.UnixEpoch);
                    _processed.Release();
                }
            }
            finally
            {
                ReaderEnded.TrySetResult();
            }
        }

        public async Task PushAsync(byte[] luma, CoreHarness core)
        {
            core.Time.Advance(TimeSpan.FromMilliseconds(200));
            await _pending.Writer.WriteAsync(luma);
            Assert.True(await _processed.WaitAsync(TimeSpan.FromSeconds(10)), "the monitor did not take the frame");
        }
    }
}

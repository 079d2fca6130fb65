using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary>Recording sessions through the API with a substitute backend and store: camera loss and timed stops.</summary>
public sealed class RecordingSessionTests : IDisposable
{
    private const string Segment = "/media/recordings/camera0/camera0_2026-11-27_10-00-00-000000.mp4";
    private readonly string _state = Directory.CreateTempSubdirectory("recording-tests-").FullName;
    private readonly IStreamBackend _backend = Substitute.For<IStreamBackend>();
    private readonly IMediaStore _store = Substitute.For<IMediaStore>();

    public RecordingSessionTests()
    {
        _backend.Name.Returns("mediamtx");
        _backend.GetHealth().Returns(ComponentStatus.Running);
        _backend.GetStreamUrls(Arg.Any<string>()).Returns(new StreamUrls { });
        _backend.GetActiveRecordingsAsync(Arg.Any<CancellationToken>()).Returns(Array.Empty<BackendRecording>());
        _backend.StartRecordingAsync(Arg.Any<RecordingRequest>(), Arg.Any<CancellationToken>())
            .Returns(ci => new BackendRecording { CameraId = "camera0", SessionId = ci.Arg<RecordingRequest>().SessionId, Format = "fmp4", StartTime = ci.Arg<RecordingRequest>().StartTime, Files = [], BytesWritten = 0 });
        _backend.StopRecordingAsync("camera0", Arg.Any<CancellationToken>())
            .Returns(new BackendRecording { CameraId = "camera0", Format = "fmp4", StartTime = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.UnixEpoch, Files = [new RecordedFile { Path = Segment, Size = 4096 }], BytesWritten = 4096 });
        _store.Name.Returns("storage");
        _store.DownloadUrlLifetime.Returns(TimeSpan.FromHours(1));
        _store.GetRecordingDirectory(Arg.Any<string>()).Returns(ci => "/media/recordings/" + ci.Arg<string>());
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task CameraUnplugged_WhileRecording_StopsFinalizesAndReportsError()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
        var started = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""")).Result();
        var sessionId = started.Str("session_id");

        source.Unplug("usb-a");

        var error = await connection.WaitForRecordingUpdate("ERROR");
        Assert.Equal(sessionId, error.Str("session_id"));
        Assert.Contains("unplugged", error.Str("reason"), StringComparison.Ordinal);
        Received.InOrder(() =>
        {
            _backend.StopRecordingAsync("camera0", Arg.Any<CancellationToken>());
            _backend.UnpublishAsync("camera0", Arg.Any<CancellationToken>());
        });
        await _store.Received().AddAsync(MediaKind.Recording, Segment, Arg.Any<CancellationToken>());
        _store.Received().SetRecordingActive("camera0", false);
        var status = (await CoreHarness.CallAsync(session, "get_recording_status", """{"device":"camera0"}""")).Result();
        Assert.Equal("STOPPED", status.Str("status"));
        Assert.Equal("ERROR", status.Str("last_status"));
    }

    [Fact]
    public async Task TimedRecording_DurationElapses_StopsItselfAndNotifiesOnce()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
        var started = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","duration_minutes":2}""")).Result();
        Assert.Equal(120, started.GetProperty("duration").GetInt32());

        core.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal("RECORDING", (await CoreHarness.CallAsync(session, "get_recording_status", """{"device":"camera0"}""")).Result().Str("status"));
        core.Time.Advance(TimeSpan.FromSeconds(1));

        var stopped = await connection.WaitForRecordingUpdate("STOPPED");
        Assert.Equal(started.Str("session_id"), stopped.Str("session_id"));
        Assert.Contains("duration", stopped.Str("reason"), StringComparison.Ordinal);
        await _backend.Received(1).StopRecordingAsync("camera0", Arg.Any<CancellationToken>());
        var second = await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""");
        Assert.Equal(started.Str("session_id"), second.Error(-32020).Str("last_session_id"));
    }

    [Fact]
    public async Task Stop_BackendWroteNoPlayableFile_EndsInErrorWithAReason_NotASilentStopped()
    {
        // Found by the chaos soak: MediaMTX killed mid-recording, the segment it had not flushed is gone, and the stop
        // listed no file — reported as STOPPED with no reason, a silent loss.
        _backend.StopRecordingAsync("camera0", Arg.Any<CancellationToken>())
            .Returns(new BackendRecording { CameraId = "camera0", Format = "fmp4", StartTime = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.UnixEpoch, Files = [], BytesWritten = 0 });
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
        await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""");

        var stopped = (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();

        Assert.Equal("ERROR", stopped.Str("status"));
        var update = await connection.WaitForRecordingUpdate("ERROR");
        Assert.Contains("no playable file", update.Str("reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartRecording_TwoDurations_IsInvalidParamsAndStartsNothing()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var response = await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","duration":10,"duration_hours":1}""");

        Assert.Equal("duration_hours", response.Error(-32602).Str("param"));
        await _backend.DidNotReceive().StartRecordingAsync(Arg.Any<RecordingRequest>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Progress_WhileRecording_SubscribersGetGrowingSizesAndTheCameraObjectShowsIt()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var subscriber = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, subscriber);
        var bystander = new FakeRpcConnection();
        await core.AuthenticatedAsync(ApiRole.Viewer, bystander);
        (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["recording.progress","recording.stop"]}""")).Result();
        var reporter = core.Services.GetRequiredService<Media.RecordingProgressReporter>();
        Assert.Equal(0, await reporter.ReportAsync(CancellationToken.None));
        var sessionId = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""")).Result().Str("session_id");
        var camera = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result();
        Assert.True(camera.GetProperty("recording").GetBoolean());
        Assert.Equal(sessionId, camera.Str("recording_session"));
        Assert.Equal(JsonValueKind.Null, camera.GetProperty("current_file").ValueKind);

        // The backend reports the segment being written growing between two rounds.
        long written = 1000;
        _backend.GetActiveRecordingsAsync(Arg.Any<CancellationToken>()).Returns(_ => new[]
        {
            new BackendRecording { CameraId = "camera0", SessionId = sessionId, Format = "fmp4", StartTime = core.Time.GetUtcNow(), Files = [new RecordedFile { Path = Segment, Size = written }], BytesWritten = written },
        });
        core.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await reporter.ReportAsync(CancellationToken.None));
        written = 9000;
        core.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await reporter.ReportAsync(CancellationToken.None));

        var progress = await WaitForNotifications(subscriber, "recording_progress", 2);
        Assert.Equal([1000L, 9000L], progress.Select(p => p.GetProperty("file_size").GetInt64()));
        Assert.Equal([5.0, 10.0], progress.Select(p => p.GetProperty("elapsed_time").GetDouble()));
        Assert.All(progress, p =>
        {
            Assert.Equal(("camera0", sessionId, "camera0_2026-11-27_10-00-00-000000.mp4", 1), (p.Str("device"), p.Str("session_id"), p.Str("current_file"), p.GetProperty("segments").GetInt32()));
        });
        var listed = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];
        Assert.Equal(("camera0_2026-11-27_10-00-00-000000.mp4", 10.0), (listed.Str("current_file"), listed.GetProperty("elapsed_time").GetDouble()));

        // Not in the default set: a session that did not subscribe gets none; after the stop nothing is reported.
        Assert.DoesNotContain(bystander.Parsed, n => n.Str("method") == "recording_progress");
        (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();
        Assert.Equal(0, await reporter.ReportAsync(CancellationToken.None));
        var idle = (await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result();
        Assert.False(idle.GetProperty("recording").GetBoolean());
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("elapsed_time").ValueKind);
    }

    private static async Task<List<JsonElement>> WaitForNotifications(FakeRpcConnection connection, string method, int count)
    {
        for (var i = 0; i < 500; i++)
        {
            var found = connection.Parsed.Where(n => n.Str("method") == method).Select(n => n.GetProperty("params")).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException($"fewer than {count} {method}; got: {string.Join(" | ", connection.Notifications)}");
    }

    [Fact]
    public async Task FileEntries_CarryFormatFromTheFileName_AndStartRecordingPassesMkvToTheBackend()
    {
        static MediaFile File(MediaKind kind, string name) => new()
        {
            Kind = kind, FileName = name, CameraId = "camera0", Path = "/media/" + name, Size = 10, ContentType = "x/y",
            Created = DateTimeOffset.UnixEpoch, Modified = DateTimeOffset.UnixEpoch,
        };
        _store.ListAsync(MediaKind.Recording, Arg.Any<MediaQuery>(), Arg.Any<CancellationToken>())
            .Returns(new MediaPage { Files = [File(MediaKind.Recording, "camera0_a.mkv"), File(MediaKind.Recording, "camera0_b.mp4")], Total = 2 });
        _store.GetAsync(MediaKind.Recording, "camera0_a.mkv", Arg.Any<CancellationToken>()).Returns(File(MediaKind.Recording, "camera0_a.mkv"));
        _store.GetAsync(MediaKind.Snapshot, "camera0_c.jpg", Arg.Any<CancellationToken>()).Returns(File(MediaKind.Snapshot, "camera0_c.jpg"));
        _store.GetAsync(MediaKind.Snapshot, "camera0_d.png", Arg.Any<CancellationToken>()).Returns(File(MediaKind.Snapshot, "camera0_d.png"));
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var list = (await CoreHarness.CallAsync(session, "list_recordings", "{}")).Result();
        var recording = (await CoreHarness.CallAsync(session, "get_recording_info", """{"filename":"camera0_a.mkv"}""")).Result();
        var jpeg = (await CoreHarness.CallAsync(session, "get_snapshot_info", """{"filename":"camera0_c.jpg"}""")).Result();
        var png = (await CoreHarness.CallAsync(session, "get_snapshot_info", """{"filename":"camera0_d.png"}""")).Result();
        var started = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","format":"mkv"}""")).Result();
        var stopped = (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();
        var bad = await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","format":"avi"}""");

        Assert.Equal(["mkv", "mp4"], list.GetProperty("files").EnumerateArray().Select(f => f.Str("format")));
        Assert.Equal("mkv", recording.Str("format"));
        Assert.Equal("jpeg", jpeg.Str("format"));
        Assert.Equal("png", png.Str("format"));
        Assert.Equal("mkv", started.Str("format"));
        await _backend.Received(1).StartRecordingAsync(Arg.Is<RecordingRequest>(r => r.Format == "mkv"), Arg.Any<CancellationToken>());
        Assert.Equal("mp4", stopped.GetProperty("files")[0].Str("format"));
        Assert.Equal("format", bad.Error(-32602).Str("param"));
    }

    [Fact]
    public async Task StartRecording_AudioOnACameraWithoutAudio_IsUnsupportedAndStartsNothing_WithAudioPassesIt()
    {
        var withAudio = FakeCameraSource.Camera("usb-b", "Cam B", "/dev/video2");
        withAudio = withAudio with { CaptureInput = withAudio.CaptureInput! with { Audio = new CameraService.Abstractions.Cameras.AudioInput { Device = "hw:CARD=B,DEV=0" } } };
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A")).With(withAudio);
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);

        var refused = await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","audio":true}""");
        await _backend.DidNotReceive().StartRecordingAsync(Arg.Any<RecordingRequest>(), Arg.Any<CancellationToken>());
        var started = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera1","audio":true}""")).Result();

        var error = refused.Error(-32030);
        Assert.Equal("audio", error.Str("feature"));
        Assert.Contains("camera0 has no audio input", error.Str("message"), StringComparison.Ordinal);
        Assert.True(started.GetProperty("audio").GetBoolean());
        await _backend.Received(1).StartRecordingAsync(Arg.Is<RecordingRequest>(r => r.CameraId == "camera1" && r.Audio), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task StartRecording_PreSeconds_PassedToTheBackend_StartTimeIsTheBackendsAndTheDurationCountsFromTheCall()
    {
        _backend.StartRecordingAsync(Arg.Any<RecordingRequest>(), Arg.Any<CancellationToken>())
            .Returns(ci =>
            {
                var r = ci.Arg<RecordingRequest>();
                return new BackendRecording { CameraId = r.CameraId, SessionId = r.SessionId, Format = r.Format, StartTime = r.StartTime - TimeSpan.FromSeconds(4), Files = [], BytesWritten = 0 };
            });
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source, new Dictionary<string, string?> { ["Recording:SegmentMaxSize"] = "2MB" });
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
        var called = core.Time.GetUtcNow();

        var tooMany = await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","pre_seconds":31}""");
        var started = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0","pre_seconds":5,"duration":10}""")).Result();

        Assert.Equal("pre_seconds", tooMany.Error(-32602).Str("param"));
        await _backend.Received(1).StartRecordingAsync(
            Arg.Is<RecordingRequest>(r => r.PreEvent == TimeSpan.FromSeconds(5) && r.SegmentMaxBytes == 2_000_000), Arg.Any<CancellationToken>());
        Assert.Equal(4, started.GetProperty("pre_seconds").GetDouble());
        Assert.Equal(called - TimeSpan.FromSeconds(4), DateTimeOffset.Parse(started.Str("start_time")!, System.Globalization.CultureInfo.InvariantCulture));

        // 10 s from the call, not from the first buffered frame.
        core.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("RECORDING", (await CoreHarness.CallAsync(session, "get_recording_status", """{"device":"camera0"}""")).Result().Str("status"));
        core.Time.Advance(TimeSpan.FromSeconds(1));
        await connection.WaitForRecordingUpdate("STOPPED");
    }

    [Theory]
    [InlineData("1048576", 1048576)]
    [InlineData("500MB", 500_000_000)]
    [InlineData("500 MiB", 524_288_000)]
    [InlineData("1.5G", 1_500_000_000)]
    [InlineData("2gib", 2_147_483_648)]
    [InlineData("", 0)]
    [InlineData("0", 0)]
    public void SegmentMaxSize_Parses(string text, long bytes)
    {
        Assert.True(CameraService.Core.Media.ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-5MB")]
    [InlineData("5XB")]
    [InlineData("100KB")]
    public void SegmentMaxSize_BadOrTooSmall_FailsValidationNamingTheKey(string text)
    {
        var result = new CameraService.Core.Media.RecordingOptionsValidator().Validate(null, new CameraService.Core.Media.RecordingOptions { SegmentMaxSize = text });

        Assert.True(result.Failed);
        Assert.StartsWith("Recording:SegmentMaxSize", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CameraList_FollowsRecordingStartElapsedTimeAndStop_ThoughItIsCachedWhileIdle()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);
        var idle = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];
        var sessionId = (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""")).Result().Str("session_id");

        core.Time.Advance(TimeSpan.FromSeconds(3));
        var recording = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];
        core.Time.Advance(TimeSpan.FromSeconds(4));
        var later = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];
        (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();
        var stopped = (await CoreHarness.CallAsync(session, "get_camera_list")).Result().GetProperty("cameras")[0];

        Assert.False(idle.GetProperty("recording").GetBoolean());
        Assert.True(recording.GetProperty("recording").GetBoolean());
        Assert.Equal(sessionId, recording.Str("recording_session"));
        Assert.Equal(3.0, recording.GetProperty("elapsed_time").GetDouble());
        Assert.Equal(7.0, later.GetProperty("elapsed_time").GetDouble());
        Assert.False(stopped.GetProperty("recording").GetBoolean());
        Assert.Equal(JsonValueKind.Null, stopped.GetProperty("elapsed_time").ValueKind);
    }

    private CoreHarness Core(FakeCameraSource source, IReadOnlyDictionary<string, string?>? config = null) =>
        new(
            config,
            configure: services =>
            {
                services.AddSingleton(_backend);
                services.AddSingleton(_store);
            },
            stateDirectory: _state,
            sources: source);
}

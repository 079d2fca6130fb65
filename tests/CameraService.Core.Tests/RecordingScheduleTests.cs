using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Media.Schedules;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary>
/// Recording schedules (api-contract.md §8.2): the calendar across DST and midnight, and the real core driving a
/// substitute backend on a fake clock — start and stop at the boundaries with reason "schedule", a client's stop
/// winning until the next window, resumption after a restart and a replug inside a window, and bad input refused.
/// </summary>
public sealed class RecordingScheduleTests : IDisposable
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private readonly string _state = Directory.CreateTempSubdirectory("schedule-tests-").FullName;
    private readonly IStreamBackend _backend;
    private readonly IMediaStore _store;

    public RecordingScheduleTests()
    {
        (_backend, _store) = SubstituteMedia.Create();
        _backend.StopRecordingAsync("camera0", Arg.Any<CancellationToken>())
            .Returns(new BackendRecording { CameraId = "camera0", Format = "fmp4", StartTime = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.UnixEpoch, Files = [new RecordedFile { Path = "/recordings/camera0/camera0_1.mp4", Size = 1000 }], BytesWritten = 1000 });
        _store.DownloadUrlLifetime.Returns(TimeSpan.FromHours(1));
        _store.ListAsync(Arg.Any<MediaKind>(), Arg.Any<MediaQuery>(), Arg.Any<CancellationToken>()).Returns(new MediaPage { Files = [], Total = 0 });
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);

    // ---- the calendar ----

    [Theory]
    // Berlin, clocks forward 2026-03-29 02:00 → 03:00: the wall-clock window 01:00–05:00 lasts 3 h.
    [InlineData("Europe/Berlin", "2026-03-29T00:30:00Z", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z")]
    // Berlin, clocks back 2026-10-25 03:00 → 02:00: the same window lasts 5 h.
    [InlineData("Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-24T23:00:00Z", "2026-10-25T04:00:00Z")]
    // New York, clocks forward 2026-03-08 02:00 → 03:00 (07:00 UTC).
    [InlineData("America/New_York", "2026-03-08T07:30:00Z", "2026-03-08T06:00:00Z", "2026-03-08T09:00:00Z")]
    // New York, clocks back 2026-11-01 02:00 → 01:00 (06:00 UTC).
    [InlineData("America/New_York", "2026-11-01T06:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T10:00:00Z")]
    public void OpenAt_WindowAcrossDstChange_KeepsTheWallClockBounds(string zoneId, string now, string start, string end)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var schedule = Schedule(zoneId, ("sun", "01:00", "05:00"));

        var open = ScheduleCalendar.OpenAt(schedule, zone, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));

        Assert.NotNull(open);
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), open.Value.Start);
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), open.Value.End);
    }

    [Fact]
    public void ToInstant_TimeInsideTheSpringGap_IsTheInstantOfTheJump_AndTheRepeatedHourItsFirstOccurrence()
    {
        // 02:30 does not exist in New York on 2026-03-08: the window starts when the clock jumps (07:00 UTC).
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 7, 0, 0, TimeSpan.Zero), ScheduleCalendar.ToInstant(new DateOnly(2026, 3, 8), new TimeSpan(2, 30, 0), NewYork));
        // 02:30 happens twice in Berlin on 2026-10-25: the first one (CEST, 00:30 UTC).
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero), ScheduleCalendar.ToInstant(new DateOnly(2026, 10, 25), new TimeSpan(2, 30, 0), Berlin));
    }

    [Fact]
    public void OpenAt_WindowOverMidnight_AndTouchingWindows_AreOneStretch()
    {
        var overnight = Schedule("UTC", ("fri", "22:00", "06:00"));
        var saturday3am = new DateTimeOffset(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 6, 0, 0, TimeSpan.Zero), ScheduleCalendar.OpenAt(overnight, TimeZoneInfo.Utc, saturday3am)!.Value.End);

        var touching = Schedule("UTC", ("mon", "22:00", "24:00"), ("tue", "00:00", "06:00"));
        var monday11pm = new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero);
        var open = ScheduleCalendar.OpenAt(touching, TimeZoneInfo.Utc, monday11pm)!.Value;
        Assert.Equal((new DateTimeOffset(2026, 11, 30, 22, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero)), (open.Start, open.End));

        Assert.Null(ScheduleCalendar.OpenAt(overnight, TimeZoneInfo.Utc, new DateTimeOffset(2026, 11, 28, 6, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 22, 0, 0, TimeSpan.Zero), ScheduleCalendar.NextAfter(overnight, TimeZoneInfo.Utc, saturday3am)!.Value.Start);
    }

    // ---- the service on a fake clock (2026-11-27 10:00 UTC, a Friday) ----

    [Fact]
    public async Task Window_OpensAndCloses_RecordingStartsAndStopsWithReasonSchedule()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);

        var stored = (await CoreHarness.CallAsync(session, "set_recording_schedule",
            """{"device":"camera0","enabled":true,"time_zone":"UTC","windows":[{"days":["fri"],"start":"09:30","end":"10:30"}]}""")).Result();
        Assert.True(stored.GetProperty("active").GetBoolean());
        Assert.Equal("2026-11-27T10:30:00Z", stored.Str("window_end"));
        await Scheduler(core).RunPassAsync(CancellationToken.None);

        var started = await connection.WaitForRecordingUpdate("STARTED");
        Assert.Equal("schedule", started.Str("reason"));
        Assert.True((await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result().GetProperty("recording").GetBoolean());

        core.Time.Advance(TimeSpan.FromMinutes(31));
        await Scheduler(core).RunPassAsync(CancellationToken.None);

        var stopped = await connection.WaitForRecordingUpdate("STOPPED");
        Assert.Equal(("schedule", started.Str("session_id")), (stopped.Str("reason"), stopped.Str("session_id")));
        var after = (await CoreHarness.CallAsync(session, "get_recording_schedule", """{"device":"camera0"}""")).Result();
        Assert.False(after.GetProperty("active").GetBoolean());
        Assert.Equal("2026-12-04T09:30:00Z", after.Str("next_start"));
    }

    [Fact]
    public async Task ClientStopInsideWindow_WinsUntilTheNextWindow_AndAClientRecordingIsNotStoppedByTheSchedule()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var connection = new FakeRpcConnection();
        var session = await LongSessionAsync(core, connection);
        (await CoreHarness.CallAsync(session, "set_recording_schedule",
            """{"device":"camera0","enabled":true,"time_zone":"UTC","windows":[{"days":["fri"],"start":"09:30","end":"10:30"},{"days":["fri"],"start":"11:00","end":"12:00"}]}""")).Result();
        var scheduler = Scheduler(core);
        await scheduler.RunPassAsync(CancellationToken.None);
        await connection.WaitForRecordingUpdate("STARTED");

        (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();
        await scheduler.RunPassAsync(CancellationToken.None);

        Assert.Single(connection.Parsed, n => n.Str("method") == "recording_status_update" && n.GetProperty("params").Str("status") == "STARTED");
        Assert.True((await CoreHarness.CallAsync(session, "get_recording_schedule", """{"device":"camera0"}""")).Result().GetProperty("held_off").GetBoolean());

        // The next window starts: the schedule records again.
        core.Time.Advance(TimeSpan.FromHours(1));
        connection.Clear();
        await scheduler.RunPassAsync(CancellationToken.None);
        Assert.Equal("schedule", (await connection.WaitForRecordingUpdate("STARTED")).Str("reason"));

        // A client's own recording outlives the window.
        (await CoreHarness.CallAsync(session, "stop_recording", """{"device":"camera0"}""")).Result();
        (await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""")).Result();
        core.Time.Advance(TimeSpan.FromHours(1));
        await scheduler.RunPassAsync(CancellationToken.None);
        Assert.True((await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result().GetProperty("recording").GetBoolean());
    }

    [Fact]
    public async Task Restart_InsideWindow_TheScheduledRecordingContinuesAndStopsAtTheWindowEnd()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        await using (var first = Core(source, time))
        {
            await first.StartAsync();
            var session = await first.AuthenticatedAsync(ApiRole.Operator);
            (await CoreHarness.CallAsync(session, "set_recording_schedule",
                """{"device":"camera0","enabled":true,"time_zone":"Europe/Berlin","windows":[{"days":["fri"],"start":"10:30","end":"11:30"}]}""")).Result();
            await Scheduler(first).RunPassAsync(CancellationToken.None);
            Assert.True((await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""")).Result().GetProperty("recording").GetBoolean());
        }

        await using var second = Core(source, time);
        await second.StartAsync();
        var connection = new FakeRpcConnection();
        var again = await second.AuthenticatedAsync(ApiRole.Operator, connection);
        var schedule = (await CoreHarness.CallAsync(again, "get_recording_schedule", """{"device":"camera0"}""")).Result();
        Assert.Equal(("Europe/Berlin", 1), (schedule.Str("time_zone"), schedule.GetProperty("windows").GetArrayLength()));
        await Scheduler(second).RunPassAsync(CancellationToken.None);
        Assert.True((await CoreHarness.CallAsync(again, "get_camera_status", """{"device":"camera0"}""")).Result().GetProperty("recording").GetBoolean());

        // 11:30 Berlin is 10:30 UTC: the re-adopted session was the schedule's, so the schedule stops it.
        time.Advance(TimeSpan.FromMinutes(31));
        await Scheduler(second).RunPassAsync(CancellationToken.None);
        Assert.Equal("schedule", (await connection.WaitForRecordingUpdate("STOPPED")).Str("reason"));
    }

    [Fact]
    public async Task Replug_InsideWindow_TheRunningSchedulerStartsRecordingAgain()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var scheduler = Scheduler(core);
        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            var connection = new FakeRpcConnection();
            var session = await core.AuthenticatedAsync(ApiRole.Operator, connection);
            (await CoreHarness.CallAsync(session, "set_recording_schedule",
                """{"device":"camera0","enabled":true,"time_zone":"UTC","windows":[{"days":["fri"],"start":"09:00","end":"12:00"}]}""")).Result();
            Assert.Equal("schedule", (await connection.WaitForRecordingUpdate("STARTED")).Str("reason"));

            source.Unplug("usb-a");
            await connection.WaitForRecordingUpdate("ERROR");
            connection.Clear();
            source.Plug(FakeCameraSource.Camera("usb-a", "Cam A"));

            Assert.Equal("schedule", (await connection.WaitForRecordingUpdate("STARTED")).Str("reason"));
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("""{"device":"camera0","enabled":true,"windows":[{"days":["fri"],"start":"25:00","end":"26:00"}]}""", "windows[0].start")]
    [InlineData("""{"device":"camera0","enabled":true,"windows":[{"days":["friday"],"start":"09:00","end":"10:00"}]}""", "windows[0].days[0]")]
    [InlineData("""{"device":"camera0","enabled":true,"windows":[{"days":[],"start":"09:00","end":"10:00"}]}""", "windows[0].days")]
    [InlineData("""{"device":"camera0","enabled":true,"windows":[{"days":["fri"],"start":"09:00","end":"09:00"}]}""", "windows[0].end")]
    [InlineData("""{"device":"camera0","enabled":true,"windows":[{"days":["fri"],"start":"09:00"}]}""", "windows[0].end")]
    [InlineData("""{"device":"camera0","enabled":true,"time_zone":"Mars/Olympus","windows":[]}""", "time_zone")]
    [InlineData("""{"device":"camera0","windows":[]}""", "enabled")]
    public async Task SetSchedule_BadInput_IsInvalidParamsNamingTheField_AndKeepsTheStoredSchedule(string request, string field)
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"));
        await using var core = Core(source);
        await core.StartAsync();
        var session = await core.AuthenticatedAsync(ApiRole.Operator);
        (await CoreHarness.CallAsync(session, "set_recording_schedule",
            """{"device":"camera0","enabled":false,"time_zone":"UTC","windows":[{"days":["sat"],"start":"08:00","end":"09:00"}]}""")).Result();

        var response = await CoreHarness.CallAsync(session, "set_recording_schedule", request);

        Assert.Equal(-32602, response.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains(field, response.GetProperty("error").ToString(), StringComparison.Ordinal);
        var kept = (await CoreHarness.CallAsync(session, "get_recording_schedule", """{"device":"camera0"}""")).Result();
        Assert.Equal("sat", kept.GetProperty("windows")[0].GetProperty("days")[0].GetString());
    }

    [Fact]
    public async Task Roles_ViewerReadsButCannotSet_AndListShowsOnlyCamerasWithSchedules()
    {
        var source = new FakeCameraSource().With(FakeCameraSource.Camera("usb-a", "Cam A"), FakeCameraSource.Camera("usb-b", "Cam B"));
        await using var core = Core(source);
        await core.StartAsync();
        var operatorSession = await core.AuthenticatedAsync(ApiRole.Operator);
        var viewer = await core.AuthenticatedAsync(ApiRole.Viewer);
        (await CoreHarness.CallAsync(operatorSession, "set_recording_schedule",
            """{"device":"camera1","enabled":true,"windows":[{"days":["mon","tue"],"start":"08:00","end":"17:00"}]}""")).Result();

        var refused = await CoreHarness.CallAsync(viewer, "set_recording_schedule", """{"device":"camera0","enabled":true,"windows":[]}""");
        Assert.Equal(-32002, refused.GetProperty("error").GetProperty("code").GetInt32());
        var list = (await CoreHarness.CallAsync(viewer, "list_recording_schedules")).Result();
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal("camera1", list.GetProperty("schedules")[0].Str("device"));
        var none = (await CoreHarness.CallAsync(viewer, "get_recording_schedule", """{"device":"camera0"}""")).Result();
        Assert.False(none.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, none.GetProperty("windows").GetArrayLength());
    }

    [Fact]
    public void Store_UnreadableFile_IsKeptAsideAndTheServiceStartsWithoutSchedules()
    {
        var state = new Core.Hosting.StateDirectory(_state);
        File.WriteAllText(state.PathOf(RecordingScheduleStore.FileName), "{not json");

        var store = new RecordingScheduleStore(state);

        Assert.Null(store.Get("testpattern", "usb-a"));
        Assert.Equal("{not json", File.ReadAllText(state.PathOf(RecordingScheduleStore.FileName + ".corrupt")));
    }

    private static RecordingSchedule Schedule(string zone, params (string Day, string Start, string End)[] windows) =>
        new(true, [.. windows.Select(w => new ScheduleWindow([w.Day], w.Start, w.End))], zone);

    /// <summary>An operator session whose token outlives the hours these tests move the clock by.</summary>
    private static async Task<Abstractions.Api.IRpcSession> LongSessionAsync(CoreHarness core, FakeRpcConnection connection)
    {
        var session = core.Endpoint.OpenSession(connection);
        var token = core.Token(ApiRole.Operator, TimeSpan.FromDays(2));
        Assert.True((await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""")).Result().GetProperty("authenticated").GetBoolean());
        return session;
    }

    private static RecordingScheduler Scheduler(CoreHarness core) => core.Services.GetRequiredService<RecordingScheduler>();

    private CoreHarness Core(FakeCameraSource source, Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null) =>
        new(
            configure: services =>
            {
                services.AddSingleton(_backend);
                services.AddSingleton(_store);
            },
            stateDirectory: _state,
            time: time,
            sources: source);
}

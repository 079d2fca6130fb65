using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CameraService.Client.Tests.Fakes;

namespace CameraService.Client.Tests;

/// <summary>camctl end to end against the fake service: output, requests on the wire, downloads, exit codes, configuration.</summary>
[Collection(CamctlCollection.Name)]
public sealed class CamctlTests : IAsyncLifetime
{
    private const string RecordingName = "camera0_2026-11-27_10-15-00.mp4";
    private const string SnapshotName = "camera0_2026-11-27_10-15-02.jpg";
    private readonly EnvScope _env = new();
    private FakeRpcServer _server = null!;
    private DirectoryInfo _dir = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeRpcServer.StartAsync();
        _dir = Directory.CreateTempSubdirectory("camctl-test-");
        // Isolate from the machine: no inherited CAMCTL_* values, no ~/.config/camctl/config.json.
        _env.Set("CAMCTL_URL", null).Set("CAMCTL_TOKEN", null).Set("CAMCTL_CONFIG", Path.Combine(_dir.FullName, "absent.json"));
    }

    public async Task DisposeAsync()
    {
        _env.Dispose();
        await _server.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Cameras_Table_ListsEveryCamera()
    {
        _server.On("get_camera_list", Contract.CameraList);

        var r = await Run("cameras");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("camera0", r.Console, StringComparison.Ordinal);
        Assert.Contains("camera1", r.Console, StringComparison.Ordinal);
        Assert.Contains("DISCONNECTED", r.Console, StringComparison.Ordinal);
        Assert.Contains("rtsp://box:8554/camera0", r.Console, StringComparison.Ordinal);
        Assert.Contains("1 of 2 connected", r.Console, StringComparison.Ordinal);
        Assert.Contains(_server.Requests, q => q.Method == "get_camera_list");
    }

    [Fact]
    public async Task Cameras_Json_SnakeCaseDocument()
    {
        _server.On("get_camera_list", Contract.CameraList);

        var r = await Run("cameras", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Console);
        using var doc = JsonDocument.Parse(r.Raw);
        Assert.Equal(2, doc.RootElement.GetProperty("total").GetInt32());
        var cam = doc.RootElement.GetProperty("cameras")[0];
        Assert.Equal("camera0", cam.GetProperty("device").GetString());
        Assert.Equal("usb-046d_C920_ABC123", cam.GetProperty("stable_id").GetString());
    }

    [Fact]
    public async Task Camera_Id_StatusCapabilitiesAndControls()
    {
        _server.On("get_camera_status", Contract.CameraStatusWithControls);
        _server.On("get_camera_capabilities", Contract.Capabilities);

        var r = await Run("camera", "camera0");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "get_camera_status"), """{"device":"camera0"}""");
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "get_camera_capabilities"), """{"device":"camera0"}""");
        Assert.Contains("usb-046d_C920_ABC123", r.Console, StringComparison.Ordinal);
        Assert.Contains("29.97", r.Console, StringComparison.Ordinal);
        Assert.Contains("1280x720", r.Console, StringComparison.Ordinal);
        Assert.Contains("brightness", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Controls_Camera_TableWithValuesRangesAndFlags()
    {
        _server.On("get_camera_controls", Contract.Controls);

        var r = await Run("controls", "camera0");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("brightness", r.Console, StringComparison.Ordinal);
        Assert.Contains("0..255", r.Console, StringComparison.Ordinal);
        Assert.Contains("1 (50 Hz)", r.Console, StringComparison.Ordinal);
        Assert.Contains("relative", r.Console, StringComparison.Ordinal);
        Assert.Contains("saved", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_NumbersBooleansAndMenuLabels_SentAsValues()
    {
        _server.On("get_camera_controls", Contract.Controls);
        _server.On("set_camera_controls", Contract.ControlsSet);

        var r = await Run("set", "camera0", "brightness=140", "white_balance_automatic=off", "power_line_frequency=50 Hz");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "set_camera_controls"),
            """{"device":"camera0","controls":{"brightness":140,"white_balance_automatic":0,"power_line_frequency":1},"persist":true}""");
        Assert.Contains("brightness = 140", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_OnlyNumbers_NoListingAndNoPersist()
    {
        _server.On("set_camera_controls", Contract.ControlsSet);

        var r = await Run("set", "camera0", "brightness=140", "--no-persist");

        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "get_camera_controls");
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "set_camera_controls"),
            """{"device":"camera0","controls":{"brightness":140},"persist":false}""");
    }

    [Theory]
    [InlineData("brightness")]
    [InlineData("power_line_frequency=70 Hz")]
    [InlineData("no_such=on")]
    public async Task Set_BadAssignment_UsageErrorNothingSent(string assignment)
    {
        _server.On("get_camera_controls", Contract.Controls);

        var r = await Run("set", "camera0", assignment);

        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "set_camera_controls");
    }

    [Fact]
    public async Task Set_ServiceRefusesValue_ExitInvalidParams()
    {
        _server.OnError("set_camera_controls", -32602, "Invalid params", """{"param":"controls.contrast","rule":"out_of_range:0..255"}""");

        var r = await Run("set", "camera0", "contrast=999");

        Assert.Equal(10, r.ExitCode);
        Assert.Contains("controls.contrast", r.Console + r.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_Camera_ReportsDefaultsAndSkipped()
    {
        _server.On("reset_camera_controls", Contract.ControlsReset);

        var r = await Run("reset", "camera0");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("exposure_time_absolute", r.Console, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("45", 45)]
    public async Task RecordStart_Duration_SentInSeconds(string duration, int seconds)
    {
        _server.On("start_recording", Contract.RecordingStarted);

        var r = await Run("record", "start", "camera0", "--duration", duration);

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "start_recording"), $$"""{"device":"camera0","duration":{{seconds}}}""");
        Assert.Contains("rec-1", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordStart_AudioPreFormat_SentAndShown()
    {
        _server.On("start_recording", Contract.RecordingStarted.Replace("\"format\":\"fmp4\"", "\"format\":\"mkv\",\"audio\":true,\"pre_seconds\":4.5", StringComparison.Ordinal));

        var r = await Run("record", "start", "camera0", "--format", "mkv", "--audio", "--pre", "5");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "start_recording"), """{"device":"camera0","format":"mkv","audio":true,"pre_seconds":5}""");
        Assert.Contains("with audio, from 4.5 s before", r.Console, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("31")]
    [InlineData("-1")]
    public async Task RecordStart_PreOutOfRange_Exit2AndNothingSent(string pre)
    {
        var r = await Run("record", "start", "camera0", "--pre", pre);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--pre", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "start_recording");
    }

    [Fact]
    public async Task RecordStart_NoDuration_Unlimited()
    {
        _server.On("start_recording", Contract.RecordingStarted.Replace("\"duration\":30", "\"duration\":null", StringComparison.Ordinal));

        var r = await Run("record", "start", "camera0");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "start_recording"), """{"device":"camera0"}""");
        Assert.Contains("until camctl record stop", r.Console, StringComparison.Ordinal);
    }

    private const string ScheduleResult = """{"device":"camera0","enabled":true,"windows":[{"days":["mon","tue","wed","thu","fri"],"start":"08:00","end":"18:00"},{"days":["sat","sun"],"start":"22:00","end":"06:00"}],"time_zone":"Europe/Berlin","active":false,"held_off":false,"window_end":null,"next_start":"2026-11-30T07:00:00Z"}""";

    [Fact]
    public async Task ScheduleSet_ShortWindowForms_SendTheContractWindows()
    {
        _server.On("set_recording_schedule", ScheduleResult);

        var r = await Run("schedule", "set", "camera0", "mon-fri@08:00-18:00", "sat,sun@22:00-06:00", "--tz", "Europe/Berlin");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "set_recording_schedule"),
            """{"device":"camera0","enabled":true,"windows":[{"days":["mon","tue","wed","thu","fri"],"start":"08:00","end":"18:00"},{"days":["sat","sun"],"start":"22:00","end":"06:00"}],"time_zone":"Europe/Berlin"}""");
        Assert.Contains("mon,tue,wed,thu,fri@08:00-18:00", r.Console, StringComparison.Ordinal);
        Assert.Contains("next window 2026-11-30 07:00:00Z", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScheduleSet_DisableWithoutWindows_KeepsTheStoredWindows()
    {
        _server.On("get_recording_schedule", ScheduleResult);
        _server.On("set_recording_schedule", ScheduleResult);

        var r = await Run("schedule", "set", "camera0", "--disable");

        Assert.Equal(0, r.ExitCode);
        var sent = _server.Requests.Single(q => q.Method == "set_recording_schedule").Params;
        Assert.False(sent.GetProperty("enabled").GetBoolean());
        Assert.Equal(2, sent.GetProperty("windows").GetArrayLength());
        Assert.Equal("Europe/Berlin", sent.GetProperty("time_zone").GetString());
    }

    [Theory]
    [InlineData("mon-fri 08:00-18:00")]
    [InlineData("fri-mon@08:00-18:00")]
    [InlineData("someday@08:00-18:00")]
    [InlineData("mon@8:00-18:00")]
    public async Task ScheduleSet_BadWindow_Exit2AndNothingSent(string window)
    {
        var r = await Run("schedule", "set", "camera0", window);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("window", r.All, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "set_recording_schedule");
    }

    private const string MotionResult = """{"device":"camera0","enabled":true,"threshold":30,"min_area":1,"record":true,"pre_seconds":5,"post_seconds":10,"state":"running","motion":false,"last_motion":null,"last_error":null}""";

    [Fact]
    public async Task MotionSet_OnWithOptions_SendsOnlyTheGivenFields()
    {
        _server.On("set_motion_detection", MotionResult);

        var r = await Run("motion", "set", "camera0", "on", "--threshold", "30", "--record", "true");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "set_motion_detection"), """{"device":"camera0","enabled":true,"threshold":30,"record":true}""");
        Assert.Contains("motion detection on (running)", r.Console, StringComparison.Ordinal);
        Assert.Contains("5 s before, 10 s after", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MotionSet_NeitherOnNorOff_Exit2AndNothingSent()
    {
        var r = await Run("motion", "set", "camera0", "maybe");

        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "set_motion_detection");
    }

    [Fact]
    public async Task MotionList_TableOfCameras()
    {
        _server.On("list_motion_detection", "{\"cameras\":[" + MotionResult + "],\"total\":1}");

        var r = await Run("motion", "list");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("yes (-5s/+10s)", r.Console, StringComparison.Ordinal);
        Assert.Contains("1 camera(s)", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScheduleList_TableOfCamerasWithSchedules()
    {
        _server.On("list_recording_schedules", "{\"schedules\":[" + ScheduleResult + "],\"total\":1}");

        var r = await Run("schedule", "list");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Europe/Berlin", r.Console, StringComparison.Ordinal);
        Assert.Contains("1 camera(s) with a schedule", r.Console, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thirty")]
    [InlineData("0s")]
    [InlineData("10x")]
    [InlineData("-5m")]
    public async Task RecordStart_BadDuration_Exit2AndNothingSent(string duration)
    {
        var r = await Run("record", "start", "camera0", "--duration", duration);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--duration", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "start_recording");
    }

    [Fact]
    public async Task RecordStop_ListsFiles()
    {
        _server.On("stop_recording", Contract.RecordingStopped);

        var r = await Run("record", "stop", "camera0");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "stop_recording"), """{"device":"camera0"}""");
        Assert.Contains("camera0_2026-11-27_10-15-20.mp4", r.Console, StringComparison.Ordinal);
        Assert.Contains("30.0 s", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordStatus_ShowsProgress()
    {
        _server.On("get_recording_status", Contract.RecordingStatus);

        var r = await Run("record", "status", "camera0");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "get_recording_status"), """{"device":"camera0"}""");
        Assert.Contains("camera0: RECORDING", r.Console, StringComparison.Ordinal);
        Assert.Contains("limit 30 s", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilesRecordings_LimitAndDevice_Sent()
    {
        _server.On("list_recordings", Contract.Recordings);

        var r = await Run("files", "recordings", "--limit", "5", "--device", "camera0");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "list_recordings"), """{"limit":5,"device":"camera0"}""");
        Assert.Contains(RecordingName, r.Console, StringComparison.Ordinal);
        Assert.Contains("2 of 7", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilesSnapshots_Json()
    {
        _server.On("list_snapshots", Contract.Snapshots);

        var r = await Run("files", "snapshots", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.False(_server.Requests.Single(q => q.Method == "list_snapshots").HasParams);
        using var doc = JsonDocument.Parse(r.Raw);
        Assert.Equal(SnapshotName, doc.RootElement.GetProperty("files")[0].GetProperty("filename").GetString());
    }

    [Fact]
    public async Task Files_UnknownKind_Exit2()
    {
        var r = await Run("files", "videos");

        Assert.Equal(2, r.ExitCode);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData(SnapshotName, "delete_snapshot")]
    [InlineData("door.JPEG", "delete_snapshot")]
    [InlineData(RecordingName, "delete_recording")]
    public async Task Delete_PicksMethodByExtension(string name, string method)
    {
        _server.On(method, Contract.Deleted);

        var r = await Run("delete", name);

        Assert.Equal(0, r.ExitCode);
        var request = Assert.Single(_server.Requests, q => q.Method.StartsWith("delete_", StringComparison.Ordinal));
        Assert.Equal(method, request.Method);
        ClientMethodTests.AssertParams(request, $$"""{"filename":"{{name}}"}""");
        Assert.Contains("deleted", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_Summary()
    {
        _server.On("get_storage_info", Contract.StorageInfo);

        var r = await Run("storage");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("50.0% used", r.Console, StringComparison.Ordinal);
        Assert.Contains("block at 90%", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_SystemStatus()
    {
        _server.On("get_system_status", Contract.SystemStatus);

        var r = await Run("status");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("ready: 2 cameras available", r.Console, StringComparison.Ordinal);
        Assert.Contains("camera0, camera1", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_VersionAndPlugins()
    {
        _server.On("get_server_info", Contract.ServerInfo);

        var r = await Run("server");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("camera-service 1.0.0", r.Console, StringComparison.Ordinal);
        Assert.Contains("mediamtx", r.Console, StringComparison.Ordinal);
        Assert.Contains("ERROR", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_Count2_PrintsTwoNotificationsAndExits()
    {
        var run = Run("events", "--count", "2");
        await _server.WaitForRequestAsync(q => q.Method == "subscribe_events");
        await _server.PushAsync("snapshot_taken", Contract.SnapshotTaken);
        await _server.PushAsync("recording_status_update", Contract.RecordingStatusUpdate);
        await _server.PushAsync("camera_status_update", Contract.CameraStatusUpdate);

        var r = await run.WaitAsync(Poll.DefaultTimeout);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("snapshot_taken", r.Console, StringComparison.Ordinal);
        Assert.Contains("recording_status_update", r.Console, StringComparison.Ordinal);
        Assert.DoesNotContain("camera_status_update", r.Console, StringComparison.Ordinal);
        var topics = _server.Requests.Single(q => q.Method == "subscribe_events").Get("topics").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("camera.connected", topics);
        Assert.Contains("recording.start", topics);
    }

    [Fact]
    public async Task Events_TopicDeviceJson_OneJsonLinePerNotification()
    {
        var run = Run("events", "--topic", "snapshot.taken", "--device", "camera0", "--count", "2", "--json");
        await _server.WaitForRequestAsync(q => q.Method == "subscribe_events");
        await _server.PushAsync("snapshot_taken", Contract.SnapshotTaken);
        await _server.PushAsync("storage_status_update", Contract.StorageStatusUpdate);

        var r = await run.WaitAsync(Poll.DefaultTimeout);

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "subscribe_events"), """{"topics":["snapshot.taken"],"filters":{"device":"camera0"}}""");
        var lines = r.Raw.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("snapshot_taken", first.RootElement.GetProperty("method").GetString());
        Assert.Equal(20480, first.RootElement.GetProperty("params").GetProperty("file_size").GetInt32());
    }

    [Fact]
    public async Task Events_ServiceRestarts_ResubscribesAndKeepsPrinting()
    {
        var run = Run("events", "--topic", "snapshot.taken", "--count", "2");
        await _server.WaitForRequestAsync(q => q.Method == "subscribe_events");
        await _server.PushAsync("snapshot_taken", Contract.SnapshotTaken);

        // A clean restart: the notification already sent still arrives before the close.
        await _server.CloseConnectionsAsync();
        await _server.WaitForRequestAsync(q => q.Connection == 2 && q.Method == "subscribe_events");
        await _server.PushAsync("snapshot_taken", Contract.SnapshotTaken.Replace("10-15-02", "10-16-00", StringComparison.Ordinal));

        var r = await run;
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("10-15-02", r.Console, StringComparison.Ordinal);
        Assert.Contains("10-16-00", r.Console, StringComparison.Ordinal);
        Assert.Contains("reconnected", r.Console, StringComparison.Ordinal);
        ClientMethodTests.AssertParams(_server.Requests.Last(q => q.Method == "subscribe_events"), """{"topics":["snapshot.taken"]}""");
    }

    [Fact]
    public async Task Snapshot_TakesAndDownloads()
    {
        var jpeg = Bytes(5000, seed: 1);
        var url = _server.AddFile("snapshots", SnapshotName, jpeg);
        _server.On("take_snapshot", SnapshotResult(url, jpeg.Length));
        var target = Path.Combine(_dir.FullName, "shot.jpg");

        var r = await Run("snapshot", "camera0", "-o", target);

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "take_snapshot"), """{"device":"camera0"}""");
        Assert.Equal(jpeg, await File.ReadAllBytesAsync(target));
        var get = Assert.Single(_server.FileRequests);
        Assert.Equal($"signed-{SnapshotName}", get.QueryToken);
        Assert.Null(get.Range);
        Assert.Contains("saved to", r.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_ExistingTarget_OverwrittenNotResumed()
    {
        var jpeg = Bytes(3000, seed: 2);
        var url = _server.AddFile("snapshots", SnapshotName, jpeg);
        _server.On("take_snapshot", SnapshotResult(url, jpeg.Length));
        var target = Path.Combine(_dir.FullName, "shot.jpg");
        await File.WriteAllBytesAsync(target, Bytes(1000, seed: 9));

        var r = await Run("snapshot", "camera0", "-o", target);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(jpeg, await File.ReadAllBytesAsync(target));
        Assert.Null(Assert.Single(_server.FileRequests).Range);
    }

    [Fact]
    public async Task Download_Full_SavedWithSessionToken()
    {
        var mp4 = Bytes(200_000, seed: 3);
        var url = _server.AddFile("recordings", RecordingName, mp4);
        _server.On("get_recording_info", RecordingInfo(url, mp4.Length));
        var target = Path.Combine(_dir.FullName, "rec.mp4");

        var r = await Run("download", RecordingName, "-o", target);

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.Single(q => q.Method == "get_recording_info"), $$"""{"filename":"{{RecordingName}}"}""");
        Assert.Equal(mp4, await File.ReadAllBytesAsync(target));
        Assert.Equal("Bearer good-token", Assert.Single(_server.FileRequests).Authorization);
    }

    [Fact]
    public async Task Download_Json_ReportsPathAndSize()
    {
        var mp4 = Bytes(1234, seed: 8);
        var url = _server.AddFile("recordings", RecordingName, mp4);
        _server.On("get_recording_info", RecordingInfo(url, mp4.Length));
        var target = Path.Combine(_dir.FullName, "rec.mp4");

        var r = await Run("download", RecordingName, "-o", target, "--json");

        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Raw);
        Assert.Equal(target, doc.RootElement.GetProperty("saved_to").GetString());
        Assert.Equal(1234, doc.RootElement.GetProperty("file_size").GetInt64());
    }

    [Fact]
    public async Task RecordStart_Json_ResultAsJson()
    {
        _server.On("start_recording", Contract.RecordingStarted);

        var r = await Run("record", "start", "camera0", "--json");

        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Raw);
        Assert.Equal("rec-1", doc.RootElement.GetProperty("session_id").GetString());
        Assert.Equal(30, doc.RootElement.GetProperty("duration").GetInt32());
    }

    [Fact]
    public async Task Download_PartialFile_ResumedWithRange()
    {
        var mp4 = Bytes(300_000, seed: 4);
        var url = _server.AddFile("recordings", RecordingName, mp4);
        _server.On("get_recording_info", RecordingInfo(url, mp4.Length));
        var target = Path.Combine(_dir.FullName, "rec.mp4");
        await File.WriteAllBytesAsync(target, mp4[..123_456]);

        var r = await Run("download", RecordingName, "-o", target);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("bytes=123456-", Assert.Single(_server.FileRequests).Range);
        Assert.Equal(mp4, await File.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task Download_AlreadyComplete_LeftAsIs()
    {
        var mp4 = Bytes(10_000, seed: 5);
        var url = _server.AddFile("recordings", RecordingName, mp4);
        _server.On("get_recording_info", RecordingInfo(url, mp4.Length));
        var target = Path.Combine(_dir.FullName, "rec.mp4");
        await File.WriteAllBytesAsync(target, mp4);

        var r = await Run("download", RecordingName, "-o", target);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("bytes=10000-", Assert.Single(_server.FileRequests).Range);
        Assert.Equal(mp4, await File.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task Download_LocalFileLargerThanRemote_DownloadedAgain()
    {
        var jpeg = Bytes(4_000, seed: 6);
        var url = _server.AddFile("snapshots", SnapshotName, jpeg);
        _server.On("get_snapshot_info", $$"""{"filename":"{{SnapshotName}}","device":"camera0","file_size":{{jpeg.Length}},"created_time":"2026-11-27T10:15:02Z","download_url":"{{url}}"}""");
        var target = Path.Combine(_dir.FullName, "shot.jpg");
        await File.WriteAllBytesAsync(target, Bytes(9_000, seed: 7));

        var r = await Run("download", SnapshotName, "-o", target);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains(_server.Requests, q => q.Method == "get_snapshot_info");
        Assert.Equal(jpeg, await File.ReadAllBytesAsync(target));
        Assert.Equal(["bytes=9000-", null], _server.FileRequests.Select(f => f.Range));
    }

    [Fact]
    public async Task Download_FileGoneOnServer_Exit5()
    {
        _server.On("get_recording_info", RecordingInfo($"{_server.HttpBase}/files/recordings/missing.mp4?token=x", 10));

        var r = await Run("download", RecordingName, "-o", Path.Combine(_dir.FullName, "rec.mp4"));

        Assert.Equal(5, r.ExitCode);
        Assert.Contains("404", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_BadToken_4WithHint()
    {
        var r = await CamctlRunner.RunAsync("cameras", "--url", _server.WsUrl.ToString(), "--token", "stale");

        Assert.Equal(4, r.ExitCode);
        Assert.Contains("token was refused", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Requests, q => q.Method == "get_camera_list");
    }

    [Fact]
    public async Task Exit_PermissionDenied_4()
    {
        _server.OnError("get_storage_info", -32002, "Permission denied", """{"required_role":"admin","role":"viewer"}""");

        var r = await Run("storage");

        Assert.Equal(4, r.ExitCode);
        Assert.Contains("Your role (viewer) cannot do this; it needs admin", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_UnknownCamera_5()
    {
        _server.OnError("get_camera_status", -32010, "Not found", """{"resource":"camera","id":"camera9"}""");

        var r = await Run("camera", "camera9");

        Assert.Equal(5, r.ExitCode);
        Assert.Contains("No camera 'camera9'", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_InvalidState_6()
    {
        _server.OnError("start_recording", -32020, "Invalid state", """{"reason":"already_recording","state":"RECORDING"}""");

        var r = await Run("record", "start", "camera0");

        Assert.Equal(6, r.ExitCode);
        Assert.Contains("already_recording", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_DependencyFailed_7()
    {
        _server.OnError("take_snapshot", -32050, "Dependency failed", """{"dependency":"ffmpeg","detail":"exited with code 1"}""");

        var r = await Run("snapshot", "camera0", "-o", Path.Combine(_dir.FullName, "x.jpg"));

        Assert.Equal(7, r.ExitCode);
        Assert.Contains("ffmpeg failed: exited with code 1", r.All, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "x.jpg")));
    }

    [Fact]
    public async Task Exit_InsufficientStorage_8()
    {
        _server.OnError("start_recording", -32060, "Insufficient storage", """{"available_bytes":1024,"threshold_percent":90}""");

        var r = await Run("record", "start", "camera0", "--duration", "30s");

        Assert.Equal(8, r.ExitCode);
        Assert.Contains("block threshold", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_InvalidParams_10()
    {
        _server.OnError("list_recordings", -32602, "Invalid params", """{"param":"limit","rule":"1-1000"}""");

        var r = await Run("files", "recordings", "--limit", "5000");

        Assert.Equal(10, r.ExitCode);
        Assert.Contains("Invalid parameter 'limit': 1-1000", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_JsonMode_ErrorAsJson()
    {
        _server.OnError("get_camera_status", -32010, "Not found", """{"resource":"camera","id":"camera9"}""");

        var r = await Run("camera", "camera9", "--json");

        Assert.Equal(5, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Raw);
        Assert.Contains("camera9", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_ConnectionRefused_3()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var r = await CamctlRunner.RunAsync("cameras", "--url", $"ws://127.0.0.1:{port}/ws", "--token", "t");

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("Is the service running?", r.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8002/ws")]
    [InlineData("not a url")]
    public async Task Exit_BadUrl_2(string url)
    {
        var r = await CamctlRunner.RunAsync("cameras", "--url", url);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--url must be a ws:// or wss:// URL", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_UnknownCommand_2()
    {
        var r = await CamctlRunner.RunAsync("selfdestruct");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("selfdestruct", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsCommandsAndExitCodes()
    {
        var r = await CamctlRunner.RunAsync("--help");

        Assert.Equal(0, r.ExitCode);
        foreach (var command in new[] { "cameras", "camera", "snapshot", "record", "files", "download", "delete", "storage", "events", "status", "server" })
        {
            Assert.Contains(command, r.Raw, StringComparison.Ordinal);
        }

        Assert.Contains("Exit codes: 0 ok", r.Raw, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Record_NoSubcommand_Exit2()
    {
        var r = await CamctlRunner.RunAsync("record");

        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public async Task Env_UrlAndToken_Used()
    {
        _server.On("get_system_status", Contract.SystemStatus);
        _env.Set("CAMCTL_URL", _server.WsUrl.ToString()).Set("CAMCTL_TOKEN", FakeRpcServer.GoodToken);

        var r = await CamctlRunner.RunAsync("status");

        Assert.Equal(0, r.ExitCode);
        ClientMethodTests.AssertParams(_server.Requests.First(q => q.Method == "authenticate"), """{"auth_token":"good-token"}""");
    }

    [Fact]
    public async Task Env_TokenOption_BeatsEnv()
    {
        _env.Set("CAMCTL_URL", _server.WsUrl.ToString()).Set("CAMCTL_TOKEN", "from-env");

        var r = await CamctlRunner.RunAsync("status", "--token", "from-option");

        Assert.Equal(4, r.ExitCode);
        Assert.Equal("from-option", _server.Requests.Single(q => q.Method == "authenticate").Str("auth_token"));
    }

    [Fact]
    public async Task ConfigFile_UrlAndToken_Used()
    {
        _server.On("get_system_status", Contract.SystemStatus);
        var config = Path.Combine(_dir.FullName, "camctl.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = _server.WsUrl.ToString(), ["token"] = FakeRpcServer.GoodToken }));
        _env.Set("CAMCTL_CONFIG", config);

        var r = await CamctlRunner.RunAsync("status");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(FakeRpcServer.GoodToken, _server.Requests.Single(q => q.Method == "authenticate").Str("auth_token"));
    }

    [Fact]
    public async Task ConfigFile_EnvTokenBeatsFile()
    {
        var config = Path.Combine(_dir.FullName, "camctl.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = _server.WsUrl.ToString(), ["token"] = "from-file" }));
        _env.Set("CAMCTL_CONFIG", config).Set("CAMCTL_TOKEN", "from-env");

        await CamctlRunner.RunAsync("status");

        Assert.Equal("from-env", _server.Requests.Single(q => q.Method == "authenticate").Str("auth_token"));
    }

    [Fact]
    public async Task ConfigFile_InvalidJson_Exit2()
    {
        var config = Path.Combine(_dir.FullName, "camctl.json");
        await File.WriteAllTextAsync(config, "{ url: ");
        _env.Set("CAMCTL_CONFIG", config);

        var r = await CamctlRunner.RunAsync("status");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(config, r.All, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string SnapshotResult(string url, int size) =>
        $$"""{"device":"camera0","filename":"{{SnapshotName}}","status":"SUCCESS","timestamp":"2026-11-27T10:15:02Z","file_size":{{size}},"download_url":"{{url}}"}""";

    private static string RecordingInfo(string url, int size) =>
        $$"""{"filename":"{{RecordingName}}","device":"camera0","file_size":{{size}},"duration":30.0,"created_time":"2026-11-27T10:15:00Z","download_url":"{{url}}"}""";

    private Task<CamctlResult> Run(params string[] args) => CamctlRunner.RunAsync(_server, args);
}

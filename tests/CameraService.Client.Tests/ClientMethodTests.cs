using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Client.Tests.Fakes;

namespace CameraService.Client.Tests;

/// <summary>Every typed method: the method name and params on the wire, and the decoding of a contract-shaped result.</summary>
public sealed class ClientMethodTests : IAsyncLifetime
{
    private FakeRpcServer _server = null!;
    private CameraServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeRpcServer.StartAsync();
        _client = await CameraServiceClient.ConnectAsync(new() { Url = _server.WsUrl, Token = FakeRpcServer.GoodToken, RequestTimeout = TimeSpan.FromSeconds(10) });
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public void ConnectAsync_WithToken_AuthenticatesAndKeepsSession()
    {
        var auth = Assert.Single(_server.Requests);
        Assert.Equal("authenticate", auth.Method);
        AssertParams(auth, """{"auth_token":"good-token"}""");
        Assert.True(_client.Session!.Authenticated);
        Assert.Equal("admin", _client.Session.Role);
        Assert.Equal(["view", "control", "admin"], _client.Session.Permissions);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero), _client.Session.ExpiresAt);
        Assert.Equal("sess-1", _client.Session.SessionId);
    }

    [Fact]
    public async Task Requests_Envelope_JsonRpc20WithNumericId()
    {
        await _client.PingAsync();

        var ping = _server.Requests[^1];
        using var doc = JsonDocument.Parse(ping.Raw);
        Assert.Equal("2.0", doc.RootElement.GetProperty("jsonrpc").GetString());
        Assert.Equal(JsonValueKind.Number, doc.RootElement.GetProperty("id").ValueKind);
        Assert.False(doc.RootElement.TryGetProperty("params", out _), "a call without params must not send a params member");
    }

    [Fact]
    public async Task PingAsync_Pong()
    {
        Assert.Equal("pong", await _client.PingAsync());
        Assert.Equal("ping", _server.Requests[^1].Method);
    }

    [Fact]
    public async Task DiscoverAsync_ReturnsDocument()
    {
        _server.On("rpc.discover", """{"openrpc":"1.3.2","methods":[{"name":"ping"}]}""");

        var doc = await _client.DiscoverAsync();

        Assert.Equal("1.3.2", doc.GetProperty("openrpc").GetString());
        Assert.Equal("rpc.discover", _server.Requests[^1].Method);
    }

    [Fact]
    public async Task GetCameraListAsync_DecodesCameras()
    {
        var (list, request) = await Call("get_camera_list", Contract.CameraList, c => c.GetCameraListAsync());

        Assert.False(request.HasParams);
        Assert.Equal(2, list.Total);
        Assert.Equal(1, list.Connected);
        var cam = list.Cameras[0];
        Assert.Equal("camera0", cam.Device);
        Assert.Equal("CONNECTED", cam.Status);
        Assert.Equal("HD Pro Webcam C920", cam.Name);
        Assert.Equal("1920x1080", cam.Resolution);
        Assert.Equal(30, cam.Fps);
        Assert.Equal("rtsp://box:8554/camera0", cam.Streams!.Rtsp);
        Assert.Equal("http://box:8888/camera0", cam.Streams.Hls);
        Assert.Equal("http://box:8889/camera0", cam.Streams.Webrtc);
        Assert.Equal("usb-046d_C920_ABC123", cam.StableId);
        Assert.Equal("/dev/video0", cam.DevicePath);
        Assert.Equal("v4l2", cam.Source);
        Assert.Equal("DISCONNECTED", list.Cameras[1].Status);
        Assert.Null(list.Cameras[1].Streams!.Rtsp);
    }

    [Fact]
    public async Task GetCameraStatusAsync_DecodesMetricsCapabilitiesAndExtras()
    {
        var (s, request) = await Call("get_camera_status", Contract.CameraStatusWithControls, c => c.GetCameraStatusAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("camera0", s.Device);
        Assert.Equal(123456, s.Metrics!.BytesSent);
        Assert.Equal(2, s.Metrics.Readers);
        Assert.Equal(3600, s.Metrics.Uptime);
        Assert.Equal(["YUYV", "MJPG"], s.Capabilities!.Formats);
        Assert.Equal(["640x480", "1920x1080"], s.Capabilities.Resolutions);
        Assert.Equal("/dev/video0", s.DevicePath);
        Assert.Equal("v4l2", s.Source);
        Assert.Equal(128, s.Extra!["controls"].GetProperty("brightness").GetInt32());
    }

    [Fact]
    public async Task GetCameraCapabilitiesAsync_DecodesFpsAsNumbers()
    {
        var (caps, request) = await Call("get_camera_capabilities", Contract.Capabilities, c => c.GetCameraCapabilitiesAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal([15, 30, 29.97], caps.FpsOptions);
        Assert.Equal(["640x480", "1280x720", "1920x1080"], caps.Resolutions);
        Assert.Equal("CONFIRMED", caps.ValidationStatus);
    }

    [Fact]
    public async Task TakeSnapshotAsync_OnlyDevice_OmitsNullParams()
    {
        var (shot, request) = await Call("take_snapshot", Contract.Snapshot, c => c.TakeSnapshotAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("camera0_2026-11-27_10-15-02.jpg", shot.Filename);
        Assert.Equal("SUCCESS", shot.Status);
        Assert.Equal(20480, shot.FileSize);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 2, TimeSpan.Zero), shot.Timestamp);
        Assert.EndsWith("?token=abc", shot.DownloadUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TakeSnapshotAsync_AllOptions_SnakeCaseParams()
    {
        var (_, request) = await Call("take_snapshot", Contract.Snapshot, c => c.TakeSnapshotAsync("camera0", "door.jpg", "jpg", 85));

        AssertParams(request, """{"device":"camera0","filename":"door.jpg","format":"jpg","quality":85}""");
    }

    [Fact]
    public async Task StartRecordingAsync_Duration_SentAsWholeSeconds()
    {
        var (rec, request) = await Call("start_recording", Contract.RecordingStarted, c => c.StartRecordingAsync("camera0", TimeSpan.FromSeconds(29.2), "fmp4"));

        AssertParams(request, """{"device":"camera0","duration":30,"format":"fmp4"}""");
        Assert.Equal("rec-1", rec.SessionId);
        Assert.Equal("RECORDING", rec.Status);
        Assert.Equal(30, rec.Duration);
        Assert.Equal("fmp4", rec.Format);
        Assert.Equal("camera0_2026-11-27_10-15-00.mp4", rec.Filename);
    }

    [Fact]
    public async Task StartRecordingAsync_NoDuration_OnlyDevice()
    {
        var (_, request) = await Call("start_recording", Contract.RecordingStarted.Replace("\"duration\":30", "\"duration\":null", StringComparison.Ordinal), c => c.StartRecordingAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
    }

    [Fact]
    public async Task StopRecordingAsync_FilesAsNames_Decoded()
    {
        var (stop, request) = await Call("stop_recording", Contract.RecordingStopped, c => c.StopRecordingAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("STOPPED", stop.Status);
        Assert.Equal(30.0, stop.Duration);
        Assert.Equal(3145728, stop.FileSize);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 30, TimeSpan.Zero), stop.EndTime);
        Assert.Equal(["camera0_2026-11-27_10-15-00.mp4", "camera0_2026-11-27_10-15-20.mp4"], stop.Files.Select(f => f.Filename));
    }

    [Fact]
    public async Task StopRecordingAsync_FilesAsObjects_Decoded()
    {
        var json = Contract.RecordingStopped.Replace(
            """["camera0_2026-11-27_10-15-00.mp4","camera0_2026-11-27_10-15-20.mp4"]""",
            """[{"filename":"a.mkv","file_size":10,"download_url":"http://box/a","format":"mkv"}]""", StringComparison.Ordinal);

        var (stop, _) = await Call("stop_recording", json, c => c.StopRecordingAsync("camera0"));

        Assert.Equal(new RecordingFile("a.mkv", 10, "http://box/a") { Format = "mkv" }, Assert.Single(stop.Files));
    }

    [Fact]
    public async Task GetRecordingStatusAsync_Decoded()
    {
        var (s, request) = await Call("get_recording_status", Contract.RecordingStatus, c => c.GetRecordingStatusAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("RECORDING", s.Status);
        Assert.Equal(12.5, s.ElapsedSeconds);
        Assert.Equal(30, s.DurationLimit);
        Assert.Equal(1048576, s.BytesWritten);
    }

    [Fact]
    public async Task StartStreamingAsync_Decoded()
    {
        var (s, request) = await Call("start_streaming", Contract.StreamStarted, c => c.StartStreamingAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("STARTED", s.Status);
        Assert.Equal("rtsp://box:8554/camera0", s.StreamUrl);
        Assert.Equal("300s", s.AutoCloseAfter);
    }

    [Fact]
    public async Task StartStreamingAsync_AutoCloseAsNumber_KeptAsText()
    {
        var (s, _) = await Call("start_streaming", Contract.StreamStarted.Replace("\"300s\"", "300", StringComparison.Ordinal), c => c.StartStreamingAsync("camera0"));

        Assert.Equal("300", s.AutoCloseAfter);
    }

    [Fact]
    public async Task StopStreamingAsync_Decoded()
    {
        var (s, request) = await Call("stop_streaming", Contract.StreamStopped, c => c.StopStreamingAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal(300, s.Duration);
        Assert.False(s.StreamContinues);
        Assert.Equal("STOPPED", s.Status);
    }

    [Fact]
    public async Task GetStreamUrlAsync_Decoded()
    {
        var (s, request) = await Call("get_stream_url", Contract.StreamUrl, c => c.GetStreamUrlAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("rtsp://box:8554/camera0", s.StreamUrlValue);
        Assert.True(s.Available);
        Assert.Equal(1, s.ActiveConsumers);
        Assert.Equal("READY", s.StreamStatus);
    }

    [Fact]
    public async Task GetStreamStatusAsync_Decoded()
    {
        var (s, request) = await Call("get_stream_status", Contract.StreamStatus, c => c.GetStreamStatusAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("ACTIVE", s.Status);
        Assert.True(s.Ready);
        Assert.Equal(3, s.Readers);
        Assert.Equal(987654, s.BytesSent);
    }

    [Fact]
    public async Task GetStreamsAsync_DecodesArray()
    {
        var (streams, request) = await Call("get_streams", Contract.Streams, c => c.GetStreamsAsync());

        Assert.False(request.HasParams);
        Assert.Equal(["camera0", "camera1"], streams.Select(s => s.Name));
        Assert.Equal(42, streams[0].BytesSent);
        Assert.False(streams[1].Ready);
    }

    [Fact]
    public async Task ListRecordingsAsync_AllParams_SnakeCase()
    {
        var (list, request) = await Call("list_recordings", Contract.Recordings, c => c.ListRecordingsAsync(5, 10, "camera0"));

        AssertParams(request, """{"limit":5,"offset":10,"device":"camera0"}""");
        Assert.Equal(7, list.Total);
        Assert.Equal(5, list.Limit);
        Assert.Equal(2, list.Files.Count);
        Assert.Equal(30.0, list.Files[0].Duration);
        Assert.Null(list.Files[1].Duration);
        Assert.Equal("mp4", list.Files[0].Format);
        Assert.Null(list.Files[1].Format);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 30, TimeSpan.Zero), list.Files[0].ModifiedTime);
        Assert.Equal("MjAyNi0xMS0yN1QwOTowMDowNVp8Y2FtZXJhMF8yMDI2LTExLTI3XzA5LTAwLTAwLm1wNA", list.NextCursor);
    }

    [Fact]
    public async Task ListRecordingsAsync_NoParams_NoParamsMember()
    {
        var (_, request) = await Call("list_recordings", Contract.Recordings, c => c.ListRecordingsAsync());

        Assert.False(request.HasParams);
    }

    [Fact]
    public async Task ListSnapshotsAsync_Device_Decoded()
    {
        var (list, request) = await Call("list_snapshots", Contract.Snapshots, c => c.ListSnapshotsAsync(device: "camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.Equal("camera0_2026-11-27_10-15-02.jpg", Assert.Single(list.Files).Filename);
        Assert.Null(list.NextCursor);
    }

    [Fact]
    public async Task GetRecordingInfoAsync_Decoded()
    {
        var (info, request) = await Call("get_recording_info", Contract.RecordingInfo, c => c.GetRecordingInfoAsync("camera0_2026-11-27_10-15-00.mp4"));

        AssertParams(request, """{"filename":"camera0_2026-11-27_10-15-00.mp4"}""");
        Assert.Equal(30.0, info.Duration);
        Assert.Equal("mp4", info.Format);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero), info.CreatedTime);
    }

    [Fact]
    public async Task GetSnapshotInfoAsync_Decoded()
    {
        var (info, request) = await Call("get_snapshot_info", Contract.SnapshotInfo, c => c.GetSnapshotInfoAsync("camera0_2026-11-27_10-15-02.jpg"));

        AssertParams(request, """{"filename":"camera0_2026-11-27_10-15-02.jpg"}""");
        Assert.Null(info.Duration);
        Assert.Equal(20480, info.FileSize);
    }

    [Fact]
    public async Task DeleteRecordingAsync_Decoded()
    {
        var (result, request) = await Call("delete_recording", Contract.Deleted, c => c.DeleteRecordingAsync("camera0_2026-11-27_10-15-00.mp4"));

        AssertParams(request, """{"filename":"camera0_2026-11-27_10-15-00.mp4"}""");
        Assert.True(result.Deleted);
        Assert.Contains("deleted", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteSnapshotAsync_MethodName()
    {
        var (_, request) = await Call("delete_snapshot", Contract.Deleted, c => c.DeleteSnapshotAsync("x.jpg"));

        AssertParams(request, """{"filename":"x.jpg"}""");
    }

    [Fact]
    public async Task GetStorageInfoAsync_Decoded()
    {
        var (s, request) = await Call("get_storage_info", Contract.StorageInfo, c => c.GetStorageInfoAsync());

        Assert.False(request.HasParams);
        Assert.Equal(107374182400, s.TotalSpace);
        Assert.Equal(50.0, s.UsagePercentage);
        Assert.Equal(1073741824, s.SnapshotsSize);
        Assert.Equal(80, s.WarnPercent);
        Assert.Equal(90, s.BlockPercent);
        Assert.False(s.LowSpaceWarning);
        Assert.Equal("OK", s.Status);
    }

    [Fact]
    public async Task SetRetentionPolicyAsync_OmitsNullLimits()
    {
        var (policy, request) = await Call("set_retention_policy", Contract.Retention, c => c.SetRetentionPolicyAsync(new RetentionPolicy("age", true, MaxAgeDays: 7, MinFreePercent: 10)));

        AssertParams(request, """{"policy_type":"age","enabled":true,"max_age_days":7,"min_free_percent":10}""");
        Assert.Equal("age", policy.PolicyType);
        Assert.Equal(7, policy.MaxAgeDays);
        Assert.Null(policy.MaxSizeGb);
        Assert.Equal("Retention policy stored", policy.Message);
    }

    [Fact]
    public async Task CleanupOldFilesAsync_Decoded()
    {
        var (r, request) = await Call("cleanup_old_files", Contract.Cleanup, c => c.CleanupOldFilesAsync());

        Assert.False(request.HasParams);
        Assert.True(r.CleanupExecuted);
        Assert.Equal(3, r.FilesDeleted);
        Assert.Equal(3145728, r.SpaceFreed);
    }

    [Fact]
    public async Task GetMetricsAsync_RawSections()
    {
        var (m, _) = await Call("get_metrics", Contract.Metrics, c => c.GetMetricsAsync());

        Assert.Equal(9.9, m.GetProperty("api_metrics").GetProperty("p99_ms").GetDouble());
        Assert.Equal(3, m.GetProperty("stream_metrics").GetProperty("total_viewers").GetInt32());
    }

    [Fact]
    public async Task GetStatusAsync_Decoded()
    {
        var (s, _) = await Call("get_status", Contract.Status, c => c.GetStatusAsync());

        Assert.Equal("DEGRADED", s.Status);
        Assert.Equal(3600, s.Uptime);
        Assert.Equal("ERROR", s.Components["stream_backend"]);
    }

    [Fact]
    public async Task GetSystemStatusAsync_Decoded()
    {
        var (s, _) = await Call("get_system_status", Contract.SystemStatus, c => c.GetSystemStatusAsync());

        Assert.Equal("ready", s.Status);
        Assert.Equal(["camera0", "camera1"], s.AvailableCameras);
        Assert.True(s.DiscoveryActive);
    }

    [Fact]
    public async Task GetServerInfoAsync_Decoded()
    {
        var (s, _) = await Call("get_server_info", Contract.ServerInfo, c => c.GetServerInfoAsync());

        Assert.Equal("camera-service", s.Name);
        Assert.Equal("2026-11-27", s.BuildDate);
        Assert.Equal(16, s.MaxCameras);
        Assert.Equal(["fmp4", "mp4", "jpg"], s.SupportedFormats);
        Assert.Equal(new PluginInfo("mediamtx", "1.0.0", "ERROR"), s.Plugins[1]);
    }

    [Fact]
    public async Task SubscribeAsync_TopicsAndDeviceFilter()
    {
        var result = await _client.SubscribeAsync(["camera.connected", "recording.start"], "camera0");

        AssertParams(_server.Requests[^1], """{"topics":["camera.connected","recording.start"],"filters":{"device":"camera0"}}""");
        Assert.True(result.Subscribed);
        Assert.Equal(["camera.connected", "recording.start"], result.Topics);
        Assert.Equal("camera0", result.Filters!.Value.GetProperty("device").GetString());
    }

    [Fact]
    public async Task SubscribeAsync_NoDevice_NoFilters()
    {
        await _client.SubscribeAsync(["snapshot.taken"]);

        AssertParams(_server.Requests[^1], """{"topics":["snapshot.taken"]}""");
    }

    [Fact]
    public async Task UnsubscribeAsync_Topics_Decoded()
    {
        var (r, request) = await Call("unsubscribe_events", Contract.Unsubscribed, c => c.UnsubscribeAsync(["camera.connected"]));

        AssertParams(request, """{"topics":["camera.connected"]}""");
        Assert.True(r.Unsubscribed);
    }

    [Fact]
    public async Task UnsubscribeAsync_All_NoParams()
    {
        var (_, request) = await Call("unsubscribe_events", Contract.Unsubscribed, c => c.UnsubscribeAsync());

        Assert.False(request.HasParams);
    }

    [Fact]
    public async Task GetSubscriptionStatsAsync_Decoded()
    {
        var (s, _) = await Call("get_subscription_stats", Contract.SubscriptionStats, c => c.GetSubscriptionStatsAsync());

        Assert.Equal("sess-1", s.ClientId);
        Assert.Equal(4, s.GlobalStats.GetProperty("total_subscriptions").GetInt32());
        Assert.Equal(["camera.connected", "recording.start"], s.ClientTopics);
    }

    [Fact]
    public async Task GetCameraCapabilitiesAsync_V11_FrameRatesControlsAudio()
    {
        var (caps, _) = await Call("get_camera_capabilities", Contract.CapabilitiesV11, c => c.GetCameraCapabilitiesAsync("camera0"));

        Assert.Equal([30, 29.97], caps.FrameRates!["1920x1080"]);
        Assert.Equal(4, caps.Controls!.Count);
        Assert.False(caps.Audio);
    }

    [Fact]
    public async Task GetCameraControlsAsync_DecodesTypesMenusAndFlags()
    {
        var (result, request) = await Call("get_camera_controls", Contract.Controls, c => c.GetCameraControlsAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        var power = result.Controls.Single(k => k.Name == "power_line_frequency");
        Assert.Equal(("menu", 1L), (power.Type, power.Value));
        Assert.Equal(["Disabled", "50 Hz", "60 Hz"], power.Menu!.Select(m => m.Label));
        Assert.True(result.Controls.Single(k => k.Name == "pan_speed").Relative);
        Assert.Null(result.Controls.Single(k => k.Name == "pan_speed").Value);
        Assert.True(result.Controls.Single(k => k.Name == "brightness").Persisted);
    }

    [Fact]
    public async Task SetCameraControlsAsync_SendsValuesAndPersist()
    {
        var (result, request) = await Call("set_camera_controls", Contract.ControlsSet,
            c => c.SetCameraControlsAsync("camera0", new Dictionary<string, long> { ["brightness"] = 140, ["power_line_frequency"] = 1 }, persist: false));

        AssertParams(request, """{"device":"camera0","controls":{"brightness":140,"power_line_frequency":1},"persist":false}""");
        Assert.Equal(140, result.Applied["brightness"]);
        Assert.True(result.Persisted);
    }

    [Fact]
    public async Task SetCameraFormatAsync_OnlyGivenPartsSent()
    {
        var (result, request) = await Call("set_camera_format", """{"device":"camera0","format":"MJPG","resolution":"1280x720","fps":15,"restarted":true}""",
            c => c.SetCameraFormatAsync("camera0", fps: 15));

        AssertParams(request, """{"device":"camera0","fps":15}""");
        Assert.Equal(("MJPG", "1280x720", 15.0, true), (result.Format, result.Resolution, result.Fps, result.Restarted));
    }

    [Fact]
    public async Task ResetCameraControlsAsync_DecodesAppliedAndSkipped()
    {
        var (result, request) = await Call("reset_camera_controls", Contract.ControlsReset, c => c.ResetCameraControlsAsync("camera0"));

        AssertParams(request, """{"device":"camera0"}""");
        Assert.True(result.Reset);
        Assert.Equal("inactive", result.Skipped!["exposure_time_absolute"]);
    }

    [Fact]
    public async Task CallAsync_NewerMethod_RawResultAndParams()
    {
        _server.On("future_method", """{"x":1}""");

        var r = await _client.CallAsync("future_method", new Dictionary<string, object?> { ["a"] = "b", ["n"] = null, ["flag"] = true });

        Assert.Equal(1, r.GetProperty("x").GetInt32());
        AssertParams(_server.Requests[^1], """{"a":"b","flag":true}""");
    }

    [Fact]
    public async Task AdminMethods_SendTheirNamesAndParams_ReturnTheResult()
    {
        _server.On("get_retention_policy", """{"enabled":true,"type":"age","max_age_days":7}""");
        _server.On("list_api_keys", """{"keys":[{"id":"k1","role":"viewer"}]}""");
        _server.On("create_api_key", """{"id":"k2","key":"csk_x","role":"operator"}""");
        _server.On("revoke_api_key", """{"revoked":true,"id":"k2"}""");

        Assert.Equal(7, (await _client.GetRetentionPolicyAsync()).GetProperty("max_age_days").GetInt32());
        Assert.Equal("k1", (await _client.ListApiKeysAsync()).GetProperty("keys")[0].GetProperty("id").GetString());
        Assert.Equal("csk_x", (await _client.CreateApiKeyAsync(new Dictionary<string, object?> { ["role"] = "operator", ["name"] = "kiosk" })).GetProperty("key").GetString());
        AssertParams(_server.Requests[^1], """{"role":"operator","name":"kiosk"}""");
        Assert.True((await _client.RevokeApiKeyAsync(new Dictionary<string, object?> { ["id"] = "k2" })).GetProperty("revoked").GetBoolean());
        AssertParams(_server.Requests[^1], """{"id":"k2"}""");
    }

    [Fact]
    public async Task ExternalStreamMethods_SendTheOriginalsParams_DecodeTheOriginalsResults()
    {
        var (discovery, request) = await Call("discover_external_streams", Contract.ExternalDiscovery, c => c.DiscoverExternalStreamsAsync(skydioEnabled: true, genericEnabled: false));
        AssertParams(request, """{"skydio_enabled":true,"generic_enabled":false}""");
        Assert.Equal(1, discovery.TotalFound);
        var skydio = Assert.Single(discovery.SkydioStreams);
        Assert.Equal(("DISCOVERED", "subject", 5554, "Digest"), (skydio.Status, skydio.Capabilities.StreamType, skydio.Capabilities.Port, skydio.Capabilities.Metadata["auth_required"]));
        Assert.Equal("2.5s", discovery.ScanDuration);

        var (added, addRequest) = await Call("add_external_stream", Contract.ExternalAdded, c => c.AddExternalStreamAsync("rtsp://192.168.42.15:5554/subject", "Skydio_UAV_15", "skydio"));
        AssertParams(addRequest, """{"stream_url":"rtsp://192.168.42.15:5554/subject","stream_name":"Skydio_UAV_15","stream_type":"skydio"}""");
        Assert.Equal(("ADDED", "camera3"), (added.Status, added.Device));

        var (removed, removeRequest) = await Call("remove_external_stream", Contract.ExternalRemoved, c => c.RemoveExternalStreamAsync("rtsp://192.168.42.15:5554/subject"));
        AssertParams(removeRequest, """{"stream_url":"rtsp://192.168.42.15:5554/subject"}""");
        Assert.Equal("REMOVED", removed.Status);

        var (list, _) = await Call("get_external_streams", Contract.ExternalList, c => c.GetExternalStreamsAsync());
        Assert.Equal(1, list.TotalCount);
        Assert.Empty(list.GenericStreams);

        var (interval, intervalRequest) = await Call("set_discovery_interval", Contract.DiscoveryInterval, c => c.SetDiscoveryIntervalAsync(300));
        AssertParams(intervalRequest, """{"scan_interval":300}""");
        Assert.Equal(("UPDATED", 300), (interval.Status, interval.ScanInterval));
    }

    [Fact]
    public async Task ScheduleMethods_SendTheContractParams_DecodeTheResult()
    {
        const string Schedule = """{"device":"camera0","enabled":true,"windows":[{"days":["mon","fri"],"start":"22:00","end":"06:00"}],"time_zone":"Europe/Berlin","active":true,"held_off":false,"window_end":"2026-11-28T05:00:00Z","next_start":null}""";
        var (set, request) = await Call("set_recording_schedule", Schedule,
            c => c.SetRecordingScheduleAsync("camera0", true, [new ScheduleWindow(["mon", "fri"], "22:00", "06:00")], "Europe/Berlin"));
        AssertParams(request, """{"device":"camera0","enabled":true,"windows":[{"days":["mon","fri"],"start":"22:00","end":"06:00"}],"time_zone":"Europe/Berlin"}""");
        Assert.Equal(("Europe/Berlin", true, "22:00"), (set.TimeZone, set.Active, set.Windows[0].Start));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 5, 0, 0, TimeSpan.Zero), set.WindowEnd);

        var (got, getRequest) = await Call("get_recording_schedule", Schedule, c => c.GetRecordingScheduleAsync("camera0"));
        AssertParams(getRequest, """{"device":"camera0"}""");
        Assert.Equal(["mon", "fri"], got.Windows[0].Days);

        var (list, _) = await Call("list_recording_schedules", "{\"schedules\":[" + Schedule + "],\"total\":1}", c => c.ListRecordingSchedulesAsync());
        Assert.Equal(1, list.Total);
        Assert.Equal("camera0", Assert.Single(list.Schedules).Device);
    }

    [Fact]
    public async Task MotionMethods_SendOnlyTheGivenParams_DecodeTheResult()
    {
        const string Motion = """{"device":"camera0","enabled":true,"threshold":30,"min_area":2.5,"record":true,"pre_seconds":5,"post_seconds":10,"state":"running","motion":true,"last_motion":"2026-11-28T05:00:00.250Z","last_error":null}""";
        var (set, request) = await Call("set_motion_detection", Motion, c => c.SetMotionDetectionAsync("camera0", true, threshold: 30, minArea: 2.5, record: true));
        AssertParams(request, """{"device":"camera0","enabled":true,"threshold":30,"min_area":2.5,"record":true}""");
        Assert.Equal((30, 2.5, true, "running", true), (set.Threshold, set.MinArea, set.Record, set.State, set.Motion));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 5, 0, 0, 250, TimeSpan.Zero), set.LastMotion);

        var (got, getRequest) = await Call("get_motion_detection", Motion, c => c.GetMotionDetectionAsync("camera0"));
        AssertParams(getRequest, """{"device":"camera0"}""");
        Assert.Null(got.LastError);

        var (list, _) = await Call("list_motion_detection", "{\"cameras\":[" + Motion + "],\"total\":1}", c => c.ListMotionDetectionAsync());
        Assert.Equal(1, list.Total);
        Assert.Equal("camera0", Assert.Single(list.Cameras).Device);
    }

    [Fact]
    public void SupportedMethods_CoverEveryContractMethod()
    {
        string[] contract =
        [
            "ping", "authenticate", "rpc.discover", "get_camera_list", "get_camera_status", "get_camera_capabilities", "take_snapshot",
            "start_recording", "stop_recording", "get_recording_status", "start_streaming", "stop_streaming", "get_stream_url",
            "get_stream_status", "get_streams", "list_recordings", "list_snapshots", "get_recording_info", "get_snapshot_info",
            "delete_recording", "delete_snapshot", "get_storage_info", "set_retention_policy", "cleanup_old_files", "get_metrics",
            "get_status", "get_system_status", "get_server_info", "subscribe_events", "unsubscribe_events", "get_subscription_stats",
            "get_camera_controls", "set_camera_controls", "reset_camera_controls", "set_camera_format",
            // api-contract.md §8.2: recording schedules
            "set_recording_schedule", "get_recording_schedule", "list_recording_schedules",
            // issue 21 item 8: motion detection (docs/recording.md)
            "set_motion_detection", "get_motion_detection", "list_motion_detection",
            // api-contract.md §8 (v1.1): the console's admin methods
            "get_retention_policy", "list_api_keys", "create_api_key", "revoke_api_key",
            // api-contract.md §8.4: the original's external-stream methods
            "discover_external_streams", "add_external_stream", "remove_external_stream", "get_external_streams", "set_discovery_interval",
        ];

        Assert.Equal(contract.Order(StringComparer.Ordinal), CameraServiceClient.SupportedMethods.Order(StringComparer.Ordinal));
    }

    internal static void AssertParams(RecordedRequest request, string expectedJson)
    {
        var expected = JsonNode.Parse(expectedJson);
        var actual = JsonNode.Parse(request.Params.GetRawText());
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{request.Method} params: expected {expectedJson}, got {request.Params.GetRawText()}");
    }

    private async Task<(T Result, RecordedRequest Request)> Call<T>(string method, string resultJson, Func<CameraServiceClient, Task<T>> call)
    {
        _server.On(method, resultJson);
        var result = await call(_client);
        var request = _server.Requests.Last(r => r.Method == method);
        return (result, request);
    }
}

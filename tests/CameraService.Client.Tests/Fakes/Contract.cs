namespace CameraService.Client.Tests.Fakes;

/// <summary>Result and notification JSON shaped exactly as api-contract.md §4/§5 describe them.</summary>
internal static class Contract
{
    public const string Camera0 = """
        {"device":"camera0","status":"CONNECTED","name":"HD Pro Webcam C920","resolution":"1920x1080","fps":30,
         "streams":{"rtsp":"rtsp://box:8554/camera0","hls":"http://box:8888/camera0","webrtc":"http://box:8889/camera0"},
         "stable_id":"usb-046d_C920_ABC123","device_path":"/dev/video0","source":"v4l2"}
        """;

    public const string Camera1Disconnected = """
        {"device":"camera1","status":"DISCONNECTED","name":"Logitech Brio","resolution":"1280x720","fps":15,
         "streams":{"rtsp":null,"hls":null,"webrtc":null},"stable_id":"usb-046d_Brio_XYZ","device_path":null,"source":"v4l2"}
        """;

    public static readonly string CameraList = $$"""{"cameras":[{{Camera0}},{{Camera1Disconnected}}],"total":2,"connected":1}""";

    public const string CameraStatus = """
        {"device":"camera0","status":"CONNECTED","name":"HD Pro Webcam C920","resolution":"1920x1080","fps":30,
         "streams":{"rtsp":"rtsp://box:8554/camera0","hls":"http://box:8888/camera0","webrtc":"http://box:8889/camera0"},
         "stable_id":"usb-046d_C920_ABC123","device_path":"/dev/video0","source":"v4l2",
         "metrics":{"bytes_sent":123456,"readers":2,"uptime":3600},
         "capabilities":{"formats":["YUYV","MJPG"],"resolutions":["640x480","1920x1080"]}}
        """;

    /// <summary><see cref="CameraStatus"/> plus a field the contract does not name (kept in <c>Extra</c>).</summary>
    public static readonly string CameraStatusWithControls = CameraStatus.TrimEnd()[..^1] + ""","controls":{"brightness":128}}""";

    public const string Capabilities = """
        {"device":"camera0","formats":["YUYV","MJPG"],"resolutions":["640x480","1280x720","1920x1080"],"fps_options":[15,30,29.97],"validation_status":"CONFIRMED"}
        """;

    private const string ControlList = """
        [{"name":"brightness","type":"integer","min":0,"max":255,"step":1,"default":128,"value":140,"read_only":false,"inactive":false,"grabbed":false,"relative":false,"auto_mode":false,"label":"Brightness","persisted":true},
         {"name":"power_line_frequency","type":"menu","min":0,"max":2,"step":1,"default":2,"value":1,"menu":[{"value":0,"label":"Disabled"},{"value":1,"label":"50 Hz"},{"value":2,"label":"60 Hz"}],"read_only":false,"inactive":false,"grabbed":false,"relative":false,"auto_mode":false,"label":"Power Line Frequency","persisted":false},
         {"name":"white_balance_automatic","type":"boolean","min":0,"max":1,"step":1,"default":1,"value":1,"read_only":false,"inactive":false,"grabbed":false,"relative":false,"auto_mode":true,"label":null,"persisted":false},
         {"name":"pan_speed","type":"integer","min":-1,"max":1,"step":1,"default":0,"value":null,"read_only":false,"inactive":false,"grabbed":false,"relative":true,"auto_mode":false,"label":"Pan, Speed","persisted":false}]
        """;

    /// <summary>Capabilities with the v1.1 fields (§8.1).</summary>
    public static readonly string CapabilitiesV11 = Capabilities.TrimEnd()[..^1]
        + ""","frame_rates":{"1920x1080":[30,29.97],"640x480":[30,15]},"controls":""" + ControlList + ""","audio":false}""";

    public static readonly string Controls = """{"device":"camera0","controls":""" + ControlList + "}";

    public static readonly string ControlsSet = """{"device":"camera0","applied":{"brightness":140,"power_line_frequency":1},"controls":""" + ControlList + ""","persisted":true}""";

    public static readonly string ControlsReset = """{"device":"camera0","reset":true,"applied":{"brightness":128},"skipped":{"exposure_time_absolute":"inactive"},"controls":""" + ControlList + "}";

    public const string Snapshot = """
        {"device":"camera0","filename":"camera0_2026-11-27_10-15-02.jpg","status":"SUCCESS","timestamp":"2026-11-27T10:15:02Z","file_size":20480,
         "download_url":"http://box:8002/files/snapshots/camera0_2026-11-27_10-15-02.jpg?token=abc"}
        """;

    public const string RecordingStarted = """
        {"device":"camera0","session_id":"rec-1","filename":"camera0_2026-11-27_10-15-00.mp4","status":"RECORDING","start_time":"2026-11-27T10:15:00Z","duration":30,"format":"fmp4"}
        """;

    public const string RecordingStopped = """
        {"device":"camera0","session_id":"rec-1","filename":"camera0_2026-11-27_10-15-00.mp4","status":"STOPPED","start_time":"2026-11-27T10:15:00Z",
         "end_time":"2026-11-27T10:15:30Z","duration":30.0,"file_size":3145728,"format":"fmp4",
         "files":["camera0_2026-11-27_10-15-00.mp4","camera0_2026-11-27_10-15-20.mp4"]}
        """;

    public const string RecordingStatus = """
        {"device":"camera0","status":"RECORDING","session_id":"rec-1","start_time":"2026-11-27T10:15:00Z","elapsed_seconds":12.5,"duration_limit":30,"bytes_written":1048576}
        """;

    public const string StreamStarted = """
        {"device":"camera0","stream_name":"camera0","stream_url":"rtsp://box:8554/camera0","status":"STARTED","start_time":"2026-11-27T10:15:00Z","auto_close_after":"300s"}
        """;

    public const string StreamStopped = """
        {"device":"camera0","stream_name":"camera0","status":"STOPPED","start_time":"2026-11-27T10:15:00Z","end_time":"2026-11-27T10:20:00Z","duration":300,"stream_continues":false}
        """;

    public const string StreamUrl = """
        {"device":"camera0","stream_name":"camera0","stream_url":"rtsp://box:8554/camera0","available":true,"active_consumers":1,"stream_status":"READY"}
        """;

    public const string StreamStatus = """
        {"device":"camera0","stream_name":"camera0","status":"ACTIVE","ready":true,"readers":3,"bytes_sent":987654,"start_time":"2026-11-27T10:15:00Z"}
        """;

    public const string Streams = """
        [{"name":"camera0","source":"rpiCameraSource","ready":true,"readers":1,"bytes_sent":42},{"name":"camera1","source":null,"ready":false,"readers":0,"bytes_sent":0}]
        """;

    public const string Recordings = """
        {"files":[
          {"filename":"camera0_2026-11-27_10-15-00.mp4","device":"camera0","file_size":3145728,"modified_time":"2026-11-27T10:15:30Z","duration":30.0,"download_url":"http://box:8002/files/recordings/camera0_2026-11-27_10-15-00.mp4?token=x","format":"mp4"},
          {"filename":"camera0_2026-11-27_09-00-00.mp4","device":"camera0","file_size":1024,"modified_time":"2026-11-27T09:00:05Z","download_url":"http://box:8002/files/recordings/camera0_2026-11-27_09-00-00.mp4?token=y"}],
         "total":7,"limit":5,"offset":0,"next_cursor":"MjAyNi0xMS0yN1QwOTowMDowNVp8Y2FtZXJhMF8yMDI2LTExLTI3XzA5LTAwLTAwLm1wNA"}
        """;

    public const string Snapshots = """
        {"files":[{"filename":"camera0_2026-11-27_10-15-02.jpg","device":"camera0","file_size":20480,"modified_time":"2026-11-27T10:15:02Z","download_url":"http://box:8002/files/snapshots/camera0_2026-11-27_10-15-02.jpg?token=z"}],
         "total":1,"limit":50,"offset":0}
        """;

    public const string RecordingInfo = """
        {"filename":"camera0_2026-11-27_10-15-00.mp4","device":"camera0","file_size":3145728,"duration":30.0,"created_time":"2026-11-27T10:15:00Z","download_url":"http://box:8002/files/recordings/camera0_2026-11-27_10-15-00.mp4?token=x","format":"mp4"}
        """;

    public const string SnapshotInfo = """
        {"filename":"camera0_2026-11-27_10-15-02.jpg","device":"camera0","file_size":20480,"created_time":"2026-11-27T10:15:02Z","download_url":"http://box:8002/files/snapshots/camera0_2026-11-27_10-15-02.jpg?token=z","format":"jpeg"}
        """;

    public const string Deleted = """{"filename":"camera0_2026-11-27_10-15-00.mp4","deleted":true,"message":"Recording camera0_2026-11-27_10-15-00.mp4 deleted"}""";

    public const string StorageInfo = """
        {"total_space":107374182400,"used_space":53687091200,"available_space":53687091200,"usage_percentage":50.0,"recordings_size":42949672960,
         "snapshots_size":1073741824,"low_space_warning":false,"warn_percent":80,"block_percent":90,"status":"OK"}
        """;

    public const string Retention = """{"policy_type":"age","enabled":true,"max_age_days":7,"max_size_gb":null,"min_free_percent":10,"message":"Retention policy stored"}""";

    public const string Cleanup = """{"cleanup_executed":true,"files_deleted":3,"space_freed":3145728,"message":"3 files deleted"}""";

    public const string Metrics = """
        {"timestamp":"2026-11-27T10:15:00Z","system_metrics":{"cpu_usage":12.5,"memory_usage":30.1,"disk_usage":50.0,"threads":42},
         "camera_metrics":{"connected_cameras":1,"cameras":{"camera0":{"fps":30}}},"recording_metrics":{"active_recordings":1},
         "stream_metrics":{"active_streams":1,"total_streams":2,"total_viewers":3},
         "api_metrics":{"requests_per_second":5.5,"p50_ms":1.2,"p95_ms":3.4,"p99_ms":9.9,"error_rate":0.01,"connections":2}}
        """;

    public const string Status = """
        {"status":"DEGRADED","uptime":3600,"version":"1.0.0","components":{"api":"RUNNING","camera_sources":"RUNNING","stream_backend":"ERROR","storage":"RUNNING"}}
        """;

    public const string SystemStatus = """{"status":"ready","message":"2 cameras available","available_cameras":["camera0","camera1"],"discovery_active":true}""";

    public const string ServerInfo = """
        {"name":"camera-service","version":"1.0.0","build_date":"2026-11-27","runtime":".NET 10.0.0","architecture":"x64",
         "capabilities":["snapshots","recordings","streaming"],"supported_formats":["fmp4","mp4","jpg"],"max_cameras":16,
         "plugins":[{"id":"v4l2","version":"1.0.0","status":"RUNNING"},{"id":"mediamtx","version":"1.0.0","status":"ERROR"}]}
        """;

    public const string Subscribed = """{"subscribed":true,"topics":["camera.connected"],"filters":{"device":"camera0"}}""";

    public const string Authenticated = """{"authenticated":true,"role":"admin","permissions":["view","control","admin"],"expires_at":null,"session_id":"s"}""";

    public const string Unsubscribed = """{"unsubscribed":true,"topics":["camera.connected"]}""";

    public const string SubscriptionStats = """
        {"global_stats":{"total_subscriptions":4,"active_clients":2,"topic_counts":{"camera.connected":2}},"client_topics":["camera.connected","recording.start"],"client_id":"sess-1"}
        """;

    public const string CameraStatusUpdate = """
        {"device":"camera0","status":"DISCONNECTED","name":"HD Pro Webcam C920","resolution":"1920x1080","fps":30,"streams":{"rtsp":null,"hls":null,"webrtc":null},"stable_id":"usb-046d_C920_ABC123"}
        """;

    public const string RecordingStatusUpdate = """{"device":"camera0","session_id":"rec-1","status":"FAILED","filename":"camera0_2026-11-27_10-15-00.mp4","duration":12.5,"reason":"ffmpeg exited"}""";

    public const string SnapshotTaken = """{"device":"camera0","filename":"camera0_2026-11-27_10-15-02.jpg","file_size":20480,"timestamp":"2026-11-27T10:15:02Z"}""";

    public const string StorageStatusUpdate = """{"status":"WARNING","available_space":1073741824,"usage_percentage":85.5}""";

    public const string SystemHealthUpdate = """{"status":"DEGRADED","components":{"api":"RUNNING","stream_backend":"ERROR"}}""";

    // api-contract.md §8.4: the Go original's external-stream examples (field names and statuses as it documents them).
    public const string ExternalStreamEntry = """{"url":"rtsp://192.168.42.10:5554/subject","type":"skydio","name":"Skydio_EO_192.168.42.10_subject","status":"DISCOVERED","discovered_at":"2025-01-15T14:30:00Z","last_seen":"2025-01-15T14:30:00Z","device":null,"capabilities":{"protocol":"rtsp","format":"rtp","source":"rtsp_probe","stream_type":"subject","port":5554,"stream_path":"/subject","codec":"H264","metadata":{"auth_required":"Digest"}}}""";

    public const string ExternalDiscovery = """{"discovered_streams":[""" + ExternalStreamEntry + """],"skydio_streams":[""" + ExternalStreamEntry + """],"generic_streams":[],"scan_timestamp":"2025-01-15T14:30:00Z","total_found":1,"discovery_options":{"skydio_enabled":true,"generic_enabled":false,"force_rescan":false,"include_offline":false},"scan_duration":"2.5s","errors":[]}""";

    public const string ExternalAdded = """{"stream_url":"rtsp://192.168.42.15:5554/subject","stream_name":"Skydio_UAV_15","stream_type":"skydio","status":"ADDED","timestamp":"2025-01-15T14:30:00Z","device":"camera3"}""";

    public const string ExternalRemoved = """{"stream_url":"rtsp://192.168.42.15:5554/subject","status":"REMOVED","timestamp":"2025-01-15T14:30:00Z"}""";

    public const string ExternalList = """{"external_streams":[""" + ExternalStreamEntry + """],"skydio_streams":[""" + ExternalStreamEntry + """],"generic_streams":[],"total_count":1,"timestamp":"2025-01-15T14:30:00Z"}""";

    public const string DiscoveryInterval = """{"scan_interval":300,"status":"UPDATED","message":"Discovery scans every 300 s.","timestamp":"2025-01-15T14:30:00Z"}""";
}

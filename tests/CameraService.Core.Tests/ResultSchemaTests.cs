using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Tests.Fakes;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary>
/// The OpenRPC result schemas are generated from the result types (RpcResultSchema). Every method is called through
/// the real endpoint and its real handler, and the result on the wire is validated against the schema the document
/// publishes for it — so a result written by hand (get_metrics, ping, rpc.discover) or a type whose annotations lie
/// (an enum value, a nullable field, a field left out) fails here.
/// </summary>
public sealed class ResultSchemaTests : IAsyncLifetime
{
    private const string Recording = "camera0_2026-11-27_10-00-00.mp4";
    private const string Snapshot = "camera0_2026-11-27_10-00-00.jpg";
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    private readonly FakeControlledCameraSource _usb = new FakeControlledCameraSource().With("usb-a");
    private readonly FakeExternalStreamSource _rtsp = new();
    private readonly IStreamBackend _backend = Substitute.For<IStreamBackend>();
    private readonly IMediaStore _store = Substitute.For<IMediaStore>();
    private CoreHarness _core = null!;

    public async Task InitializeAsync()
    {
        _backend.Name.Returns("mediamtx");
        _backend.GetHealth().Returns(ComponentStatus.Running);
        _backend.GetStreamUrls(Arg.Any<string>()).Returns(new StreamUrls { Rtsp = "rtsp://camera.test:8554/camera0", Hls = "https://camera.test/hls/camera0/" });
        _backend.GetActiveRecordingsAsync(Arg.Any<CancellationToken>()).Returns(Array.Empty<BackendRecording>());
        var active = new StreamInfo { CameraId = "camera0", Name = "camera0", State = StreamState.Active, Ready = true, Readers = 2, BytesSent = 4096, Source = StreamSources.Publisher, StartTime = Start };
        _backend.StartStreamingAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(active);
        _backend.GetStreamAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(active);
        _backend.StopStreamingAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(active with { State = StreamState.Inactive, Ready = false, Readers = 0, StartTime = null });
        _backend.GetStreamsAsync(Arg.Any<CancellationToken>()).Returns(Task.FromResult<IReadOnlyList<StreamInfo>>([active]));
        _backend.StartRecordingAsync(Arg.Any<RecordingRequest>(), Arg.Any<CancellationToken>())
            .Returns(ci => new BackendRecording { CameraId = "camera0", SessionId = ci.Arg<RecordingRequest>().SessionId, Format = "fmp4", StartTime = ci.Arg<RecordingRequest>().StartTime, Files = [], BytesWritten = 0 });
        _backend.StopRecordingAsync("camera0", Arg.Any<CancellationToken>())
            .Returns(new BackendRecording { CameraId = "camera0", Format = "fmp4", StartTime = Start, EndTime = Start.AddMinutes(1), Files = [new RecordedFile { Path = "/media/recordings/camera0/" + Recording, Size = 4096 }], BytesWritten = 4096 });
        _backend.TakeSnapshotAsync(Arg.Any<SnapshotRequest>(), Arg.Any<CancellationToken>())
            .Returns(ci => new SnapshotResult { Path = ci.Arg<SnapshotRequest>().OutputPath, Size = 2048, Width = 640, Height = 480 });

        var recording = File(MediaKind.Recording, Recording) with { Duration = TimeSpan.FromSeconds(60.5), InProgress = true };
        var snapshot = File(MediaKind.Snapshot, Snapshot);
        _store.Name.Returns("storage");
        _store.DownloadUrlLifetime.Returns(TimeSpan.FromHours(1));
        _store.GetRecordingDirectory(Arg.Any<string>()).Returns(ci => "/media/recordings/" + ci.Arg<string>());
        _store.AllocateSnapshotPath(Arg.Any<string>(), Arg.Any<string?>(), Arg.Any<string>()).Returns("/media/snapshots/camera0/" + Snapshot);
        _store.AddAsync(MediaKind.Snapshot, Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(snapshot);
        _store.AddAsync(MediaKind.Recording, Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(recording);
        _store.ListAsync(MediaKind.Recording, Arg.Any<MediaQuery>(), Arg.Any<CancellationToken>()).Returns(new MediaPage { Files = [recording], Total = 3 });
        _store.ListAsync(MediaKind.Snapshot, Arg.Any<MediaQuery>(), Arg.Any<CancellationToken>()).Returns(new MediaPage { Files = [snapshot], Total = 1 });
        _store.GetAsync(MediaKind.Recording, Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(recording);
        _store.GetAsync(MediaKind.Snapshot, Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(snapshot);
        _store.DeleteAsync(Arg.Any<MediaKind>(), Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(ci => File(ci.Arg<MediaKind>(), ci.Arg<string>()));
        _store.GetStatus().Returns(new StorageStatus
        {
            Level = StorageLevel.Warning, TotalBytes = 1000, UsedBytes = 850, AvailableBytes = 150, UsagePercent = 85, RecordingsBytes = 700, SnapshotsBytes = 100, WarnPercent = 80, BlockPercent = 95,
        });
        var policy = new RetentionPolicy { PolicyType = RetentionPolicyTypes.Age, Enabled = true, MaxAgeDays = 7 };
        _store.GetRetentionPolicy().Returns(policy);
        _store.SetRetentionPolicyAsync(Arg.Any<RetentionPolicy>(), Arg.Any<CancellationToken>()).Returns(ci => ci.Arg<RetentionPolicy>());
        _store.CleanupAsync(Arg.Any<CancellationToken>()).Returns(new CleanupResult { FilesDeleted = 2, BytesFreed = 8192, Message = "2 files deleted." });

        _core = new CoreHarness(configure: s => s.AddSingleton(_backend).AddSingleton(_store), sources: [_usb, _rtsp]);
        await _core.StartAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task EveryMethod_RealResult_MatchesTheGeneratedSchema()
    {
        var admin = await _core.AuthenticatedAsync(ApiRole.Admin);
        _rtsp.Discoverable.Add("rtsp://192.168.42.10:5554/subject");
        var added = (await CoreHarness.CallAsync(admin, "add_external_stream", """{"stream_url":"rtsp://user:pw@192.168.1.50:554/live","stream_name":"Gate"}""")).Result();
        var key = (await CoreHarness.CallAsync(admin, "create_api_key", """{"role":"viewer","name":"kiosk","cameras":["camera0"],"expires_in_seconds":3600}""")).Result();

        // Calls in this order (stop after start, revoke after create); several calls of a method cover its variants.
        (string Method, string? Params)[] calls =
        [
            ("ping", null),
            ("rpc.discover", null),
            ("authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Admin)}}"}"""),
            ("get_camera_list", null),
            ("get_camera_status", """{"device":"camera0"}"""),
            ("get_camera_capabilities", """{"device":"camera0"}"""),
            ("get_camera_controls", """{"device":"camera0"}"""),
            ("set_camera_controls", """{"device":"camera0","controls":{"brightness":140}}"""),
            ("reset_camera_controls", """{"device":"camera0"}"""),
            ("take_snapshot", """{"device":"camera0"}"""),
            ("get_recording_status", """{"device":"camera0"}"""),
            ("start_recording", """{"device":"camera0"}"""),
            ("get_recording_status", """{"device":"camera0"}"""),
            ("get_camera_list", null),
            ("get_metrics", null),
            ("stop_recording", """{"device":"camera0"}"""),
            ("get_recording_status", """{"device":"camera0"}"""),
            ("start_recording", """{"device":"camera0","duration_minutes":2}"""),
            ("stop_recording", """{"device":"camera0"}"""),
            ("set_camera_format", """{"device":"camera0"}"""),
            ("get_recording_schedule", """{"device":"camera0"}"""),
            ("set_recording_schedule", """{"device":"camera0","enabled":true,"windows":[{"days":["mon","sat"],"start":"22:00","end":"06:00"}],"time_zone":"UTC"}"""),
            ("list_recording_schedules", null),
            ("get_motion_detection", """{"device":"camera0"}"""),
            ("set_motion_detection", """{"device":"camera0","enabled":false,"threshold":30,"min_area":0.5,"record":true}"""),
            ("list_motion_detection", null),
            ("start_streaming", """{"device":"camera0"}"""),
            ("get_stream_url", """{"device":"camera0"}"""),
            ("get_stream_status", """{"device":"camera0"}"""),
            ("get_streams", null),
            ("stop_streaming", """{"device":"camera0"}"""),
            ("list_recordings", """{"limit":1}"""),
            ("list_snapshots", null),
            ("get_recording_info", $$"""{"filename":"{{Recording}}"}"""),
            ("get_snapshot_info", $$"""{"filename":"{{Snapshot}}"}"""),
            ("delete_recording", $$"""{"filename":"{{Recording}}"}"""),
            ("delete_snapshot", $$"""{"filename":"{{Snapshot}}"}"""),
            ("get_storage_info", null),
            ("get_retention_policy", null),
            ("set_retention_policy", """{"policy_type":"size","enabled":false,"max_size_gb":10}"""),
            ("cleanup_old_files", null),
            ("get_status", null),
            ("get_system_status", null),
            ("get_server_info", null),
            ("subscribe_events", """{"topics":["camera.connected"],"filters":{"device":"camera0"}}"""),
            ("subscribe_events", """{"topics":["recording.progress"]}"""),
            ("get_subscription_stats", null),
            ("unsubscribe_events", null),
            ("discover_external_streams", """{"force_rescan":true,"include_offline":true}"""),
            ("get_external_streams", null),
            ("set_discovery_interval", """{"scan_interval":60}"""),
            ("remove_external_stream", $$"""{"stream_url":"{{added.Str("stream_url")}}"}"""),
            ("list_api_keys", null),
            ("revoke_api_key", $$"""{"id":"{{key.GetProperty("api_key").Str("id")}}"}"""),
        ];
        var failures = new List<string>();
        var covered = new HashSet<string>(StringComparer.Ordinal) { "add_external_stream", "create_api_key" };
        failures.AddRange(Check("add_external_stream", added));
        failures.AddRange(Check("create_api_key", key));
        foreach (var (method, parameters) in calls)
        {
            var response = await CoreHarness.CallAsync(admin, method, parameters);
            if (!response.TryGetProperty("result", out var result))
            {
                failures.Add($"{method}: no result: {response}");
                continue;
            }

            covered.Add(method);
            failures.AddRange(Check(method, result));
        }

        Assert.Empty(failures);
        Assert.Equal(_core.Methods.Methods.Select(m => m.Name).Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Check_ResultThatDisagreesWithItsType_Fails()
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);
        var real = (await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera0"}""")).Result();
        Assert.Empty(Check("get_camera_capabilities", real));

        var badEnum = JsonNode.Parse(real.GetRawText())!.AsObject();
        badEnum["validation_status"] = "MAYBE";
        var missing = JsonNode.Parse(real.GetRawText())!.AsObject();
        missing.Remove("audio");
        var wrongType = JsonNode.Parse(real.GetRawText())!.AsObject();
        wrongType["device"] = null;

        Assert.NotEmpty(Check("get_camera_capabilities", JsonSerializer.SerializeToElement(badEnum)));
        Assert.NotEmpty(Check("get_camera_capabilities", JsonSerializer.SerializeToElement(missing)));
        Assert.NotEmpty(Check("get_camera_capabilities", JsonSerializer.SerializeToElement(wrongType)));
    }

    [Fact]
    public async Task Schemas_KeepTheContractsEnumsRequiredAndNullability()
    {
        var session = _core.Open().Session;
        var doc = (await CoreHarness.CallAsync(session, "rpc.discover")).Result();
        JsonElement Result(string method) => doc.GetProperty("methods").EnumerateArray().Single(m => m.Str("name") == method).GetProperty("result").GetProperty("schema");
        static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString());

        var capabilities = Result("get_camera_capabilities");
        Assert.Equal(["NONE", "DISCONNECTED", "CONFIRMED"], Strings(capabilities.GetProperty("properties").GetProperty("validation_status").GetProperty("enum")));
        Assert.Contains("frame_rates", Strings(capabilities.GetProperty("required")));
        var status = Result("get_recording_status").GetProperty("properties");
        Assert.Equal(["RECORDING", "STOPPED"], Strings(status.GetProperty("status").GetProperty("enum")));
        Assert.Equal(["STOPPED", "ERROR", "FAILED"], Strings(status.GetProperty("last_status").GetProperty("enum")));
        Assert.Equal("string", status.GetProperty("last_status").Str("type"));
        Assert.DoesNotContain("last_status", Strings(Result("get_recording_status").GetProperty("required")));
        var camera = Result("get_camera_list").GetProperty("properties").GetProperty("cameras").GetProperty("items").GetProperty("properties");
        Assert.Equal(["string", "null"], Strings(camera.GetProperty("current_file").GetProperty("type")));
        Assert.Equal("string", camera.GetProperty("name").GetProperty("type").GetString());
        Assert.Equal("^camera[0-9]+$", camera.GetProperty("device").Str("pattern"));
        Assert.Equal("date-time", Result("authenticate").GetProperty("properties").GetProperty("expires_at").Str("format"));
        Assert.Equal([true], Result("authenticate").GetProperty("properties").GetProperty("authenticated").GetProperty("enum").EnumerateArray().Select(e => e.GetBoolean()));
        Assert.Equal(["pong"], Strings(Result("ping").GetProperty("enum")));

        // A type used twice is written out both times: a "$ref" would point into the OpenRPC document, not the schema.
        var streams = Result("get_external_streams").GetProperty("properties");
        Assert.Equal(streams.GetProperty("external_streams").GetRawText(), streams.GetProperty("skydio_streams").GetRawText());
        Assert.DoesNotContain("\"$ref\"", doc.GetRawText(), StringComparison.Ordinal);
    }

    private List<string> Check(string method, JsonElement result)
    {
        var schema = JsonSchema.FromText(_core.Methods.ResultSchemas[method].ToJsonString());
        var evaluation = schema.Evaluate(result, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return evaluation.IsValid
            ? []
            : [.. (evaluation.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{method}{d.InstanceLocation}: {e.Value}"))];
    }

    private static MediaFile File(MediaKind kind, string name) => new()
    {
        Kind = kind,
        CameraId = "camera0",
        FileName = name,
        Path = $"/media/{(kind == MediaKind.Recording ? "recordings" : "snapshots")}/camera0/{name}",
        Created = Start,
        Modified = Start.AddMinutes(1),
        Size = 4096,
        ContentType = kind == MediaKind.Recording ? "video/mp4" : "image/jpeg",
    };
}

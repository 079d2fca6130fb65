using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using MediaMtxEmulator;

namespace CameraService.Plugins.MediaMtx.Tests;

public sealed class PathTests : BackendTestBase
{
    [Fact]
    public async Task Publish_OnDemand_ReaderStartsCorrectFfmpegPublisher()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);

        var conf = Emu.PathConf("camera0")!;
        Assert.Equal("publisher", conf["source"]!.GetValue<string>());
        Assert.Equal(string.Empty, conf["runOnInit"]!.GetValue<string>());
        Assert.True(conf["runOnDemandRestart"]!.GetValue<bool>());
        Assert.Equal("fmp4", conf["recordFormat"]!.GetValue<string>());
        Assert.Equal(Path.Combine(Recordings, "camera0", "%path_%Y-%m-%d_%H-%M-%S-%f"), conf["recordPath"]!.GetValue<string>());
        Assert.Equal("1m0s", conf["recordSegmentDuration"]!.GetValue<string>());
        Assert.Equal(string.Empty, conf["recordDeleteAfter"]!.GetValue<string>());
        Assert.False(conf["record"]!.GetValue<bool>());
        Assert.Empty(Emu.Hooks);

        // A viewer arrives (through the side channel, as a test client would): MediaMTX would now run the command.
        using var http = new HttpClient { BaseAddress = Emu.ApiUrl };
        using (var r = await http.PostAsync("/_emulator/addReader", new StringContent("""{"path":"camera0","type":"webRTCSession"}""")))
        {
            r.EnsureSuccessStatusCode();
        }

        var hooks = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/_emulator/hooks"))!["items"]!.AsArray();
        var hook = Assert.Single(hooks)!;
        Assert.Equal("runOnDemand", hook["hook"]!.GetValue<string>());
        Assert.Equal("start", hook["event"]!.GetValue<string>());
        Assert.Equal(
            [
                "ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin",
                "-f", "v4l2", "-input_format", "mjpeg", "-video_size", "1280x720", "-framerate", "30", "-i", "/dev/v4l/by-id/usb-Test Cam-video-index0",
                "-map", "0:v:0", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "main", "-pix_fmt", "yuv420p",
                "-g", "60", "-keyint_min", "30", "-sc_threshold", "0",
                "-an", "-metadata", "title=camera-service:camera0", "-f", "rtsp", "-rtsp_transport", "tcp",
                $"rtsp://127.0.0.1:{Emu.RtspPort.ToString(CultureInfo.InvariantCulture)}/camera0",
            ],
            hook["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task Publish_H264NonLiveInput_StreamCopyAndRealtimePacing()
    {
        await Backend.PublishAsync(Camera(h264: true, live: false), CancellationToken.None);
        Emu.AddReader("camera0");
        var argv = Assert.Single(Emu.Hooks).Argv.ToList();
        Assert.Contains("-re", argv);
        Assert.True(argv.IndexOf("-re") < argv.IndexOf("-i"));
        Assert.Equal("copy", argv[argv.IndexOf("-c:v") + 1]);
        Assert.DoesNotContain("libx264", argv);
    }

    [Fact]
    public async Task Publish_Twice_NoDuplicatePath()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        Assert.Equal(["all_others", "camera0"], Emu.ConfiguredPaths());
    }

    [Fact]
    public async Task Publish_InvalidCameraId_InvalidParameterAndNothingApplied()
    {
        await Assert.ThrowsAsync<InvalidParameterException>(() => Backend.PublishAsync(Camera("bad id"), CancellationToken.None));
        Assert.Equal(["all_others"], Emu.ConfiguredPaths());
    }

    [Fact]
    public async Task Unpublish_RemovesOurPath_NeverForeignOnes()
    {
        using var http = new HttpClient { BaseAddress = Emu.ApiUrl };
        using (var r = await http.PostAsync("/v3/config/paths/add/foreign", new StringContent("""{"runOnDemand":"ffmpeg -i x -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH"}""")))
        {
            r.EnsureSuccessStatusCode();
        }

        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.UnpublishAsync("camera0", CancellationToken.None);
        await Backend.UnpublishAsync("foreign", CancellationToken.None);
        await Backend.ReconcileAsync(CancellationToken.None);
        Assert.Equal(["all_others", "foreign"], Emu.ConfiguredPaths());
    }

    [Fact]
    public async Task OnInitMode_PublisherRunsWithoutViewers()
    {
        Settings["Plugins:MediaMtx:RunMode"] = "OnInit";
        var backend = await CreateBackendAsync();
        await backend.PublishAsync(Camera("camera1"), CancellationToken.None);
        var hook = Assert.Single(Emu.Hooks);
        Assert.Equal("runOnInit", hook.Hook);
        var info = await backend.GetStreamAsync("camera1", CancellationToken.None);
        Assert.Equal(StreamState.Active, info.State);
        Assert.True(info.Ready);
    }

    [Fact]
    public async Task StreamStatus_ReadersAndBytesFromPathsGet()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var idle = await Backend.GetStreamAsync("camera0", CancellationToken.None);
        Assert.Equal(StreamState.Inactive, idle.State);
        Assert.False(idle.Ready);

        Emu.AddReader("camera0", "hlsSession");
        Emu.Advance(TimeSpan.FromSeconds(2));
        var live = await Backend.GetStreamAsync("camera0", CancellationToken.None);
        Assert.Equal(StreamState.Active, live.State);
        Assert.Equal(1, live.Readers);
        Assert.Equal(250_000, live.BytesSent);
        Assert.NotNull(live.StartTime);
        Assert.Equal("rtspSession", live.Source);

        var all = await Backend.GetStreamsAsync(CancellationToken.None);
        Assert.Equal("camera0", Assert.Single(all).CameraId);
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => Backend.GetStreamAsync("camera9", CancellationToken.None));
    }

    [Fact]
    public async Task StartStreaming_KeepsPublisherRunning_StopStreamingReleasesIt()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var started = await Backend.StartStreamingAsync("camera0", CancellationToken.None);
        Assert.Equal(StreamState.Active, started.State);
        Assert.Equal("runOnInit", Emu.Hooks[^1].Hook);
        var stopped = await Backend.StopStreamingAsync("camera0", CancellationToken.None);
        Assert.Equal(StreamState.Inactive, stopped.State);
        Assert.Equal(string.Empty, Emu.PathConf("camera0")!["runOnInit"]!.GetValue<string>());
    }

    [Fact]
    public void GetStreamUrls_FromPublicHostAndPorts()
    {
        var urls = Backend.GetStreamUrls("camera0");
        Assert.Equal($"rtsp://cams.example:{Emu.RtspPort}/camera0", urls.Rtsp);
        Assert.Equal("http://cams.example:8888/camera0/index.m3u8", urls.Hls);
        Assert.Equal("http://cams.example:8889/camera0/", urls.WebRtc);
    }

    [Fact]
    public async Task GetStreamUrls_PortZero_NotOffered()
    {
        Settings["Plugins:MediaMtx:HlsPort"] = "0";
        var backend = await CreateBackendAsync(start: false);
        Assert.Null(backend.GetStreamUrls("camera0").Hls);
    }

    [Fact]
    public async Task Health_RunningAfterStart()
    {
        Assert.Equal(ComponentState.Running, Backend.GetHealth().State);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Snapshot_NoRtspServer_DependencyFailedWithFfmpegReason()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var output = Path.Combine(Root, "snapshots", "camera0", "snap.jpg");
        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = "jpg", Quality = 85, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None));
        Assert.Equal("ffmpeg", ex.Dependency);
        Assert.Contains("Connection refused", ex.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(output));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera9", OutputPath = output, Format = "jpg", Quality = 85, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None));
    }
}

public sealed class SnapshotTests : BackendTestBase
{
    protected override void Configure() => EmulatorOptions.RtspServer = true;

    [Fact]
    public async Task Snapshot_FromEmulatorRtsp_WritesJpegAndStartsOnDemandPublisher()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var output = Path.Combine(Root, "snapshots", "camera0", "camera0_snap.jpg");
        var result = await Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = "jpg", Quality = 90, Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
        Assert.Equal(output, result.Path);
        var bytes = await File.ReadAllBytesAsync(output);
        Assert.Equal(result.Size, bytes.Length);
        Assert.Equal([0xFF, 0xD8], bytes[..2]);
        Assert.Equal((320, 240), (result.Width, result.Height));
        Assert.False(File.Exists(output + ".partial"));
        Assert.Contains(Emu.Hooks, h => h.Hook == "runOnDemand" && h.Event == "start" && h.Path == "camera0");

        var png = Path.Combine(Root, "snapshots", "camera0", "camera0_snap.png");
        var pngResult = await Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = png, Format = "png", Quality = 90, Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
        Assert.Equal((320, 240), (pngResult.Width, pngResult.Height));
        Assert.Equal((byte)0x89, (await File.ReadAllBytesAsync(png))[0]);
    }

    [Fact]
    public async Task Snapshot_PercentDInName_WrittenLiterallyNotExpandedAsPattern()
    {
        // Issue 17, hole 8: image2 without -update 1 expands %d, writing "camera0_1.jpg" instead of the name asked for.
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var output = Path.Combine(Root, "snapshots", "camera0", "camera0_%d.jpg");

        var result = await Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = output, Format = "jpg", Quality = 90, Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);

        Assert.Equal(output, result.Path);
        Assert.True(File.Exists(output));
        Assert.False(File.Exists(Path.Combine(Root, "snapshots", "camera0", "camera0_1.jpg")));
    }

    [Fact]
    public async Task Snapshot_UnknownFormat_InvalidParameter()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidParameterException>(() => Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = Path.Combine(Root, "x.gif"), Format = "gif", Quality = 90, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None));
    }
}

using System.Diagnostics;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using MediaMtxEmulator;

namespace CameraService.Plugins.MediaMtx.Tests;

public sealed class RecordingTests : BackendTestBase
{
    private RecordingRequest Request(string session = "s1") =>
        new RecordingRequest { CameraId = "camera0", SessionId = session, Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow };

    [Fact]
    public async Task StartStop_TogglesRecord_ReturnsSessionFilesOnly()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var dir = Path.Combine(Recordings, "camera0");
        Directory.CreateDirectory(dir);
        var older = Path.Combine(dir, "camera0_2001-01-01_00-00-00-000000.mp4");
        File.WriteAllBytes(older, [1, 2, 3]);

        var started = await Backend.StartRecordingAsync(Request(), CancellationToken.None);
        Assert.Null(started.EndTime);
        var conf = Emu.PathConf("camera0")!;
        Assert.True(conf["record"]!.GetValue<bool>());
        Assert.NotEqual(string.Empty, conf["runOnInit"]!.GetValue<string>());
        Assert.Equal(string.Empty, conf["runOnDemand"]!.GetValue<string>());

        Emu.Advance(TimeSpan.FromSeconds(70));
        var active = Assert.Single(await Backend.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Equal("s1", active.SessionId);

        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);
        Assert.NotNull(stopped.EndTime);
        Assert.Equal("s1", stopped.SessionId);
        Assert.Equal(2, stopped.Files.Count);
        Assert.DoesNotContain(stopped.Files, f => f.Path == older);
        Assert.All(stopped.Files, f =>
        {
            Assert.True(File.Exists(f.Path));
            Assert.Equal(new FileInfo(f.Path).Length, f.Size);
            Assert.Matches(@"/camera0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mp4$", f.Path);
        });
        Assert.Equal(stopped.Files.Sum(f => f.Size), stopped.BytesWritten);
        Assert.True(stopped.BytesWritten > 0);

        conf = Emu.PathConf("camera0")!;
        Assert.False(conf["record"]!.GetValue<bool>());
        Assert.NotEqual(string.Empty, conf["runOnDemand"]!.GetValue<string>());
        Assert.Empty(await Backend.GetActiveRecordingsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StartRightAfterAStop_TheNewSessionListsOnlyItsOwnSegments()
    {
        // The previous recording's last segment starts within the listing's start tolerance of the new session (a stop
        // and a start in the same second): it must stay the previous session's, in both the API listing and the scan.
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request("s1"), CancellationToken.None);
        Emu.Advance(TimeSpan.FromSeconds(5));
        var first = await Backend.StopRecordingAsync("camera0", CancellationToken.None);
        Assert.NotEmpty(first.Files);

        await Backend.StartRecordingAsync(Request("s2"), CancellationToken.None);
        Emu.Advance(TimeSpan.FromSeconds(5));
        var second = await Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.NotEmpty(second.Files);
        Assert.Empty(second.Files.Select(f => f.Path).Intersect(first.Files.Select(f => f.Path)));
    }

    [Fact]
    public async Task Start_AlreadyRecording_InvalidState_StopIdle_InvalidState()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request(), CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InvalidStateException>(() => Backend.StartRecordingAsync(Request("s2"), CancellationToken.None));
        Assert.Equal("already_recording", ex.Reason);
        await Backend.StopRecordingAsync("camera0", CancellationToken.None);
        var idle = await Assert.ThrowsAsync<InvalidStateException>(() => Backend.StopRecordingAsync("camera0", CancellationToken.None));
        Assert.Equal("not_recording", idle.Reason);
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => Backend.StartRecordingAsync(Request() with { CameraId = "camera9" }, CancellationToken.None));
    }

    [Fact]
    public async Task Start_Mkv_RefusedAsUnsupportedNamingTheBackend_NothingRecorded()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<UnsupportedFeatureException>(() => Backend.StartRecordingAsync(Request() with { Format = RecordingFormats.Mkv }, CancellationToken.None));

        Assert.Contains("mediamtx", ex.Feature, StringComparison.Ordinal);
        Assert.Contains("ffmpeg backend", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'fmp4'", ex.Message, StringComparison.Ordinal);
        Assert.False(Emu.PathConf("camera0")!["record"]!.GetValue<bool>());
        Assert.Empty(await Backend.GetActiveRecordingsAsync(CancellationToken.None));
        await Assert.ThrowsAsync<InvalidParameterException>(() => Backend.StartRecordingAsync(Request() with { Format = "avi" }, CancellationToken.None));
        Assert.Empty(await Backend.GetActiveRecordingsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StopStreaming_NeverStopsRecording()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request(), CancellationToken.None);
        await Backend.StartStreamingAsync("camera0", CancellationToken.None);
        var info = await Backend.StopStreamingAsync("camera0", CancellationToken.None);
        Assert.Equal(StreamState.Active, info.State);
        var conf = Emu.PathConf("camera0")!;
        Assert.True(conf["record"]!.GetValue<bool>());
        Assert.NotEqual(string.Empty, conf["runOnInit"]!.GetValue<string>());
    }

    [Fact]
    public async Task EmulatorRestart_MidRecording_RecordingReapplied()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request(), CancellationToken.None);
        Emu.Restart();
        await WaitUntil(() => Emu.PathConf("camera0")?["record"]?.GetValue<bool>() == true, TimeSpan.FromSeconds(10));
        await WaitUntil(() => EventsOf(StreamBackendEventKind.RecordingRecovered).Count == 1, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ServiceRestart_MidRecording_ReadoptedWithSessionId()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request("session-42"), CancellationToken.None);
        Emu.Advance(TimeSpan.FromSeconds(5));
        await Backend.StopAsync(CancellationToken.None);

        var restarted = await CreateBackendAsync();
        var adopted = Assert.Single(await restarted.GetActiveRecordingsAsync(CancellationToken.None));
        Assert.Equal("camera0", adopted.CameraId);
        Assert.Equal("session-42", adopted.SessionId);
        Assert.NotEmpty(adopted.Files);

        await restarted.PublishAsync(Camera(), CancellationToken.None);
        Assert.True(Emu.PathConf("camera0")!["record"]!.GetValue<bool>());
        await Assert.ThrowsAsync<InvalidStateException>(() => restarted.StartRecordingAsync(Request(), CancellationToken.None));
        var stopped = await restarted.StopRecordingAsync("camera0", CancellationToken.None);
        Assert.Equal("session-42", stopped.SessionId);
        Assert.Single(stopped.Files);
        Assert.False(Emu.PathConf("camera0")!["record"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ServiceRestart_StopOfAdoptedRecordingRacingThePublish_LeavesRecordingOff()
    {
        // Found by the chaos soak: a service killed mid-recording restarts, adopts the recording and — its duration
        // limit already passed — stops it at once, while the camera is being published. The publish's config
        // (computed with the recording still on) reached MediaMTX after the stop's record: false, so MediaMTX kept
        // recording with no session, and the next restart adopted that as a recording nobody started.
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request("session-7"), CancellationToken.None);
        await Backend.StopAsync(CancellationToken.None);
        var restarted = await CreateBackendAsync();
        Assert.Single(await restarted.GetActiveRecordingsAsync(CancellationToken.None));

        // The stop (record off, not published yet) goes first; the publish's replace is slow, so it lands after it.
        Emu.Fail(new FaultRule("/v3/config/paths/replace", "slow", DelayMs: 500, Times: 1));
        var stop = restarted.StopRecordingAsync("camera0", CancellationToken.None);
        var publish = restarted.PublishAsync(Camera(), CancellationToken.None);
        var stopped = await stop;
        await publish;

        Assert.Equal("session-7", stopped.SessionId);
        Assert.False(Emu.PathConf("camera0")!["record"]!.GetValue<bool>(), "MediaMTX still records camera0 after its recording was stopped");
        Assert.Empty(await restarted.GetActiveRecordingsAsync(CancellationToken.None));
        await restarted.ReconcileAsync(CancellationToken.None);
        Assert.False(Emu.PathConf("camera0")!["record"]!.GetValue<bool>(), "reconciliation switched recording back on");
    }

    [Fact]
    public async Task Unpublish_WhileRecording_StopsAndReportsFiles()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(Request(), CancellationToken.None);
        await Backend.UnpublishAsync("camera0", CancellationToken.None);
        var ev = Assert.Single(EventsOf(StreamBackendEventKind.RecordingFailed));
        Assert.Single(ev.Recording!.Files);
        Assert.Null(Emu.PathConf("camera0"));
    }
}

public sealed class MediaRecordingTests : BackendTestBase
{
    protected override void Configure() => EmulatorOptions.Media = true;

    [Fact]
    public async Task StartStop_MediaMode_ReturnsRealPlayableFiles()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(new RecordingRequest { CameraId = "camera0", SessionId = "m1", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow }, CancellationToken.None);
        var dir = Path.Combine(Recordings, "camera0");
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Any(f => new FileInfo(f).Length > 4000), TimeSpan.FromSeconds(20));
        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);
        var file = Assert.Single(stopped.Files);
        Assert.True(file.Size > 4000);

        var psi = new ProcessStartInfo("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", file.Path]) { RedirectStandardOutput = true };
        using var probe = Process.Start(psi)!;
        var output = await probe.StandardOutput.ReadToEndAsync();
        await probe.WaitForExitAsync();
        Assert.Equal(0, probe.ExitCode);
        Assert.Equal("h264", output.Trim());
    }
}

public sealed class RepublishTests : BackendTestBase
{
    [Fact]
    public async Task Republish_ChangedInput_UpdatesCommand_KeepsRecording()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(new RecordingRequest { CameraId = "camera0", SessionId = "s", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow }, CancellationToken.None);
        await Backend.PublishAsync(Camera(h264: true), CancellationToken.None);
        var conf = Emu.PathConf("camera0")!;
        Assert.True(conf["record"]!.GetValue<bool>());
        Assert.Contains("-c:v copy", conf["runOnInit"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(await Backend.GetActiveRecordingsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Unpublish_UnknownCamera_Idempotent()
    {
        await Backend.UnpublishAsync("camera7", CancellationToken.None);
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.UnpublishAsync("camera0", CancellationToken.None);
        await Backend.UnpublishAsync("camera0", CancellationToken.None);
        Assert.Equal(["all_others"], Emu.ConfiguredPaths());
        Assert.False(File.ReadAllText(Path.Combine(StateDir, "mediamtx-paths.json")).Contains("camera0", StringComparison.Ordinal));
    }
}

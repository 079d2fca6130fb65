using System.Collections.Concurrent;
using CameraService.Client;
using MediaMtxEmulator;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// The host with the MediaMTX backend and the emulator in media mode whose RTSP endpoint serves camera0 moving (the bars
/// scroll) and camera1 still (the same bars): what the service's motion detection reads is the camera's real RTSP stream.
/// </summary>
public sealed class MotionServiceFixture : ServiceFixture
{
    public Emulator Emulator { get; private set; } = null!;

    protected override async Task<IReadOnlyDictionary<string, string>> BackendSettingsAsync()
    {
        Directory.CreateDirectory(MediaRoot);
        Emulator = new Emulator(new EmulatorOptions
        {
            ApiAddress = "127.0.0.1:0",
            RtspAddress = "127.0.0.1:0",
            RecordingsRoot = MediaRoot,
            Media = true,
            RtspServer = true,
            // camera0: the colour bars scroll sideways (motion); camera1: the same bars, still. (The emulator's default
            // pattern=smpte has a noise patch that changes ~5 % of the picture every frame: motion at the default area.)
            RtspVideo = new Dictionary<string, string> { ["camera0"] = "pattern=smpte75 horizontal-speed=8", ["camera1"] = "pattern=smpte75" },
        });
        var api = await Emulator.StartAsync(CancellationToken.None);
        return MediaMtxServiceFixture.MediaMtxSettings(api, Emulator.RtspPort);
    }

    protected override async Task CleanupAsync()
    {
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }
}

/// <summary>Motion detection end to end: real service, MediaMTX backend, ffmpeg decoding the cameras' RTSP streams.</summary>
public sealed class MotionEndToEndTests(MotionServiceFixture fixture) : IClassFixture<MotionServiceFixture>
{
    [Fact]
    public async Task MovingCamera_MotionDetectedAndRecorded_StillCameraNot_RecordingStopsAfterThePostRoll()
    {
        await using var watcher = await fixture.ConnectAsync();
        var motion = new ConcurrentQueue<MotionDetected>();
        var recordings = new ConcurrentQueue<RecordingStatusUpdate>();
        watcher.MotionDetected += (_, e) => motion.Enqueue(e);
        watcher.RecordingStatusChanged += (_, e) => recordings.Enqueue(e);
        await watcher.SubscribeAsync(["camera.motion", "recording_status_update"]);
        var client = fixture.Client;
        try
        {
            var moving = await client.SetMotionDetectionAsync("camera0", true, record: true, preSeconds: 2, postSeconds: 3);
            Assert.Equal((true, true, 2, 3), (moving.Enabled, moving.Record, moving.PreSeconds, moving.PostSeconds));
            await client.SetMotionDetectionAsync("camera1", true, record: true);

            Assert.True(await Media.WaitUntil(() => motion.Any(m => m.Device == "camera0" && m.Active), TimeSpan.FromSeconds(60)),
                "no motion_detected for the moving camera:\n" + fixture.Service.Log);
            Assert.True(motion.First(m => m.Device == "camera0").Score >= 1.0);
            Assert.True(await Media.WaitUntil(() => recordings.Any(r => r.Device == "camera0" && r.Status == "STARTED"), TimeSpan.FromSeconds(30)),
                "motion started no recording:\n" + fixture.Service.Log);
            var started = recordings.First(r => r.Device == "camera0" && r.Status == "STARTED");
            Assert.Equal("motion", started.Reason);

            // The still camera's reader runs and analyses frames, and sees no motion.
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetMotionDetectionAsync("camera1")).State == "running", TimeSpan.FromSeconds(60)),
                "the still camera's frame reader never ran:\n" + fixture.Service.Log);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var still = await client.GetMotionDetectionAsync("camera1");
            Assert.Equal(("running", false, null), (still.State, still.Motion, still.LastMotion));
            Assert.DoesNotContain(motion, m => m.Device == "camera1");
            Assert.DoesNotContain(recordings, r => r.Device == "camera1");
            var list = await client.ListMotionDetectionAsync();
            Assert.True(list.Cameras.Single(c => c.Device == "camera0").Motion);

            // Motion goes on while the camera moves; with detection off the motion ends, and the recording stops
            // post_seconds after the last motion, with reason "motion" and its files.
            Assert.True((await client.GetCameraStatusAsync("camera0")).Recording,
                "the motion recording ended while the camera moves: " + string.Join("; ", recordings.Select(r => $"{r.Device} {r.Status} {r.Reason}")) + "\n" + fixture.Service.Log);
            await client.SetMotionDetectionAsync("camera0", false);
            Assert.True(await Media.WaitUntil(() => motion.Any(m => m.Device == "camera0" && !m.Active), TimeSpan.FromSeconds(30)),
                "no motion_detected active=false after turning detection off:\n" + fixture.Service.Log);
            Assert.True(await Media.WaitUntil(() => recordings.Any(r => r.SessionId == started.SessionId && r.Status == "STOPPED"), TimeSpan.FromSeconds(30)),
                "the motion recording did not stop after the post-roll:\n" + fixture.Service.Log);
            Assert.Equal("motion", recordings.First(r => r.SessionId == started.SessionId && r.Status == "STOPPED").Reason);
            Assert.NotEmpty((await client.ListRecordingsAsync(device: "camera0", limit: 100)).Files);
        }
        finally
        {
            await client.SetMotionDetectionAsync("camera0", false);
            await client.SetMotionDetectionAsync("camera1", false);
            foreach (var camera in new[] { "camera0", "camera1" })
            {
                if ((await client.GetCameraStatusAsync(camera)).Recording)
                {
                    await client.StopRecordingAsync(camera);
                }
            }
        }
    }
}

/// <summary>Motion detection on the ffmpeg backend: frames decoded from the camera process's own feed (the test card moves).</summary>
public sealed class FfmpegMotionEndToEndTests
{
    [Fact]
    public async Task TestCard_MotionDetected_MotionRecordingWithPreEventSecondsStopsAfterThePostRoll()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-ffmotion-").FullName;
        try
        {
            var settings = FfmpegServiceFixture.OneTestPatternSettings(root);
            settings["Plugins:Ffmpeg:PreEventBuffer"] = "00:00:05";
            await OneCameraService.RunAsync(root, settings, async (service, client) =>
            {
                var motion = new ConcurrentQueue<MotionDetected>();
                var recordings = new ConcurrentQueue<RecordingStatusUpdate>();
                client.MotionDetected += (_, e) => motion.Enqueue(e);
                client.RecordingStatusChanged += (_, e) => recordings.Enqueue(e);
                await client.SubscribeAsync(["camera.motion", "recording_status_update"]);
                await Task.Delay(TimeSpan.FromSeconds(3)); // the pre-event buffer fills

                await client.SetMotionDetectionAsync("camera0", true, record: true, preSeconds: 2, postSeconds: 2);

                Assert.True(await Media.WaitUntil(() => motion.Any(m => m.Device == "camera0" && m.Active), TimeSpan.FromSeconds(60)),
                    "no motion_detected for the test card:\n" + service.Log);
                Assert.Equal("running", (await client.GetMotionDetectionAsync("camera0")).State);
                Assert.True(await Media.WaitUntil(() => recordings.Any(r => r.Device == "camera0" && r.Status == "STARTED" && r.Reason == "motion"), TimeSpan.FromSeconds(30)),
                    "motion started no recording:\n" + service.Log);
                var session = recordings.First(r => r.Status == "STARTED").SessionId;
                var status = await client.GetRecordingStatusAsync("camera0");
                Assert.Equal(session, status.SessionId);

                await client.SetMotionDetectionAsync("camera0", false);
                Assert.True(await Media.WaitUntil(() => recordings.Any(r => r.SessionId == session && r.Status == "STOPPED"), TimeSpan.FromSeconds(30)),
                    "the motion recording did not stop after the post-roll:\n" + service.Log);
                var files = (await client.ListRecordingsAsync(device: "camera0", limit: 100)).Files;
                Assert.NotEmpty(files);
                var dir = Path.Combine(service.MediaRoot, "recordings", "camera0");
                Assert.Equal("h264", (await Media.ProbeAsync(Path.Combine(dir, files[0].Filename))).Codec);
            });
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

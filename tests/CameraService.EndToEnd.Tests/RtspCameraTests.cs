using System.Collections.Concurrent;
using System.Text.Json;
using CameraService.Client;
using CameraService.Plugins.Rtsp.Tests;
using MediaMtxEmulator;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// A network camera through the whole service (issue 19), on both backends: a real GStreamer RTSP server on 127.0.0.1
/// with Digest authentication is added over the API, snapshots, records ~3 s of H.264, drops and returns with the same
/// camera id and notifications, survives a restart of the service, and its password never shows outside the 0600 store.
/// </summary>
public sealed class RtspCameraTests
{
    private const string Password = "Rtsp-S3cret:pw@1";

    [Fact]
    public Task NetworkCamera_FfmpegBackend_SnapshotsRecordsReconnectsAndSurvivesRestart() => RunAsync("ffmpeg");

    [Fact]
    public Task NetworkCamera_MediaMtxBackend_SnapshotsRecordsReconnectsAndSurvivesRestart() => RunAsync("mediamtx");

    private static async Task RunAsync(string backend)
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-rtsp-").FullName;
        await using var server = await RtspTestServer.StartNewAsync(auth: "digest", user: "cam", password: Password);
        Emulator? emulator = null;
        ServiceProcess? service = null;
        try
        {
            var media = Path.Combine(root, "media");
            Directory.CreateDirectory(media);
            Dictionary<string, string> settings;
            if (backend == "mediamtx")
            {
                emulator = MediaMtxServiceFixture.NewEmulator(media);
                settings = MediaMtxServiceFixture.MediaMtxSettings(await emulator.StartAsync(CancellationToken.None), emulator.RtspPort);

                // The emulator finalizes a recording of a pulled stream synchronously (ffmpeg 'q' on a live RTSP input),
                // which on a loaded machine can take longer than the fixture's 2 s request timeout.
                settings["Plugins:MediaMtx:RequestTimeout"] = "00:00:10";

                // The emulator runs one ffmpeg per segment; each needs a moment to connect to the pulled stream, so the
                // 3 s recording gets one segment instead of the fixture's 2 s ones.
                settings["Plugins:MediaMtx:SegmentDuration"] = "00:01:00";
            }
            else
            {
                settings = FfmpegServiceFixture.FfmpegSettings(root);
            }

            settings["CameraService:CameraSources:0"] = "rtsp";
            settings["Storage:Root"] = media;
            settings["Plugins:Rtsp:WatchInterval"] = "00:00:00.5";
            settings["Plugins:Rtsp:InitialBackoff"] = "00:00:00.3";
            settings["Plugins:Rtsp:MaxBackoff"] = "00:00:02";
            service = new ServiceProcess(root, settings);
            await service.StartAsync(TimeSpan.FromSeconds(90));
            var token = await service.CreateTokenAsync("admin");
            var updates = new ConcurrentQueue<CameraStatusUpdate>();
            var streamUpdates = new ConcurrentQueue<ExternalStreamUpdate>();
            var raw = new ConcurrentQueue<string>();
            string device;
            await using (var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = token }))
            {
                client.CameraStatusChanged += (_, e) => updates.Enqueue(e);
                client.ExternalStreamChanged += (_, e) => streamUpdates.Enqueue(e);
                client.NotificationReceived += (_, e) => raw.Enqueue(e.Params.GetRawText());
                await client.SubscribeAsync(["camera.connected", "camera.disconnected", "camera.status_change"]);

                // Discovery is off by default: the original's -32030 feature_disabled.
                var disabled = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => client.DiscoverExternalStreamsAsync());
                Assert.Equal(-32030, disabled.Code);
                Assert.True(disabled.DataString("reason") == "feature_disabled", $"{disabled.ServerMessage} {disabled.Data}\n{service.Log}");

                var added = await client.AddExternalStreamAsync(server.UrlWithCredentials, "Front gate");
                Assert.Equal("ADDED", added.Status);
                Assert.Equal($"rtsp://cam:***@127.0.0.1:{server.Port}/cam", added.StreamUrl);
                Assert.NotNull(added.Device);
                device = added.Device;
                Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraStatusAsync(device)).Status == "CONNECTED", TimeSpan.FromSeconds(30)),
                    "the network camera never connected:\n" + service.Log);
                if (emulator is not null)
                {
                    // MediaMTX pulls the H.264 stream itself (no ffmpeg publisher).
                    Assert.True(await Media.WaitUntil(() => emulator.PathConf(device)?["source"]?.GetValue<string>() is { } src && src.StartsWith($"rtsp://cam:", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                        "the MediaMTX path does not pull the stream:\n" + service.Log);
                    Assert.Equal(string.Empty, emulator.PathConf(device)?["runOnDemand"]?.GetValue<string>());
                }

                var camera = (await client.GetCameraListAsync()).Cameras.Single(c => c.Device == device);
                Assert.Equal(("rtsp", "Front gate", "320x240"), (camera.Source, camera.Name, camera.Resolution));
                var capabilities = await client.GetCameraCapabilitiesAsync(device);
                Assert.Contains("H264", capabilities.Formats);
                var listed = Assert.Single((await client.GetExternalStreamsAsync()).GenericStreams);
                Assert.Equal((device, "DISCOVERED", "H264"), (listed.Device, listed.Status, listed.Capabilities.Codec));

                // Snapshot: a decodable JPEG.
                var snapshot = await client.TakeSnapshotAsync(device);
                var snapshotPath = Path.Combine(media, "snapshots", device, snapshot.Filename);
                var still = await Media.ProbeAsync(snapshotPath);
                Assert.Equal("mjpeg", still.Codec);
                Assert.True(still.Width > 0);

                // Recording: ~3 s of H.264.
                await client.StartRecordingAsync(device);
                await Task.Delay(TimeSpan.FromSeconds(3.5));
                var stopped = await client.StopRecordingAsync(device);
                var files = stopped.Files.Select(f => Path.Combine(media, "recordings", device, f.Filename)).ToList();
                Assert.NotEmpty(files);
                var probes = new List<Media.Probe>();
                foreach (var f in files)
                {
                    probes.Add(await Media.ProbeAsync(f));
                }

                Assert.All(probes, p => Assert.Equal("h264", p.Codec));
                var seconds = 0.0;
                foreach (var f in files)
                {
                    seconds += await VideoSecondsAsync(f);
                }

                Assert.InRange(seconds, 1.5, 8);

                // The server dies: DISCONNECTED with a notification; it returns: CONNECTED with the same id.
                server.Kill();
                Assert.True(await Media.WaitUntil(() => updates.Any(u => u.Device == device && u.Status == "DISCONNECTED"), TimeSpan.FromSeconds(30)),
                    "no DISCONNECTED notification after the server died:\n" + service.Log);
                Assert.True(await Media.WaitUntil(() => streamUpdates.Any(u => u.Change == "disconnected" && u.Device == device), TimeSpan.FromSeconds(10)),
                    "no external_stream_update disconnected");
                updates.Clear();
                await server.StartAsync();
                Assert.True(await Media.WaitUntil(() => updates.Any(u => u.Device == device && u.Status == "CONNECTED"), TimeSpan.FromSeconds(30)),
                    "no CONNECTED notification after the server came back:\n" + service.Log);
                Assert.Equal("CONNECTED", (await client.GetCameraStatusAsync(device)).Status);

                // No API answer shows the password.
                var answers = JsonSerializer.Serialize(await client.CallAsync("get_external_streams", null)) +
                    JsonSerializer.Serialize(await client.CallAsync("get_camera_list", null)) +
                    JsonSerializer.Serialize(await client.CallAsync("get_camera_status", new Dictionary<string, object?> { ["device"] = device }));
                AssertNoSecret(answers, "an API answer");
                AssertNoSecret(string.Join("\n", raw), "a notification");
            }

            // Restart: the stream is still there, same camera id, connected again.
            await service.StopAsync();
            await service.StartAsync(TimeSpan.FromSeconds(90));
            await using (var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = token }))
            {
                Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraStatusAsync(device)).Status == "CONNECTED", TimeSpan.FromSeconds(30)),
                    "the network camera did not come back after the restart:\n" + service.Log);
                Assert.Equal(device, Assert.Single((await client.GetExternalStreamsAsync()).ExternalStreams).Device);
                var removed = await client.RemoveExternalStreamAsync($"rtsp://cam:***@127.0.0.1:{server.Port}/cam");
                Assert.Equal("REMOVED", removed.Status);
                Assert.Equal(0, (await client.GetExternalStreamsAsync()).TotalCount);

                // A removed stream's camera leaves the camera list (it is not a camera that may come back).
                Assert.DoesNotContain((await client.GetCameraListAsync()).Cameras, c => c.Device == device);
            }

            await service.StopAsync();

            // The password is in the 0600 credentials file only (the file now empty of it after the removal): never in
            // the log, never in any other file the service wrote.
            AssertNoSecret(service.Log, "the service log");
            foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
            {
                var info = new FileInfo(file);
                if (info.Length > 4 * 1024 * 1024 || file.EndsWith(".mp4", StringComparison.Ordinal) || file.EndsWith(".jpg", StringComparison.Ordinal) || file.EndsWith(".ts", StringComparison.Ordinal))
                {
                    continue;
                }

                AssertNoSecret(await File.ReadAllTextAsync(file), file);
            }
        }
        finally
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }

            if (emulator is not null)
            {
                await emulator.DisposeAsync();
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A straggling writer may still close a file; the OS temp cleaner takes the rest.
            }
        }
    }

    /// <summary>An H.265 network camera with the ffmpeg backend: probed by ffprobe (the SDP is not enough), recorded as H.264 (transcoded).</summary>
    [Fact]
    public async Task NetworkCamera_H265_FfmpegBackend_IsTranscodedToH264()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-rtsp-h265-").FullName;
        await using var server = await RtspTestServer.StartNewAsync(codec: "h265");
        await using var service = new ServiceProcess(root, FfmpegSettingsFor(root));
        try
        {
            await service.StartAsync(TimeSpan.FromSeconds(90));
            var token = await service.CreateTokenAsync("admin");
            await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = token });

            var device = (await client.AddExternalStreamAsync(server.Url, "HEVC camera")).Device;

            Assert.NotNull(device);
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraStatusAsync(device)).Status == "CONNECTED", TimeSpan.FromSeconds(30)),
                "the H.265 camera never connected:\n" + service.Log);
            var listed = Assert.Single((await client.GetExternalStreamsAsync()).ExternalStreams);
            Assert.Equal(("HEVC", "ffprobe"), (listed.Capabilities.Codec, listed.Capabilities.Metadata["probe"]));
            await client.StartRecordingAsync(device);
            await Task.Delay(TimeSpan.FromSeconds(3));
            var stopped = await client.StopRecordingAsync(device);
            Assert.NotEmpty(stopped.Files);
            foreach (var f in stopped.Files)
            {
                Assert.Equal("h264", (await Media.ProbeAsync(Path.Combine(root, "media", "recordings", device, f.Filename))).Codec);
            }
        }
        finally
        {
            await service.StopAsync();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A straggling writer may still close a file; the OS temp cleaner takes the rest.
            }
        }
    }

    private static Dictionary<string, string> FfmpegSettingsFor(string root)
    {
        var media = Path.Combine(root, "media");
        Directory.CreateDirectory(media);
        var settings = FfmpegServiceFixture.FfmpegSettings(root);
        settings["CameraService:CameraSources:0"] = "rtsp";
        settings["Storage:Root"] = media;
        return settings;
    }

    /// <summary>The span of the video packets' timestamps (a fragmented MP4 may carry no container duration).</summary>
    private static async Task<double> VideoSecondsAsync(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var times = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => double.TryParse(t.TrimEnd(','), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN)
            .Where(v => !double.IsNaN(v))
            .ToList();
        return times.Count < 2 ? 0 : times.Max() - times.Min();
    }

    private static void AssertNoSecret(string text, string where)
    {
        Assert.False(text.Contains(Password, StringComparison.Ordinal), $"the stream's password appears in {where}");
        Assert.False(text.Contains(Uri.EscapeDataString(Password), StringComparison.Ordinal), $"the stream's escaped password appears in {where}");
    }
}

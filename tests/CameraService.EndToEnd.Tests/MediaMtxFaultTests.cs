using System.Net;
using System.Net.Http.Headers;
using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// Failures around the MediaMTX backend: MediaMTX going away and coming back, the service killed with SIGKILL
/// mid-recording. Each test runs its own service and emulator because it breaks them.
/// </summary>
public sealed class MediaMtxFaultTests
{
    [Fact]
    public async Task EmulatorStopped_MidRecording_NewRecordingIsDependencyFailedOthersWorkAndRecordingReappliedOnReturn()
    {
        var fx = new MediaMtxServiceFixture();
        await fx.InitializeAsync();
        try
        {
            var client = fx.Client;
            var shot = await client.TakeSnapshotAsync("camera0");
            var started = await client.StartRecordingAsync("camera0");
            Assert.Equal(true, fx.Emulator.PathConf("camera0")?["record"]?.GetValue<bool>());
            Assert.True(await Media.WaitUntilAsync(async () => (await client.ListRecordingsAsync(device: "camera0")).Total > 0, TimeSpan.FromSeconds(20)),
                "no recording file appeared:\n" + fx.Service.Log);

            await fx.Emulator.StopAsync(CancellationToken.None);

            var error = await Assert.ThrowsAsync<DependencyFailedException>(() => client.StartRecordingAsync("camera1"));
            Assert.Equal("mediamtx", error.DataString("dependency"));
            Assert.Equal("STOPPED", (await client.GetRecordingStatusAsync("camera1")).Status);

            // What does not need MediaMTX keeps working: camera list, listings, downloads, auth.
            Assert.Equal(2, (await client.GetCameraListAsync()).Total);
            var recordings = await client.ListRecordingsAsync(device: "camera0");
            Assert.NotEmpty(recordings.Files);
            using var http = new HttpClient();
            Assert.Equal(shot.FileSize, (await http.GetByteArrayAsync(new Uri(shot.DownloadUrl))).Length);
            using (var request = new HttpRequestMessage(HttpMethod.Get, recordings.Files[^1].DownloadUrl))
            {
                request.Headers.Range = new RangeHeaderValue(0, 7);
                using var partial = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
                Assert.Equal(8, (await partial.Content.ReadAsByteArrayAsync()).Length);
            }

            await using (var second = await fx.ConnectAsync())
            {
                Assert.Equal("pong", await second.PingAsync());
                Assert.NotEmpty((await second.ListSnapshotsAsync()).Files);
            }

            // MediaMTX returns (a restart on the same port: its API-made config is gone) → the recording is re-applied.
            await fx.Emulator.StartAsync(CancellationToken.None);
            Assert.True(await Media.WaitUntil(() => fx.Emulator.PathConf("camera0")?["record"]?.GetValue<bool>() == true, TimeSpan.FromSeconds(30)),
                "the recording was not re-applied to MediaMTX:\n" + fx.Service.Log);
            var status = await client.GetRecordingStatusAsync("camera0");
            Assert.Equal("RECORDING", status.Status);
            Assert.Equal(started.SessionId, status.SessionId);

            // And new recordings work again once the backend has healed.
            Assert.True(await Media.WaitUntilAsync(async () => await TryStartAsync(client, "camera1"), TimeSpan.FromSeconds(30)),
                "start_recording kept failing after MediaMTX returned:\n" + fx.Service.Log);
            await client.StopRecordingAsync("camera1");
            var stopped = await client.StopRecordingAsync("camera0");
            Assert.Equal(started.SessionId, stopped.SessionId);
            Assert.NotEmpty(stopped.Files);
            foreach (var file in stopped.Files)
            {
                Assert.True(File.Exists(Path.Combine(fx.MediaRoot, "recordings", "camera0", file.Filename)), file.Filename);
            }
        }
        finally
        {
            await fx.DisposeAsync();
        }
    }

    [Fact]
    public async Task HostKilled_MidRecording_SessionReadoptedAndNoFileLost()
    {
        var fx = new MediaMtxServiceFixture();
        await fx.InitializeAsync();
        try
        {
            var started = await fx.Client.StartRecordingAsync("camera0");
            var dir = Path.Combine(fx.MediaRoot, "recordings", "camera0");
            Assert.True(await Media.WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir, "camera0_*.mp4").Length >= 2, TimeSpan.FromSeconds(30)),
                "MediaMTX wrote no segment before the kill:\n" + fx.Service.Log);
            await fx.Client.DisposeAsync();

            fx.Service.Kill();
            var beforeRestart = Directory.GetFiles(dir, "camera0_*.mp4").Select(Path.GetFileName).ToList();

            await fx.Service.StartAsync(TimeSpan.FromSeconds(90));
            await using var client = await fx.ConnectAsync();
            var status = await client.GetRecordingStatusAsync("camera0");
            Assert.Equal("RECORDING", status.Status);
            Assert.Equal(started.SessionId, status.SessionId);
            Assert.Equal(true, fx.Emulator.PathConf("camera0")?["record"]?.GetValue<bool>());

            var stopped = await client.StopRecordingAsync("camera0");

            Assert.Equal(started.SessionId, stopped.SessionId);
            var names = stopped.Files.Select(f => f.Filename).ToHashSet(StringComparer.Ordinal);
            Assert.All(beforeRestart, n => Assert.Contains(n!, names));
            foreach (var file in stopped.Files)
            {
                var path = Path.Combine(dir, file.Filename);
                Assert.True(File.Exists(path), file.Filename);
                Assert.Equal("h264", (await Media.ProbeAsync(path)).Codec);
            }
        }
        finally
        {
            await fx.DisposeAsync();
        }
    }

    private static async Task<bool> TryStartAsync(CameraServiceClient client, string device)
    {
        try
        {
            await client.StartRecordingAsync(device);
            return true;
        }
        catch (DependencyFailedException)
        {
            return false;
        }
    }
}

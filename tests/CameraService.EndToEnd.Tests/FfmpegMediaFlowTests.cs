using System.Net;
using System.Net.Http.Headers;
using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>The media flows against the direct ffmpeg backend (no media server), plus its HLS stream and process hygiene.</summary>
public sealed class FfmpegMediaFlowTests(FfmpegServiceFixture fixture) : MediaFlowTests<FfmpegServiceFixture>(fixture)
{
    protected override bool RecordsMkv => true;

    [Fact]
    public async Task StartStreaming_HlsPlaylist_SegmentDecodesAsH264()
    {
        var started = await Client.StartStreamingAsync("camera1");
        Assert.Equal("STARTED", started.Status);
        try
        {
            var url = await Client.GetStreamUrlAsync("camera1");
            Assert.NotNull(url.StreamUrlValue);
            Assert.Contains("/streams/camera1/index.m3u8", url.StreamUrlValue, StringComparison.Ordinal);
            Assert.Contains("token=", url.StreamUrlValue, StringComparison.Ordinal);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var unsignedUrl = new Uri(url.StreamUrlValue.Split('?')[0]);
            using (var anonymous = await http.GetAsync(unsignedUrl))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            }

            // The signed URL works for a player that cannot send headers.
            var playlist = await http.GetStringAsync(new Uri(url.StreamUrlValue));
            Assert.StartsWith("#EXTM3U", playlist, StringComparison.Ordinal);

            // A Bearer header works too; the rewritten playlist signs every segment URI.
            using var request = new HttpRequestMessage(HttpMethod.Get, unsignedUrl);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Fixture.Token);
            using var bearer = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
            var text = await bearer.Content.ReadAsStringAsync();
            var segment = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).First(l => !l.StartsWith('#'));
            Assert.Contains("token=", segment, StringComparison.Ordinal);

            var bytes = await http.GetByteArrayAsync(new Uri(unsignedUrl, segment));
            var path = Path.Combine(Root, $"segment-{Guid.NewGuid():N}.ts");
            await File.WriteAllBytesAsync(path, bytes);
            var probe = await Media.ProbeAsync(path);
            Assert.Equal("h264", probe.Codec);
            Assert.Equal((320, 240), (probe.Width, probe.Height));
        }
        finally
        {
            await Client.StopStreamingAsync("camera1");
        }
    }

    [Fact]
    public async Task StopRecordingAndStreaming_NoFfmpegLeftForTheCamera()
    {
        await Client.StartRecordingAsync("camera1");
        await Client.StartStreamingAsync("camera1");
        var hostPid = Service.ProcessId!.Value;
        Assert.True(await Media.WaitUntil(() => CameraFfmpeg(hostPid).Count > 0, TimeSpan.FromSeconds(20)),
            "no ffmpeg child of the host runs for camera1 while it records:\n" + Service.Log);

        await Client.StopStreamingAsync("camera1");
        var stopped = await Client.StopRecordingAsync("camera1");

        Assert.NotEmpty(stopped.Files);
        Assert.True(await Media.WaitUntil(() => CameraFfmpeg(hostPid).Count == 0, TimeSpan.FromSeconds(15)),
            "ffmpeg still runs for camera1 after stop: " + string.Join(" | ", CameraFfmpeg(hostPid).Select(p => p.CommandLine)));
    }

    [Fact]
    public async Task Shutdown_WhileRecording_LeavesNoFfmpegAndKeepsFiles()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-shutdown-").FullName;
        try
        {
            var settings = FfmpegServiceFixture.OneTestPatternSettings(root);
            await using var service = new ServiceProcess(root, settings);
            await service.StartAsync(TimeSpan.FromSeconds(90));
            var token = await service.CreateTokenAsync("operator");
            await using (var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = token }))
            {
                await client.StartRecordingAsync("camera0");
                Assert.True(await Media.WaitUntil(() => Processes.Ffmpeg(root).Count > 0, TimeSpan.FromSeconds(20)), "no ffmpeg started:\n" + service.Log);
                Assert.True(await Media.WaitUntilAsync(async () => (await client.GetRecordingStatusAsync("camera0")).BytesWritten > 0, TimeSpan.FromSeconds(20)),
                    "the recording never wrote bytes:\n" + service.Log);
            }

            await service.StopAsync();

            Assert.True(await Media.WaitUntil(() => Processes.Ffmpeg(root).Count == 0, TimeSpan.FromSeconds(15)),
                "ffmpeg survived the service shutdown: " + string.Join(" | ", Processes.Ffmpeg(root).Select(p => p.CommandLine)));
            var files = Directory.GetFiles(Path.Combine(root, "media", "recordings", "camera0"), "camera0_*.mp4");
            Assert.NotEmpty(files);
            Assert.Equal("h264", (await Media.ProbeAsync(files.OrderBy(f => f, StringComparer.Ordinal).First())).Codec);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task FfmpegKilled_MidRecording_RestartedAndRecordingContinuesInANewSegment()
    {
        var started = await Client.StartRecordingAsync("camera1");
        var hostPid = Service.ProcessId!.Value;
        var dir = Path.Combine(Service.MediaRoot, "recordings", "camera1");
        try
        {
            Assert.True(await Media.WaitUntilAsync(async () => CameraFfmpeg(hostPid).Count > 0 && (await Client.GetRecordingStatusAsync("camera1")).BytesWritten > 0, TimeSpan.FromSeconds(20)),
                "the recording never wrote bytes:\n" + Service.Log);
            var victim = CameraFfmpeg(hostPid)[0];
            var filesBefore = Directory.GetFiles(dir, "camera1_*.mp4").ToHashSet(StringComparer.Ordinal);

            using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", victim.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            Assert.True(await Media.WaitUntil(() => CameraFfmpeg(hostPid).Any(p => p.Pid != victim.Pid), TimeSpan.FromSeconds(30)),
                "ffmpeg was not restarted after it was killed:\n" + Service.Log);
            Assert.True(await Media.WaitUntil(() => Directory.GetFiles(dir, "camera1_*.mp4").Any(f => !filesBefore.Contains(f) && new FileInfo(f).Length > 0), TimeSpan.FromSeconds(30)),
                "no new segment after the restart:\n" + Service.Log);
            var status = await Client.GetRecordingStatusAsync("camera1");
            Assert.Equal("RECORDING", status.Status);
            Assert.Equal(started.SessionId, status.SessionId);
        }
        finally
        {
            var stopped = await Client.StopRecordingAsync("camera1");
            Assert.Equal(started.SessionId, stopped.SessionId);
            Assert.True(stopped.Files.Count >= 2, $"expected the segment before and after the kill, got {stopped.Files.Count}");
            foreach (var file in stopped.Files)
            {
                var path = Path.Combine(dir, file.Filename);
                var len = new FileInfo(path).Length;
                var head = Convert.ToHexString((await File.ReadAllBytesAsync(path)).AsSpan(0, (int)Math.Min(len, 16)));
                Assert.True(len > 0, $"{file.Filename} {len} {head}: {string.Join(", ", stopped.Files.Select(f => f.Filename + "=" + f.FileSize))}");
                Assert.Equal("h264", (await Media.ProbeAsync(path)).Codec);
            }
        }
    }

    [Fact]
    public async Task HostKilled_MidRecording_SessionReappliedAndNoFileLost()
    {
        var fx = new FfmpegServiceFixture();
        await fx.InitializeAsync();
        try
        {
            var started = await fx.Client.StartRecordingAsync("camera0");
            var dir = Path.Combine(fx.MediaRoot, "recordings", "camera0");
            Assert.True(await Media.WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir, "camera0_*.mp4").Length >= 2, TimeSpan.FromSeconds(30)),
                "ffmpeg wrote no second segment before the kill:\n" + fx.Service.Log);
            await fx.Client.DisposeAsync();

            fx.Service.Kill();
            var beforeKill = Directory.GetFiles(dir, "camera0_*.mp4").Select(Path.GetFileName).ToList();

            await fx.Service.StartAsync(TimeSpan.FromSeconds(90));
            await using var client = await fx.ConnectAsync();
            var status = await client.GetRecordingStatusAsync("camera0");
            Assert.True(status.Status == "RECORDING", $"{status.Status} {status.LastStatus} {status.Reason}:\n{fx.Service.Log}");
            Assert.Equal(started.SessionId, status.SessionId);
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetRecordingStatusAsync("camera0")).BytesWritten > 0, TimeSpan.FromSeconds(30)),
                "the re-applied recording wrote nothing:\n" + fx.Service.Log);

            var stopped = await client.StopRecordingAsync("camera0");

            Assert.Equal(started.SessionId, stopped.SessionId);
            var names = stopped.Files.Select(f => f.Filename).ToHashSet(StringComparer.Ordinal);
            Assert.All(beforeKill, n => Assert.Contains(n!, names));
            Assert.True(names.Count > beforeKill.Count, "no segment written after the restart");
            var listed = (await client.ListRecordingsAsync(device: "camera0", limit: 1000)).Files.Select(f => f.Filename).ToHashSet(StringComparer.Ordinal);
            foreach (var file in stopped.Files)
            {
                Assert.Contains(file.Filename, listed);
                Assert.Equal("h264", (await Media.ProbeAsync(Path.Combine(dir, file.Filename))).Codec);
            }
        }
        finally
        {
            await fx.DisposeAsync();
        }
    }

    private static List<Processes.Entry> CameraFfmpeg(int hostPid) =>
        [.. Processes.Descendants(hostPid).Where(p => p.Name == "ffmpeg" && p.CommandLine.Contains("camera1", StringComparison.Ordinal))];
}

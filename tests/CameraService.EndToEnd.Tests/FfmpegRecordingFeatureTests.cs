using System.Globalization;
using System.Text.Json;
using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// The ffmpeg backend's recording from the camera's running feed, end to end (real service, test pattern, real ffmpeg):
/// size rotation and the pre-event buffer.
/// </summary>
public sealed class FfmpegRecordingFeatureTests
{
    [Fact]
    public async Task SegmentMaxSize_TwentySecondRecording_SegmentsWithinTheLimitCoverTheWholeRecording()
    {
        const long limit = 300_000; // "300KB" (powers of 1000), about 6 s of the 320x240@10 test pattern
        await WithServiceAsync(new() { ["Recording:SegmentMaxSize"] = "300KB", ["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00" }, async (service, client) =>
        {
            var started = await client.StartRecordingAsync("camera0");
            await Task.Delay(TimeSpan.FromSeconds(20));
            var stopCalled = DateTimeOffset.UtcNow;
            var stopped = await client.StopRecordingAsync("camera0");

            var dir = Path.Combine(service.MediaRoot, "recordings", "camera0");
            Assert.True(stopped.Files.Count >= 3, $"expected several segments, got {stopped.Files.Count}");
            Assert.Equal(
                Directory.GetFiles(dir, "camera0_*.mp4").Select(Path.GetFileName).Order(StringComparer.Ordinal),
                stopped.Files.Select(f => f.Filename).Order(StringComparer.Ordinal));
            var total = 0.0;
            foreach (var file in stopped.Files)
            {
                var path = Path.Combine(dir, file.Filename);
                Assert.InRange(new FileInfo(path).Length, 1, limit);
                var probe = await Media.ProbeAsync(path);
                Assert.Equal("h264", probe.Codec);
                total += probe.Duration;
            }

            // The recording runs from its start_time to the stop request (stop_recording's own duration also counts the
            // time it takes to finalize the last file, which on a loaded machine can be seconds).
            var recorded = (stopCalled - started.StartTime).TotalSeconds;
            Assert.InRange(total, recorded - 1.5, recorded + 1.5);
        });
    }

    [Fact]
    public async Task PreSeconds_WithATenSecondBuffer_TheRecordingStartsFiveSecondsBeforeTheCall()
    {
        await WithServiceAsync(new() { ["Plugins:Ffmpeg:PreEventBuffer"] = "00:00:10", ["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00" }, async (service, client) =>
        {
            // The buffer fills from the camera's connection on (its process runs while it is connected).
            await Task.Delay(TimeSpan.FromSeconds(8));

            var called = DateTimeOffset.UtcNow;
            var started = await client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = "camera0", ["pre_seconds"] = 5 });
            await Task.Delay(TimeSpan.FromSeconds(2));
            var stopCalled = DateTimeOffset.UtcNow;
            var stopped = await client.StopRecordingAsync("camera0");

            var startTime = DateTimeOffset.Parse(started.GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
            Assert.InRange((called - startTime).TotalSeconds, 4.0, 7.0);
            Assert.InRange(started.GetProperty("pre_seconds").GetDouble(), 4.0, 7.0);
            var dir = Path.Combine(service.MediaRoot, "recordings", "camera0");
            var total = 0.0;
            foreach (var file in stopped.Files)
            {
                total += (await Media.ProbeAsync(Path.Combine(dir, file.Filename))).Duration;
            }

            // About the 5 s before the call plus the 2 s after it.
            Assert.True(total >= 6, $"the files hold {total:0.0} s");
            var recorded = (stopCalled - startTime).TotalSeconds;
            Assert.InRange(total, recorded - 1.5, recorded + 1.5);
        });
    }

    [Fact]
    public async Task PreSeconds_WithoutBuffer_IsRefusedNamingTheSetting()
    {
        await WithServiceAsync([], async (_, client) =>
        {
            var ex = await Assert.ThrowsAsync<CameraServiceApiException>(() =>
                client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = "camera0", ["pre_seconds"] = 5 }));

            Assert.Equal(-32030, ex.Code);
            Assert.Contains("Plugins:Ffmpeg:PreEventBuffer", ex.Message + " " + ex.Data?.ToString(), StringComparison.Ordinal);
            Assert.Equal("STOPPED", (await client.GetRecordingStatusAsync("camera0")).Status);
        });
    }

    [Fact]
    public async Task RecorderKilled_MidRecording_RecordingContinuesAndEverySegmentPlays()
    {
        await WithServiceAsync(new() { ["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00" }, async (service, client) =>
        {
            var started = await client.StartRecordingAsync("camera0");
            var hostPid = service.ProcessId!.Value;
            var dir = Path.Combine(service.MediaRoot, "recordings", "camera0");
            Assert.True(await Media.WaitUntilAsync(async () => Recorders(hostPid).Count == 1 && (await client.GetRecordingStatusAsync("camera0")).BytesWritten > 40_000, TimeSpan.FromSeconds(30)),
                "the recording never wrote bytes:\n" + service.Log);
            var camera = Processes.Descendants(hostPid).Single(p => p.Name == "ffmpeg" && !p.CommandLine.Contains("pipe:0", StringComparison.Ordinal));
            var victim = Recorders(hostPid)[0];
            var before = Directory.GetFiles(dir, "camera0_*.mp4").ToHashSet(StringComparer.Ordinal);

            using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", victim.Pid.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            Assert.True(await Media.WaitUntil(() => Directory.GetFiles(dir, "camera0_*.mp4").Any(f => !before.Contains(f) && new FileInfo(f).Length > 40_000), TimeSpan.FromSeconds(30)),
                "no new segment after the recorder was killed:\n" + service.Log);
            var status = await client.GetRecordingStatusAsync("camera0");
            Assert.Equal("RECORDING", status.Status);
            Assert.Equal(started.SessionId, status.SessionId);
            // The camera's process was not restarted: only the recorder was replaced.
            Assert.Contains(Processes.Descendants(hostPid), p => p.Pid == camera.Pid);
            var stopped = await client.StopRecordingAsync("camera0");

            Assert.True(stopped.Files.Count >= 2, $"expected the segment before and after the kill, got {stopped.Files.Count}");
            foreach (var file in stopped.Files)
            {
                Assert.Equal("h264", (await Media.ProbeAsync(Path.Combine(dir, file.Filename))).Codec);
            }
        });
    }

    [Theory]
    [InlineData("mp4", true, "audio:aac,video:h264")]
    [InlineData("mkv", true, "audio:aac,video:h264")]
    [InlineData("mp4", false, "video:h264")]
    public async Task Audio_TestPatternWithATone_RecordsAacBesideTheVideoOnlyWhenAsked(string format, bool audio, string expected)
    {
        // Two test-pattern cameras: the second (odd index) carries a 1 kHz tone.
        await WithServiceAsync(new() { ["Plugins:TestPattern:Count"] = "2", ["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00" }, async (service, client) =>
        {
            var device = (await client.GetCameraListAsync()).Cameras.Single(c => c.Name == "Test pattern 1").Device;
            await client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = device, ["audio"] = audio, ["format"] = format });
            Assert.True(await Media.WaitUntilAsync(async () => (await client.GetRecordingStatusAsync(device)).BytesWritten > 20_000, TimeSpan.FromSeconds(30)),
                "the recording never wrote bytes:\n" + service.Log);
            var stopped = await client.StopRecordingAsync(device);

            Assert.NotEmpty(stopped.Files);
            foreach (var file in stopped.Files)
            {
                Assert.Equal(expected, await MediaMtxAudioTests.StreamsAsync(Path.Combine(service.MediaRoot, "recordings", device, file.Filename)));
            }
        });
    }

    private static List<Processes.Entry> Recorders(int hostPid) =>
        [.. Processes.Descendants(hostPid).Where(p => p.Name == "ffmpeg" && p.CommandLine.Contains("pipe:0", StringComparison.Ordinal))];

    private static async Task WithServiceAsync(Dictionary<string, string> extra, Func<ServiceProcess, CameraServiceClient, Task> test)
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-ffrec-").FullName;
        try
        {
            var settings = FfmpegServiceFixture.OneTestPatternSettings(root);
            foreach (var (k, v) in extra)
            {
                settings[k] = v;
            }

            await OneCameraService.RunAsync(root, settings, test);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

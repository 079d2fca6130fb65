using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// The MediaMTX backend's answers to the v1.1 recording features, end to end (real service, test pattern, the emulator
/// in media mode writing real fMP4): size rotation by splitting completed segments, the pre-event buffer refused.
/// </summary>
public sealed class MediaMtxRecordingFeatureTests
{
    [Fact]
    public async Task SegmentMaxSize_LongSegments_SplitIntoPartsWithinTheLimitThatCoverTheRecording()
    {
        // 256 KiB (the smallest limit) is about 3.5 s of the emulator's 320x240 stream; MediaMTX's own cut is a minute away.
        const long limit = 256 * 1024;
        await WithServiceAsync(new() { ["Recording:SegmentMaxSize"] = "256KiB", ["Plugins:MediaMtx:SegmentDuration"] = "00:01:00" }, async (media, client) =>
        {
            await client.StartRecordingAsync("camera0");
            var dir = Path.Combine(media, "recordings", "camera0");
            Assert.True(await Media.WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir, "*.mp4").Sum(f => new FileInfo(f).Length) > 3 * limit, TimeSpan.FromSeconds(60)),
                "the recording never grew past three times the limit");
            var stopped = await client.StopRecordingAsync("camera0");

            Assert.True(stopped.Files.Count >= 3, $"expected several parts, got {stopped.Files.Count}");
            Assert.Equal(
                Directory.GetFiles(dir, "camera0_*.mp4").Select(Path.GetFileName).Order(StringComparer.Ordinal),
                stopped.Files.Select(f => f.Filename).Order(StringComparer.Ordinal));
            var total = 0.0;
            foreach (var file in stopped.Files)
            {
                var path = Path.Combine(dir, file.Filename);
                Assert.InRange(new FileInfo(path).Length, 1, limit);
                Assert.Equal(new FileInfo(path).Length, file.FileSize);
                var probe = await Media.ProbeAsync(path);
                Assert.Equal("h264", probe.Codec);
                total += probe.Duration;
            }

            // The emulator's recorder starts a moment after record is switched on and ends a moment before the stop.
            Assert.InRange(total, stopped.Duration - 3, stopped.Duration + 0.5);
        });
    }

    [Fact]
    public async Task PreSeconds_IsRefusedWithUnsupportedPointingToTheFfmpegBackend_AndNothingStarts()
    {
        await WithServiceAsync([], async (_, client) =>
        {
            var ex = await Assert.ThrowsAsync<CameraServiceApiException>(() => client.StartRecordingAsync("camera0", preSeconds: 5));

            Assert.Equal(-32030, ex.Code);
            Assert.Equal("pre_event_buffer", ex.DataString("feature"));
            Assert.Contains("ffmpeg backend", ex.DataString("message"), StringComparison.Ordinal);
            Assert.Equal("STOPPED", (await client.GetRecordingStatusAsync("camera0")).Status);
        });
    }

    private static async Task WithServiceAsync(Dictionary<string, string> extra, Func<string, CameraServiceClient, Task> test)
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-mtxrec-").FullName;
        var media = Path.Combine(root, "media");
        Directory.CreateDirectory(media);
        await using var emulator = MediaMtxServiceFixture.NewEmulator(media);
        try
        {
            var settings = FfmpegServiceFixture.WithOneTestPattern(
                MediaMtxServiceFixture.MediaMtxSettings(await emulator.StartAsync(CancellationToken.None), emulator.RtspPort));
            settings["Storage:Root"] = media;
            foreach (var (k, v) in extra)
            {
                settings[k] = v;
            }

            await OneCameraService.RunAsync(root, settings, (_, client) => test(media, client));
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A straggling emulator recorder may still be closing a file; the OS temp cleaner takes the rest.
            }
        }
    }
}

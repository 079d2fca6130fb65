using System.Collections.Concurrent;
using System.Diagnostics;
using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>The disk-space guard end to end: a small tmpfs as the media root is filled past the block threshold.</summary>
public sealed class StorageGuardTests
{
    [RootFact]
    public async Task DiskFilledPastBlock_RecordingStoppedAndReported_SnapshotRefused()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-storage-").FullName;
        var media = Path.Combine(root, "media");
        Directory.CreateDirectory(media);
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", media);
        try
        {
            var settings = FfmpegServiceFixture.OneTestPatternSettings(root);
            settings["Storage:Root"] = media;
            settings["Storage:WarnPercent"] = "50";
            settings["Storage:BlockPercent"] = "75";
            settings["Storage:MonitorInterval"] = "00:00:01";
            await using (var service = new ServiceProcess(root, settings))
            {
                await service.StartAsync(TimeSpan.FromSeconds(90));
                var token = await service.CreateTokenAsync("admin");
                await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = token });
                var recordingEvents = new ConcurrentQueue<RecordingStatusUpdate>();
                var storageEvents = new ConcurrentQueue<StorageStatusUpdate>();
                client.RecordingStatusChanged += (_, e) => recordingEvents.Enqueue(e);
                client.StorageStatusChanged += (_, e) => storageEvents.Enqueue(e);
                await client.SubscribeAsync(["recording_status_update", "storage.warning", "storage.critical"]);
                Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected > 0, TimeSpan.FromSeconds(30)), service.Log);

                var started = await client.StartRecordingAsync("camera0");
                Assert.True(await Media.WaitUntilAsync(async () => (await client.GetRecordingStatusAsync("camera0")).BytesWritten > 0, TimeSpan.FromSeconds(20)),
                    "the recording wrote nothing:\n" + service.Log);

                // Fill the disk to about 85 % (block at 75 %).
                await using (var filler = File.Create(Path.Combine(media, "filler.bin")))
                {
                    filler.SetLength(0);
                    var chunk = new byte[1024 * 1024];
                    Random.Shared.NextBytes(chunk);
                    for (var i = 0; i < 20; i++)
                    {
                        await filler.WriteAsync(chunk);
                    }
                }

                Assert.True(await Media.WaitUntil(() => recordingEvents.Any(e => e.SessionId == started.SessionId && e.Status is "STOPPED" or "ERROR" or "FAILED"), TimeSpan.FromSeconds(30)),
                    "the recording was not stopped when the disk passed the block threshold:\n" + service.Log);
                var stop = recordingEvents.Single(e => e.SessionId == started.SessionId && e.Status is "STOPPED" or "ERROR" or "FAILED");
                Assert.Contains("storage", stop.Reason, StringComparison.OrdinalIgnoreCase);
                Assert.Contains(storageEvents, e => e.Status == "CRITICAL");

                var status = await client.GetRecordingStatusAsync("camera0");
                Assert.Equal("STOPPED", status.Status);
                Assert.Equal(started.SessionId, status.SessionId);
                Assert.Contains("storage", status.Reason, StringComparison.OrdinalIgnoreCase);
                Assert.NotEmpty(Directory.GetFiles(Path.Combine(media, "recordings", "camera0"), "camera0_*.mp4"));

                var refused = await Assert.ThrowsAsync<InsufficientStorageException>(() => client.TakeSnapshotAsync("camera0"));
                Assert.True(refused.Data?.TryGetProperty("threshold_percent", out _), "no threshold_percent in the -32060 data");
                await Assert.ThrowsAsync<InsufficientStorageException>(() => client.StartRecordingAsync("camera0"));
                var snapshots = Path.Combine(media, "snapshots");
                Assert.True(!Directory.Exists(snapshots) || Directory.GetFiles(snapshots, "*", SearchOption.AllDirectories).Length == 0, "a refused snapshot left a file");
            }
        }
        finally
        {
            await RunAsync("umount", media);
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {err}");
    }
}

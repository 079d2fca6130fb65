using CameraService.Client;
using CameraService.Plugins.Rtsp.Tests;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// A network camera's audio track end to end (issue 21 item 5): a real RTSP server (GStreamer, H.264 + an AAC tone),
/// the real host with the MediaMTX backend, which pulls the stream itself and records every track (the emulator in media
/// mode copies what it pulls, as MediaMTX does).
/// </summary>
public sealed class RtspAudioTests
{
    [Fact]
    public async Task NetworkCameraWithAnAacTrack_HasAudio_RecordsItOnlyWhenAskedFor()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-rtsp-audio-").FullName;
        try
        {
            await RunAsync(root);
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

    private static async Task RunAsync(string root)
    {
        await using var server = await RtspTestServer.StartNewAsync(audio: true);
        var media = Path.Combine(root, "media");
        Directory.CreateDirectory(media);
        await using var emulator = MediaMtxServiceFixture.NewEmulator(media);
        var settings = MediaMtxServiceFixture.MediaMtxSettings(await emulator.StartAsync(CancellationToken.None), emulator.RtspPort);

        // As RtspCameraTests: the emulator's per-segment ffmpeg needs a moment on a pulled stream.
        settings["Plugins:MediaMtx:RequestTimeout"] = "00:00:10";
        settings["Plugins:MediaMtx:SegmentDuration"] = "00:01:00";
        settings["CameraService:CameraSources:0"] = "rtsp";
        settings["Storage:Root"] = media;
        await using var service = new ServiceProcess(root, settings);
        await service.StartAsync(TimeSpan.FromSeconds(90));
        await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = await service.CreateTokenAsync("admin") });
        var device = (await client.AddExternalStreamAsync(server.Url, "Door")).Device!;
        Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraStatusAsync(device)).Status == "CONNECTED", TimeSpan.FromSeconds(30)),
            "the network camera never connected:\n" + service.Log);

        Assert.True((await client.GetCameraCapabilitiesAsync(device)).Audio);
        Assert.Equal("audio:aac,video:h264", await RecordAsync(client, media, device, audio: true));
        Assert.Equal("video:h264", await RecordAsync(client, media, device, audio: false));
    }

    /// <summary>Records about 3 s and answers the streams of its files, which must all be alike.</summary>
    private static async Task<string> RecordAsync(CameraServiceClient client, string media, string device, bool audio)
    {
        await client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = device, ["audio"] = audio });
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var stopped = await client.StopRecordingAsync(device);
        Assert.NotEmpty(stopped.Files);
        var streams = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in stopped.Files)
        {
            streams.Add(await MediaMtxAudioTests.StreamsAsync(Path.Combine(media, "recordings", device, file.Filename)));
        }

        return Assert.Single(streams);
    }
}

using System.Diagnostics;
using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// Audio recording end to end (issue 21 item 5): the real host with the MediaMTX backend against the emulator in media
/// mode, and the test pattern's two cameras, of which the second carries a tone by default (docs/testpattern.md).
/// </summary>
public sealed class MediaMtxAudioTests(MediaMtxServiceFixture fixture) : IClassFixture<MediaMtxServiceFixture>
{
    private CameraServiceClient Client => fixture.Client;

    [Fact]
    public async Task Capabilities_ShowAudioOnlyForTheCameraWithATone()
    {
        var (tone, silent) = await CamerasAsync();

        Assert.True((await Client.GetCameraCapabilitiesAsync(tone)).Audio);
        Assert.False((await Client.GetCameraCapabilitiesAsync(silent)).Audio);
    }

    [Fact]
    public async Task RecordingWithAudio_FilesHaveAVideoAndAnAudioStream()
    {
        var (tone, _) = await CamerasAsync();

        var files = await RecordAsync(tone, audio: true);

        Assert.All(files, f => Assert.Equal("audio:opus,video:h264", f.Streams));
    }

    [Fact]
    public async Task RecordingWithoutAudio_OfTheCameraWithATone_FilesHaveVideoOnly()
    {
        var (tone, _) = await CamerasAsync();

        var files = await RecordAsync(tone, audio: false);

        Assert.All(files, f => Assert.Equal("video:h264", f.Streams));
    }

    [Fact]
    public async Task RecordingWithAudio_OfACameraWithoutAudio_IsRefusedNamingTheCamera()
    {
        var (_, silent) = await CamerasAsync();

        var refused = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() =>
            Client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = silent, ["audio"] = true }));

        Assert.Equal(-32030, refused.Code);
        Assert.Equal("audio", refused.DataString("feature"));
        Assert.Contains(silent, refused.ServerMessage + refused.DataString("message"), StringComparison.Ordinal);
        Assert.NotEqual("RECORDING", (await Client.GetRecordingStatusAsync(silent)).Status);
    }

    /// <summary>The device ids of "Test pattern 1" (a tone by default) and "Test pattern 0" (silent).</summary>
    private async Task<(string Tone, string Silent)> CamerasAsync()
    {
        var cameras = (await Client.GetCameraListAsync()).Cameras;
        return (cameras.Single(c => c.Name == "Test pattern 1").Device, cameras.Single(c => c.Name == "Test pattern 0").Device);
    }

    private async Task<List<(string Name, string Streams)>> RecordAsync(string device, bool audio)
    {
        var recordings = Path.Combine(fixture.Service.MediaRoot, "recordings");
        var before = Segments(recordings).ToHashSet(StringComparer.Ordinal);
        await Client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = device, ["audio"] = audio });
        Assert.True(
            await Media.WaitUntil(() => Segments(recordings).Any(f => !before.Contains(f) && new FileInfo(f).Length > 4000), TimeSpan.FromSeconds(20)),
            "no segment was written");
        var stopped = await Client.StopRecordingAsync(device);
        Assert.NotEmpty(stopped.Files);
        var result = new List<(string, string)>();
        foreach (var file in stopped.Files)
        {
            var path = Directory.EnumerateFiles(recordings, file.Filename, SearchOption.AllDirectories).Single();
            Assert.Equal(file.FileSize, new FileInfo(path).Length);
            result.Add((file.Filename, await StreamsAsync(path)));
        }

        return result;
    }

    private static IEnumerable<string> Segments(string recordings) =>
        Directory.Exists(recordings) ? Directory.EnumerateFiles(recordings, "*.mp4", SearchOption.AllDirectories) : [];

    /// <summary>The file's streams as ffprobe sees them, <c>type:codec</c>, sorted and comma-separated.</summary>
    internal static async Task<string> StreamsAsync(string path)
    {
        var psi = new ProcessStartInfo("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path]) { RedirectStandardOutput = true };
        using var probe = Process.Start(psi)!;
        var output = await probe.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await probe.WaitForExitAsync(cts.Token);
        Assert.Equal(0, probe.ExitCode);
        return string.Join(',', output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(',')).Select(p => p[1] + ":" + p[0]).Order());
    }
}

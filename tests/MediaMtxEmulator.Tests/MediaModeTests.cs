using System.Diagnostics;

namespace MediaMtxEmulator.Tests;

public sealed class MediaModeTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options) => options.Media = true;

    [Fact]
    public async Task Recording_WithPublisher_WritesPlayableFmp4()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", $$"""{"recordPath":"{{Root}}/rec/%path_%Y-%m-%d_%H-%M-%S-%f"}"""));
        Emu.Publish("cam0");
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":true}"""));
        var dir = Path.Combine(Root, "rec");
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Any(f => new FileInfo(f).Length > 2000), TimeSpan.FromSeconds(20));

        // Frames keep flowing into the segment (it grew since it was first seen), rather than a fixed pause.
        var seen = Directory.GetFiles(dir).Max(f => new FileInfo(f).Length);
        await WaitUntil(() => Directory.GetFiles(dir).Max(f => new FileInfo(f).Length) > seen + 2000, TimeSpan.FromSeconds(20));
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":false}"""));
        var file = Assert.Single(Directory.GetFiles(dir));
        Assert.Matches(@"cam0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mp4$", file);

        var psi = new ProcessStartInfo("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file])
        {
            RedirectStandardOutput = true,
        };
        using var probe = Process.Start(psi)!;
        var output = await probe.StandardOutput.ReadToEndAsync();
        await probe.WaitForExitAsync();
        Assert.Equal("h264,320,240", output.Trim());
        var (_, get) = await Get("/v3/recordings/get/cam0");
        Assert.Single(get!["segments"]!.AsArray());
    }

    [Theory]
    [InlineData("ffmpeg -i x -map 0:v:0 -map 1:a:0 -c:a libopus -b:a 64k -f rtsp rtsp://127.0.0.1:8554/cam1", "audio:opus,video:h264")]
    [InlineData("ffmpeg -i x -map 0:v:0 -an -f rtsp rtsp://127.0.0.1:8554/cam1", "video:h264")]
    public async Task Recording_RecordsTheAudioThePublisherPublishes(string publisher, string expected)
    {
        AssertOk(await Post("/v3/config/paths/add/cam1", $$"""{"recordPath":"{{Root}}/rec/%path_%Y-%m-%d_%H-%M-%S-%f","runOnDemand":"{{publisher}}"}"""));
        Emu.Publish("cam1");
        AssertOk(await Patch("/v3/config/paths/patch/cam1", """{"record":true}"""));
        var dir = Path.Combine(Root, "rec");
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Any(f => new FileInfo(f).Length > 4000), TimeSpan.FromSeconds(20));
        AssertOk(await Patch("/v3/config/paths/patch/cam1", """{"record":false}"""));
        var file = Assert.Single(Directory.GetFiles(dir));

        var psi = new ProcessStartInfo("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", file])
        {
            RedirectStandardOutput = true,
        };
        using var probe = Process.Start(psi)!;
        var output = await probe.StandardOutput.ReadToEndAsync();
        await probe.WaitForExitAsync();
        var streams = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(',')).Select(p => p[1] + ":" + p[0]).Order();
        Assert.Equal(expected, string.Join(',', streams));
    }
}

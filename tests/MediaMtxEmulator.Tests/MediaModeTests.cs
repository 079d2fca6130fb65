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
}

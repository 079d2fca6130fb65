using System.Diagnostics;

namespace MediaMtxEmulator.Tests;

public sealed class RtspServerTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options) => options.RtspServer = true;

    [Fact]
    public async Task FfmpegReadsPath_ServedAndCountedAsOnDemandReader()
    {
        AssertOk(await Post("/v3/config/paths/add/cam0", """{"runOnDemand":"ffmpeg -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH"}"""));
        var output = Path.Combine(Root, "frame.jpg");
        var psi = new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", $"rtsp://127.0.0.1:{Emu.RtspPort}/cam0", "-frames:v", "1", "-y", output])
        {
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, err);
        Assert.True(new FileInfo(output).Length > 0);
        Assert.Contains(Emu.Hooks, h => h.Hook == "runOnDemand" && h.Event == "start");
    }

    [Fact]
    public async Task UnconfiguredPath_NotServed()
    {
        var psi = new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", $"rtsp://127.0.0.1:{Emu.RtspPort}/nope", "-frames:v", "1", "-f", "null", "-"])
        {
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        _ = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.NotEqual(0, p.ExitCode);
    }
}

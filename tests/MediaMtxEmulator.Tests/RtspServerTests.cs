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
    public async Task PathRecreated_ItsReadersAreDisconnected_AndANewReaderIsServed()
    {
        // Like MediaMTX: a config change it cannot hot-reload (runOnDemand → runOnInit) closes the path with its readers.
        AssertOk(await Post("/v3/config/paths/add/cam0", """{"runOnDemand":"ffmpeg -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH"}"""));
        var psi = new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", $"rtsp://127.0.0.1:{Emu.RtspPort}/cam0", "-c", "copy", "-f", "null", "-"])
        {
            RedirectStandardError = true,
        };
        using var reader = Process.Start(psi)!;
        _ = reader.StandardError.ReadToEndAsync();
        try
        {
            await Task.Delay(2000); // reading
            Assert.False(reader.HasExited);

            AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"runOnDemand":"","runOnInit":"ffmpeg -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH"}"""));

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await reader.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!reader.HasExited)
            {
                reader.Kill();
            }
        }

        var output = Path.Combine(Root, "again.jpg");
        using var again = Process.Start(new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", $"rtsp://127.0.0.1:{Emu.RtspPort}/cam0", "-frames:v", "1", "-y", output]) { RedirectStandardError = true })!;
        var err = await again.StandardError.ReadToEndAsync();
        await again.WaitForExitAsync();
        Assert.True(again.ExitCode == 0, err);
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

using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// Issue #22's crash-loss invariant on the MediaMTX backend, end to end: the process that writes is MediaMTX (here the
/// emulator in media mode, as its own process), SIGKILLed mid-recording together with its children (as systemd's default
/// KillMode does before a restart) and started again on the same ports with its paths wiped. The service must re-apply
/// the recording's path at once (its watch, not the 10 s reconciliation), so the files cover the span minus MediaMTX's
/// own downtime and at most 2 s.
/// </summary>
public sealed class MediaMtxCrashLossTests(ITestOutputHelper output)
{
    private const double LossPerCrash = 2.0;

    [Fact]
    public async Task EmulatorKilled_MidRecording_RecordingReappliedAndFilesCoverTheSpanMinusDowntime()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-mtxcrash-").FullName;
        var media = Path.Combine(root, "media");
        Directory.CreateDirectory(media);
        var (apiPort, rtspPort) = (ServiceProcess.FreePort(), ServiceProcess.FreePort());
        var emulator = await StartEmulatorAsync(apiPort, rtspPort, media);
        try
        {
            var settings = FfmpegServiceFixture.WithOneTestPattern(MediaMtxServiceFixture.MediaMtxSettings(new Uri($"http://127.0.0.1:{apiPort}"), rtspPort));
            // The default period: only the watch can re-apply within the test.
            settings["Plugins:MediaMtx:ReconcileInterval"] = "00:00:10";
            settings["Storage:Root"] = media;
            await OneCameraService.RunAsync(root, settings, async (service, client) =>
            {
                var dir = Path.Combine(media, "recordings", "camera0");
                var started = await client.StartRecordingAsync("camera0");
                var t0 = DateTimeOffset.UtcNow;
                Assert.True(await Media.WaitUntilAsync(async () => (await client.GetRecordingStatusAsync("camera0")).BytesWritten > 0, TimeSpan.FromSeconds(30)),
                    "the recording never wrote bytes:\n" + service.Log);
                await DelayUntilAsync(t0.AddSeconds(5));

                var killed = DateTimeOffset.UtcNow;
                KillWithChildren(emulator);
                emulator = await StartEmulatorAsync(apiPort, rtspPort, media);
                var back = DateTimeOffset.UtcNow;
                var downtime = (back - killed).TotalSeconds;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(killed - t0).TotalSeconds:0.0} s: emulator killed; answering again after {downtime:0.00} s"));
                await DelayUntilAsync(t0.AddSeconds(14));

                var stopCalled = DateTimeOffset.UtcNow;
                var stopped = await client.StopRecordingAsync("camera0");
                var span = (stopCalled - started.StartTime).TotalSeconds;
                var total = 0.0;
                var unplayable = new List<string>();
                foreach (var file in stopped.Files)
                {
                    try
                    {
                        var probe = await Media.ProbeAsync(Path.Combine(dir, file.Filename));
                        Assert.Equal("h264", probe.Codec);
                        output.WriteLine($"{file.Filename}: {probe.Duration:0.00} s");
                        total += probe.Duration;
                    }
                    catch (Xunit.Sdk.XunitException ex)
                    {
                        output.WriteLine($"{file.Filename}: does not play ({ex.Message.Split('\n')[0]})");
                        unplayable.Add(file.Filename);
                    }
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"span {span:0.00} s, downtime {downtime:0.00} s, files {stopped.Files.Count}, video {total:0.00} s"));
                Assert.True(total >= span - downtime - LossPerCrash,
                    string.Create(CultureInfo.InvariantCulture, $"the files hold {total:0.00} s of a {span:0.00} s recording; MediaMTX was down {downtime:0.00} s:\n{service.Log}"));
                Assert.True(unplayable.Count == 0, "files that do not play: " + string.Join(", ", unplayable));
            });
        }
        finally
        {
            KillWithChildren(emulator);
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task DelayUntilAsync(DateTimeOffset when)
    {
        var wait = when - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    /// <summary>The emulator as its own process (media mode, RTSP endpoint), once its API answers.</summary>
    private static async Task<Process> StartEmulatorAsync(int apiPort, int rtspPort, string media)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     Path.Combine(Path.GetDirectoryName(ServiceProcess.HostDll)!.Replace(Path.Combine("host", "bin"), Path.Combine("tests", "MediaMtxEmulator", "bin"), StringComparison.Ordinal), "MediaMtxEmulator.dll"),
                     "--api-address", $"127.0.0.1:{apiPort}", "--rtsp-address", $"127.0.0.1:{rtspPort}", "--recordings-root", media, "--media", "--rtsp-server",
                 })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        Assert.True(await Media.WaitUntilAsync(async () =>
        {
            try
            {
                using var r = await http.GetAsync(new Uri($"http://127.0.0.1:{apiPort}/v3/info"));
                return r.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return process.HasExited ? throw new InvalidOperationException("the emulator exited") : false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60)), "the emulator never answered");
        return process;
    }

    /// <summary>SIGKILL to the emulator and everything it started (systemd's KillMode=control-group before a restart).</summary>
    private static void KillWithChildren(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        var children = Processes.Descendants(process.Id);
        process.Kill();
        process.WaitForExit();
        foreach (var child in children)
        {
            try
            {
                Process.GetProcessById(child.Pid).Kill();
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
            catch (InvalidOperationException)
            {
                // Same.
            }
        }

        process.Dispose();
    }
}

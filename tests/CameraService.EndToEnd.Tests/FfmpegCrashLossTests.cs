using System.Globalization;
using CameraService.Client;
using Xunit.Abstractions;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// Issue #22's crash-loss invariant on the ffmpeg backend, end to end (real service, test pattern, real ffmpeg): the files
/// of a recording cover its wall-clock span minus at most 2 s per crash of a process that writes them — here three
/// SIGKILLs, of the recorder (twice) and of the camera's own process (once). A correctness bound, not a timing.
/// </summary>
public sealed class FfmpegCrashLossTests(ITestOutputHelper output)
{
    private const double LossPerCrash = 2.0;

    [Fact]
    public async Task ThreeKills_RecorderAndCameraProcess_FilesCoverTheSpanMinusTwoSecondsPerKillAndAllPlay()
    {
        var root = Directory.CreateTempSubdirectory("cs-e2e-crash-").FullName;
        try
        {
            var settings = FfmpegServiceFixture.OneTestPatternSettings(root);
            // One segment per minute: every extra file is a crash's.
            settings["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00";
            await OneCameraService.RunAsync(root, settings, async (service, client) =>
            {
                var hostPid = service.ProcessId!.Value;
                var dir = Path.Combine(service.MediaRoot, "recordings", "camera0");
                var killed = new HashSet<int>();
                var started = await client.StartRecordingAsync("camera0");
                var t0 = DateTimeOffset.UtcNow;

                // Kills at about 3.5 s, 7 s and 10.5 s of a 14 s recording: the recorder, the camera's process, the recorder.
                await KillAtAsync(t0, 3.5, () => Recorder(hostPid, killed), "recorder");
                await KillAtAsync(t0, 7.0, () => Camera(hostPid, killed), "camera process");
                await KillAtAsync(t0, 10.5, () => Recorder(hostPid, killed), "recorder");
                await Task.Delay(t0.AddSeconds(14) - DateTimeOffset.UtcNow is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);

                var stopCalled = DateTimeOffset.UtcNow;
                var stopped = await client.StopRecordingAsync("camera0");

                var span = (stopCalled - started.StartTime).TotalSeconds;
                Assert.Equal(
                    Directory.GetFiles(dir, "camera0_*.mp4").Select(Path.GetFileName).Order(StringComparer.Ordinal),
                    stopped.Files.Select(f => f.Filename).Order(StringComparer.Ordinal));
                // Coverage: the union of the files' spans (start from the name, length from ffprobe), so that an interval
                // written to two files (a recorder's replacement gets the last ones again) counts once.
                var spans = new List<(DateTimeOffset Start, DateTimeOffset End)>();
                foreach (var file in stopped.Files)
                {
                    var probe = await Media.ProbeAsync(Path.Combine(dir, file.Filename));
                    Assert.Equal("h264", probe.Codec);
                    Assert.True(probe.Duration > 0, $"{file.Filename} does not play (duration {probe.Duration})");
                    output.WriteLine($"{file.Filename}: {probe.Duration:0.00} s");
                    var start = DateTimeOffset.ParseExact(file.Filename["camera0_".Length..^".mp4".Length], "yyyy-MM-dd_HH-mm-ss-ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                    spans.Add((start, start.AddSeconds(probe.Duration)));
                }

                var total = 0.0;
                var coveredTo = DateTimeOffset.MinValue;
                foreach (var (start, end) in spans.OrderBy(s => s.Start))
                {
                    total += Math.Max(0, (end - (start > coveredTo ? start : coveredTo)).TotalSeconds);
                    coveredTo = end > coveredTo ? end : coveredTo;
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"span {span:0.00} s, files {stopped.Files.Count}, covered {total:0.00} s, kills {killed.Count}"));
                Assert.Equal(3, killed.Count);
                Assert.True(total >= span - LossPerCrash * killed.Count,
                    string.Create(CultureInfo.InvariantCulture, $"the files hold {total:0.00} s of a {span:0.00} s recording with {killed.Count} kills (at most {LossPerCrash * killed.Count:0} s may be lost):\n{service.Log}"));
            });
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        async Task KillAtAsync(DateTimeOffset t0, double seconds, Func<Processes.Entry?> victim, string what)
        {
            var wait = t0.AddSeconds(seconds) - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            // The previous kill's replacement may still be starting.
            Processes.Entry? target = null;
            Assert.True(await Media.WaitUntil(() => (target = victim()) is not null, TimeSpan.FromSeconds(30)), $"no {what} to kill");
            using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", target!.Pid.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(DateTimeOffset.UtcNow - t0).TotalSeconds:0.0} s: killed the {what} ({target.Pid})"));
        }
    }

    /// <summary>The recorder ffmpeg (fed on its standard input) not killed yet.</summary>
    private static Processes.Entry? Recorder(int hostPid, HashSet<int> killed) => Pick(hostPid, killed, recorder: true);

    /// <summary>The camera's ffmpeg (its feed on standard output) not killed yet.</summary>
    private static Processes.Entry? Camera(int hostPid, HashSet<int> killed) => Pick(hostPid, killed, recorder: false);

    private static Processes.Entry? Pick(int hostPid, HashSet<int> killed, bool recorder)
    {
        var found = Processes.Descendants(hostPid).FirstOrDefault(p =>
            p.Name == "ffmpeg" && p.CommandLine.Contains("pipe:0", StringComparison.Ordinal) == recorder && !killed.Contains(p.Pid));
        if (found is not null)
        {
            killed.Add(found.Pid);
        }

        return found;
    }
}

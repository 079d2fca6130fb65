using System.Diagnostics;
using CameraService.Core.Media.Motion;
using CameraService.Perf.Measurement;
using CameraService.Perf.Scenarios;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Motion;

/// <summary>
/// motion: what motion detection costs per camera (issue 21, "&lt; 10 % of one core per camera at 640x480@5 fps
/// decode"). A 640×480, 30 fps H.264 clip of ffmpeg's moving test source (made first, not measured) plays in real
/// time (<c>-re</c>, looped) like a camera's stream; ffmpeg decodes it with exactly the service's reader filter
/// (<c>fps=5,scale=640:480,format=gray</c>, raw grey frames on stdout) and every frame goes through the service's own
/// <see cref="MotionDetector"/> (the source file is compiled in). Measured over the phase: ffmpeg's CPU time (from
/// /proc, its whole process) and the detector's time per frame, as a percentage of one core of wall time.
/// </summary>
internal sealed class MotionScenario : IScenario
{
    private const int Width = 640;
    private const int Height = 480;
    private const double Rate = 5;

    public string Name => "motion";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var seconds = context.Pick(context.Settings.DurationSeconds, 60.0, 3.0);
        var temp = Directory.CreateTempSubdirectory("perf-motion-").FullName;
        try
        {
            var clip = Path.Combine(temp, "camera.mp4");
            await RunFfmpegAsync(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-t", "10",
                "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p", clip], cancellationToken).ConfigureAwait(false);

            var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "-hide_banner", "-loglevel", "error", "-nostats", "-re", "-stream_loop", "-1", "-i", clip,
                "-an", "-sn", "-dn", "-vf", $"fps={Rate},scale={Width}:{Height},format=gray", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
            })
            {
                info.ArgumentList.Add(a);
            }

            using var ffmpeg = Process.Start(info) ?? throw new PerfException("ffmpeg could not be started; apt-get install -y ffmpeg");
            ffmpeg.ErrorDataReceived += (_, _) => { };
            ffmpeg.BeginErrorReadLine();
            var measurements = new Measurements();
            await using var ffmpegSampler = StartSampler(ffmpeg.Id);
            await using var self = StartSampler(Environment.ProcessId);
            var detector = new MotionDetector(25, 1.0);
            var buffer = new byte[Width * Height];
            var output = ffmpeg.StandardOutput.BaseStream;
            var frames = 0;
            var motionFrames = 0;
            var detectTicks = 0L;
            var cpuStart = ffmpeg.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            window.CancelAfter(TimeSpan.FromSeconds(seconds));
            try
            {
                while (await output.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, window.Token).ConfigureAwait(false) == buffer.Length)
                {
                    var start = Stopwatch.GetTimestamp();
                    var update = detector.Process(buffer, Width, Height, TimeProvider.System.GetUtcNow());
                    var elapsed = Stopwatch.GetTimestamp() - start;
                    detectTicks += elapsed;
                    measurements.Record("detect", (long)Stopwatch.GetElapsedTime(start, start + elapsed).TotalMicroseconds, "ok", ok: true);
                    frames++;
                    motionFrames += update.Motion ? 1 : 0;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The measured window is over.
            }

            var wallSeconds = wall.Elapsed.TotalSeconds;
            ffmpeg.Refresh();
            var ffmpegCpu = (ffmpeg.TotalProcessorTime - cpuStart).TotalSeconds;
            ffmpegSampler?.TakeSample();
            self?.TakeSample();
            ffmpeg.Kill(entireProcessTree: true);
            await ffmpeg.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            measurements.Total.Stop();

            var detectSeconds = (double)detectTicks / Stopwatch.Frequency;
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["frames"] = frames,
                ["frames_per_second"] = Math.Round(frames / wallSeconds, 2),
                ["motion_frames"] = motionFrames,
                ["decode_cpu_percent"] = Math.Round(100 * ffmpegCpu / wallSeconds, 2),
                ["detector_cpu_percent"] = Math.Round(100 * detectSeconds / wallSeconds, 3),
                ["total_cpu_percent"] = Math.Round(100 * (ffmpegCpu + detectSeconds) / wallSeconds, 2),
            };
            var phase = BuildPhase("motion", "ffmpeg reader + MotionDetector", measurements.Total, ffmpegSampler?.Summarize(includeSamples: false), self?.Summarize(), metrics);
            await context.Out.WriteLineAsync(FormattableString.Invariant(
                $"[motion] {frames} frames in {wallSeconds:0.0} s ({metrics["frames_per_second"]} fps): decode {metrics["decode_cpu_percent"]} % + detector {metrics["detector_cpu_percent"]} % = {metrics["total_cpu_percent"]} % of one core (budget 10 %); detector p99 {phase.P99Ms} ms per frame")).ConfigureAwait(false);
            return new ScenarioOutcome(
                [phase],
                new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["duration_s"] = Inv(seconds),
                    ["stream"] = "H.264 640x480 30 fps (testsrc2), real time",
                    ["analysis"] = $"{Width}x{Height} grey at {Inv(Rate)} fps",
                },
                ["CPU is ffmpeg's whole process (decode of every stream frame, scale, grey) plus the detector's time per frame, over wall time; % of one core"]);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static async Task RunFfmpegAsync(string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new PerfException("ffmpeg could not be started; apt-get install -y ffmpeg");
        var error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new PerfException($"ffmpeg could not make the test clip: {error.Trim()}");
        }
    }
}

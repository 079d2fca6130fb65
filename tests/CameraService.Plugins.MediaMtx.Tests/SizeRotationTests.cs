using System.Diagnostics;
using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>Size rotation on the MediaMTX backend: completed segments over the limit are split at keyframes.</summary>
public sealed class SizeRotationTests
{
    [Fact]
    public void ParseGops_CountsEveryStreamsPacketsToTheKeyframeIntervalTheyFollow_FromTheEarliestPacket()
    {
        const string csv = """
            audio,1.400000,200,K__
            video,1.500000,5000,K__
            video,1.566667,300,___
            audio,1.600000,200,K__
            video,2.500000,4000,K__
            video,2.566667,100,___
            """;

        var gops = SegmentSplitter.ParseGops(csv);

        Assert.Equal([new SegmentSplitter.Gop(0, 5700), new SegmentSplitter.Gop(1.1, 4100)], gops.Select(g => g with { Seconds = Math.Round(g.Seconds, 6) }));
    }

    [Fact]
    public void PlanCuts_PacksWholeIntervalsUnderTheBudget_AndAnOversizeIntervalStandsAlone()
    {
        var gops = new SegmentSplitter.Gop[] { new(0, 40), new(1, 40), new(2, 40), new(3, 150), new(4, 10), new(5, 10) };

        var cuts = SegmentSplitter.PlanCuts(gops, budget: 100);

        Assert.Equal([2.0, 3.0, 4.0], cuts.Select(c => c.Seconds));
        Assert.Empty(SegmentSplitter.PlanCuts(gops, budget: 1000));
    }

    [Fact]
    public async Task SplitAsync_RealSegment_PartsWithinTheLimit_CoverTheWholeSegment_NamedByTheirStart()
    {
        var dir = Directory.CreateTempSubdirectory("split-").FullName;
        try
        {
            var start = new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero).ToLocalTime();
            string Name(DateTimeOffset t) => "camera0_" + t.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture) + "-" +
                (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture) + ".mp4";
            var file = Path.Combine(dir, Name(start));
            await RunAsync("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15", "-t", "12",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-b:v", "1M", "-movflags", "frag_keyframe+empty_moov+default_base_moof", file);
            var original = await DurationAsync(file);
            const long limit = 400_000;
            Assert.True(new FileInfo(file).Length > 2 * limit);

            var parts = await new SegmentSplitter("ffmpeg", TimeProvider.System).SplitAsync(file, limit, Name, start, CancellationToken.None);

            Assert.True(parts.Count >= 3, $"{parts.Count} parts");
            Assert.Equal(file, parts[0]);
            Assert.All(parts, p => Assert.InRange(new FileInfo(p).Length, 1, limit));
            Assert.Equal(parts.Order(StringComparer.Ordinal), parts);
            var durations = new List<double>();
            foreach (var p in parts)
            {
                durations.Add(await DurationAsync(p));
            }

            Assert.InRange(durations.Sum(), original - 0.2, original + 0.2);
            Assert.Equal(parts.Count, Directory.GetFiles(dir).Length);
            Assert.Empty(Directory.GetDirectories(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static async Task<double> DurationAsync(string file) =>
        double.Parse(await RunAsync("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file), CultureInfo.InvariantCulture);

    private static async Task<string> RunAsync(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, $"{exe} failed: {await error}");
        return (await output).Trim();
    }
}

/// <summary>Size rotation end to end with the emulator recording real media.</summary>
public sealed class MediaSizeRotationTests : BackendTestBase
{
    protected override void Configure() => EmulatorOptions.Media = true;

    [Fact]
    public async Task Recording_WithASizeLimit_EverySegmentWithinIt_AllReturned_CoveringTheRecording()
    {
        // The emulator's stream is about 70 kB per one-second keyframe interval: two intervals fit.
        const long limit = 150_000;
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var dir = Path.Combine(Recordings, "camera0");
        var started = DateTimeOffset.UtcNow;
        await Backend.StartRecordingAsync(
            new RecordingRequest { CameraId = "camera0", SessionId = "r1", Format = "fmp4", OutputDirectory = dir, StartTime = started, SegmentMaxBytes = limit },
            CancellationToken.None);
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length) > 3 * limit, TimeSpan.FromSeconds(40));

        // The recording ends when the stop is asked for; the answer comes later (record off, the final size split of
        // the segments by ffmpeg, the collection), by seconds on a loaded machine — video the recording does not owe.
        var asked = (DateTimeOffset.UtcNow - started).TotalSeconds;
        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);
        var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;

        Assert.True(stopped.Files.Count >= 3, $"{stopped.Files.Count} files");
        Assert.All(stopped.Files, f => Assert.InRange(new FileInfo(f.Path).Length, 1, limit));
        Assert.Equal(Directory.GetFiles(dir).Order(StringComparer.Ordinal), stopped.Files.Select(f => f.Path));
        var total = 0.0;
        foreach (var f in stopped.Files)
        {
            total += await SizeRotationTests.DurationAsync(f.Path);
        }

        // The emulator's recorder starts a little after the toggle and ends a little before the stop took effect.
        Assert.InRange(total, asked - 3, elapsed + 0.5);
    }
}

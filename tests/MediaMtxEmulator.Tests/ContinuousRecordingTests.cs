using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MediaMtxEmulator.Tests;

/// <summary>
/// Media mode records like MediaMTX: one ffmpeg per recording whose stream is cut into contiguous segments (issue 22's
/// crash-loss invariant needs a recorder that loses nothing between segments). The ffmpeg runs under a per-test link
/// name, so the processes counted are this test's even while other tests record in the same process.
/// </summary>
public sealed class ContinuousRecordingTests(Xunit.Abstractions.ITestOutputHelper output) : EmulatorTestBase
{
    private const string AudioPublisher = "ffmpeg -i x -map 0:v:0 -map 1:a:0 -c:a aac -f rtsp rtsp://127.0.0.1:8554/cam0";

    private string FfmpegLink => Path.Combine(Root, "bin", "ffmpeg");

    protected override void Configure(EmulatorOptions options)
    {
        options.Media = true;
        Directory.CreateDirectory(Path.GetDirectoryName(FfmpegLink)!);
        File.CreateSymbolicLink(FfmpegLink, FindOnPath("ffmpeg"));
        options.FfmpegPath = FfmpegLink;
    }

    [Fact]
    public async Task Recording_OfSevenSeconds_IsContiguousTwoSecondSegmentsFromOneFfmpeg()
    {
        await AddPathAsync(AudioPublisher);
        var dir = Path.Combine(Root, "rec");
        Emu.Publish("cam0");
        var started = Stopwatch.StartNew();
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":true}"""));

        // Sample the recorder's processes for ~7 s; meanwhile, the segment being written is always whole boxes ending in
        // an mdat (flushed per fragment: a kill of the emulator would lose only the fragment in progress).
        var pids = new HashSet<int>();
        var wholeChecks = 0;
        while (started.Elapsed < TimeSpan.FromSeconds(7))
        {
            var now = OurFfmpegs();
            Assert.True(now.Count <= 1, "more than one ffmpeg at once: " + string.Join(",", now));
            pids.UnionWith(now);
            if (Directory.Exists(dir) && Directory.GetFiles(dir).Order(StringComparer.Ordinal).LastOrDefault() is { } newest)
            {
                Assert.Equal("mdat", LastBoxOfWholeBoxes(newest));
                wholeChecks++;
            }

            await Task.Delay(200);
        }

        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":false}"""));
        var span = started.Elapsed.TotalSeconds;
        Assert.Single(pids);
        Assert.True(wholeChecks > 0, "no segment file appeared while recording");
        Assert.Empty(OurFfmpegs());

        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 3, $"{files.Count} segments of a {span:0.0} s recording cut every 2 s");
        var probes = new List<SegmentProbe>();
        foreach (var file in files)
        {
            Assert.Matches(@"/rec/cam0_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}-\d{6}\.mp4$", file);
            var probe = await ProbeAsync(file);
            Assert.Equal(["audio:aac", "video:h264"], probe.Streams);
            Assert.True(probe.StartTime < 0.1, $"{file} starts at {probe.StartTime} s, not near 0");
            probes.Add(probe);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"span {span:0.00} s, segments {string.Join(" + ", probes.Select(p => p.Duration.ToString("0.00", CultureInfo.InvariantCulture)))} = {probes.Sum(p => p.Duration):0.00} s"));
        Assert.True(probes.Sum(p => p.Duration) >= span - 1, $"segments hold {probes.Sum(p => p.Duration):0.00} s of a {span:0.00} s recording");
        for (var i = 0; i < files.Count - 1; i++)
        {
            // Cut at the first 1 s fragment after 2 s of media, and named contiguously: the next starts where this one ends.
            Assert.InRange(probes[i].Duration, 1.9, 3.2);
            var gap = (Start(files[i + 1]) - Start(files[i])).TotalSeconds - probes[i].Duration;
            Assert.True(Math.Abs(gap) < 0.2, $"{Path.GetFileName(files[i + 1])} starts {gap:0.00} s off the end of the segment before it");
        }

        AssertSegmentEvents(files, probes);
        var (_, get) = await Get("/v3/recordings/get/cam0");
        Assert.Equal(files.Count, get!["segments"]!.AsArray().Count);
    }

    [Fact]
    public async Task FfmpegKilled_MidRecording_RecordingContinuesInANewSegment()
    {
        await AddPathAsync(runOnDemand: null);
        var dir = Path.Combine(Root, "rec");
        Emu.Publish("cam0");
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":true}"""));
        await WaitUntil(() => Directory.Exists(dir) && Directory.GetFiles(dir).Length >= 1, TimeSpan.FromSeconds(30));
        var first = Assert.Single(OurFfmpegs());

        Process.GetProcessById(first).Kill();
        // The next ffmpeg starts only once the killed one's segment is closed: then a new segment must follow.
        await WaitUntil(() => OurFfmpegs() is [var pid] && pid != first, TimeSpan.FromSeconds(30));
        var closed = Directory.GetFiles(dir).Length;
        await WaitUntil(() => Directory.GetFiles(dir).Length > closed, TimeSpan.FromSeconds(30));
        Assert.Single(OurFfmpegs());
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":false}"""));
        Assert.Empty(OurFfmpegs());

        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();
        var probes = new List<SegmentProbe>();
        foreach (var file in files)
        {
            var probe = await ProbeAsync(file);
            Assert.Equal(["video:h264"], probe.Streams);
            probes.Add(probe);
        }

        AssertSegmentEvents(files, probes);
    }

    [Fact]
    public async Task Stop_BeforeTheFirstFragment_LeavesNoFileWithoutMedia()
    {
        await AddPathAsync(runOnDemand: null);
        var dir = Path.Combine(Root, "rec");
        Emu.Publish("cam0");
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":true}"""));
        AssertOk(await Patch("/v3/config/paths/patch/cam0", """{"record":false}"""));
        Assert.Empty(OurFfmpegs());

        // MediaMTX creates a segment's file with its first part: whatever ffmpeg wrote before 'q' is media, or nothing.
        foreach (var file in Directory.Exists(dir) ? Directory.GetFiles(dir) : [])
        {
            Assert.Equal("mdat", LastBoxOfWholeBoxes(file));
            Assert.Equal(["video:h264"], (await ProbeAsync(file)).Streams);
        }

        Assert.Equal(
            Emu.Hooks.Count(h => h.Hook == "runOnRecordSegmentCreate"),
            Emu.Hooks.Count(h => h.Hook == "runOnRecordSegmentComplete"));
    }

    private async Task AddPathAsync(string? runOnDemand)
    {
        var demand = runOnDemand is null ? string.Empty : $$""","runOnDemand":"{{runOnDemand}}" """;
        AssertOk(await Post("/v3/config/paths/add/cam0", $$"""
            {"recordPath":"{{Root}}/rec/%path_%Y-%m-%d_%H-%M-%S-%f","recordSegmentDuration":"2s",
             "runOnRecordSegmentCreate":"echo create $MTX_SEGMENT_PATH","runOnRecordSegmentComplete":"echo done $MTX_SEGMENT_PATH $MTX_SEGMENT_DURATION"{{demand}}}
            """));
    }

    /// <summary>One create and one complete event per file, in order, the complete one with the file's duration.</summary>
    private void AssertSegmentEvents(List<string> files, List<SegmentProbe> probes)
    {
        var events = Emu.Hooks.Where(h => h.Hook.StartsWith("runOnRecordSegment", StringComparison.Ordinal)).ToList();
        Assert.Equal(files.Count * 2, events.Count);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(("runOnRecordSegmentCreate", files[i]), (events[2 * i].Hook, events[2 * i].Env["MTX_SEGMENT_PATH"]));
            Assert.Equal(("runOnRecordSegmentComplete", files[i]), (events[(2 * i) + 1].Hook, events[(2 * i) + 1].Env["MTX_SEGMENT_PATH"]));
            var reported = double.Parse(events[(2 * i) + 1].Env["MTX_SEGMENT_DURATION"], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(reported - probes[i].Duration) < 0.2, $"{files[i]}: event says {reported} s, ffprobe {probes[i].Duration} s");
        }
    }

    /// <summary>The ffmpeg processes started under this test's link name.</summary>
    private List<int> OurFfmpegs()
    {
        var pids = new List<int>();
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(d), out var pid) && File.ReadAllText(Path.Combine(d, "cmdline")).Split('\0')[0] == FfmpegLink
                    && !File.ReadAllText(Path.Combine(d, "stat")).Contains(") Z ", StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }

        return pids;
    }

    /// <summary>The type of the file's last box, after checking that the file is whole boxes to its end.</summary>
    private static string LastBoxOfWholeBoxes(string file)
    {
        var bytes = File.ReadAllBytes(file);
        long at = 0;
        var last = string.Empty;
        while (at < bytes.Length)
        {
            Assert.True(at + 8 <= bytes.Length, $"{file}: a cut box header at {at}");
            var size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at));
            last = System.Text.Encoding.ASCII.GetString(bytes, (int)at + 4, 4);
            Assert.True(size >= 8 && at + size <= bytes.Length, $"{file}: box {last} at {at} of {size} bytes runs past the end ({bytes.Length})");
            at += size;
        }

        return last;
    }

    private static DateTimeOffset Start(string file) =>
        DateTimeOffset.ParseExact(Path.GetFileNameWithoutExtension(file)["cam0_".Length..], "yyyy-MM-dd_HH-mm-ss-ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private sealed record SegmentProbe(List<string> Streams, double Duration, double StartTime);

    private static async Task<SegmentProbe> ProbeAsync(string file)
    {
        var psi = new ProcessStartInfo("ffprobe", ["-v", "error", "-show_entries", "format=duration,start_time:stream=codec_type,codec_name", "-of", "json", file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var probe = Process.Start(psi)!;
        var output = await probe.StandardOutput.ReadToEndAsync();
        var error = await probe.StandardError.ReadToEndAsync();
        await probe.WaitForExitAsync();
        Assert.True(probe.ExitCode == 0, $"{file} does not play: {error}");
        using var doc = JsonDocument.Parse(output);
        var streams = doc.RootElement.GetProperty("streams").EnumerateArray()
            .Select(s => s.GetProperty("codec_type").GetString() + ":" + s.GetProperty("codec_name").GetString()).Order(StringComparer.Ordinal).ToList();
        var format = doc.RootElement.GetProperty("format");
        double Read(string key) => format.TryGetProperty(key, out var v) ? double.Parse(v.GetString()!, CultureInfo.InvariantCulture) : 0;
        return new SegmentProbe(streams, Read("duration"), Read("start_time"));
    }

    private static string FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not on PATH (./test.sh installs it)");
}

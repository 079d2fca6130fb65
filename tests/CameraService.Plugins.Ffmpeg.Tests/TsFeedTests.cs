using System.Diagnostics;

namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class TsFeedTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Demux_RealFfmpegTs_FindsStreamsAndCutsAtEveryVideoKeyframe()
    {
        var dir = Directory.CreateTempSubdirectory("ts-demux-");
        try
        {
            // 4 s of the test pattern at 10 fps with a keyframe every 10 frames, plus a tone: 4 keyframes, audio every packet RAI.
            var ts = await MakeSampleAsync(dir.FullName);
            var demux = new TsDemux();
            var gops = new List<Gop>();
            var random = new Random(7);
            var data = ts.AsMemory();
            var second = 0;
            TimeSpan? firstPts = null;
            while (data.Length > 0)
            {
                // Odd chunk sizes: packets straddle reads like on a pipe.
                var n = Math.Min(data.Length, random.Next(1, 5000));
                demux.Push(data.Span[..n], T0.AddSeconds(second++), gops.Add);
                firstPts ??= demux.LatestVideoPts;
                data = data[n..];
            }

            // The video frames' PTS (how far the camera's stream has come, for a stop's catch-up): 40 frames 0.1 s apart.
            Assert.Equal(TimeSpan.FromMilliseconds(100), demux.VideoFrameInterval);
            Assert.InRange((demux.LatestVideoPts!.Value - firstPts!.Value).TotalSeconds, 3.0, 3.9);

            Assert.True(demux.VideoPid > 0);
            Assert.True(demux.AudioPid > 0);
            Assert.NotEqual(demux.VideoPid, demux.AudioPid);
            Assert.Equal(0, demux.SkippedBytes);
            var header = demux.Header!;
            Assert.Equal(2 * TsDemux.PacketSize, header.Length);
            Assert.Equal(0, TsDemux.Pid(header));
            Assert.Equal(3, gops.Count); // the 4th interval is still in progress
            var partial = demux.Partial();
            Assert.NotNull(partial);
            var keyframes = CountVideoKeyframes(ts, demux.VideoPid);
            Assert.Equal(4, keyframes);
            foreach (var gop in gops.Append(partial))
            {
                Assert.Equal(0, gop.Length % TsDemux.PacketSize);
                var first = gop.Data.Span[..TsDemux.PacketSize];
                Assert.Equal(demux.VideoPid, TsDemux.Pid(first));
                Assert.True(TsDemux.RandomAccess(first) && TsDemux.PayloadStart(first));
                Assert.Equal(1, CountVideoKeyframes(gop.Data.ToArray(), demux.VideoPid));
            }

            // Header + one interval is a stream of its own: ffmpeg copies it into an MP4 with both streams.
            var one = Path.Combine(dir.FullName, "one.ts");
            await File.WriteAllBytesAsync(one, [.. header, .. gops[1].Data.ToArray()]);
            var mp4 = Path.Combine(dir.FullName, "one.mp4");
            await RunAsync(Media.Ffmpeg, ["-v", "error", "-f", "mpegts", "-i", one, "-map", "0", "-c", "copy", "-bsf:a", "aac_adtstoasc", "-y", mp4]);
            var (codec, frames, duration) = await Media.ProbeAsync(mp4);
            Assert.Equal("h264", codec);
            Assert.Equal(10, frames);
            Assert.InRange(duration, 0.9, 1.2);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Demux_GarbageBeforeAndBetweenPackets_ResynchronizesAndCountsTheSkippedBytes()
    {
        var demux = new TsDemux();
        var packet = new byte[TsDemux.PacketSize];
        packet[0] = 0x47;
        packet[1] = 0x1F;
        packet[2] = 0xFF; // null packet
        var stream = new List<byte> { 1, 2, 3 };
        stream.AddRange(packet);
        stream.Add(9);
        stream.AddRange(packet);

        demux.Push(stream.ToArray(), T0, _ => { });

        Assert.Equal(4, demux.SkippedBytes);
        Assert.Null(demux.Header);
        Assert.Null(demux.Partial());
    }

    [Fact]
    public void Ring_KeepsTheIntervalsReachingBackTheBufferAndNoMore()
    {
        var ring = new GopRing(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 20; i++)
        {
            ring.Add(Gop(i, 1000));
        }

        // Newest starts at 19 s: 14 s is the buffer's beginning, so 14..19 stay (6 intervals, 6000 bytes).
        Assert.Equal(6, ring.Count);
        Assert.Equal(6000, ring.Bytes);
        Assert.Equal(T0.AddSeconds(14), ring.From(DateTimeOffset.MinValue)[0].Time);
        // From a moment between keyframes: the interval that contains it.
        var from = ring.From(T0.AddSeconds(16.5));
        Assert.Equal([T0.AddSeconds(16), T0.AddSeconds(17), T0.AddSeconds(18), T0.AddSeconds(19)], from.Select(g => g.Time));
        // Asked for more than is kept: what there is.
        Assert.Equal(6, ring.From(T0.AddSeconds(2)).Count);
    }

    [Fact]
    public void Ring_WithoutBuffer_KeepsNothing()
    {
        var ring = new GopRing(TimeSpan.Zero);
        ring.Add(Gop(0, 1000));

        Assert.Equal(0, ring.Count);
        Assert.Empty(ring.From(T0));
    }

    [Theory]
    [InlineData(0, 100, false, 1000, 60, 0, false)]      // empty segment: always takes the interval
    [InlineData(0, 100_000, false, 500_000, 60, 300_000, false)] // ... even one bigger than the limit
    [InlineData(10, 1000, true, 1000, 60, 0, false)]     // short, no size limit
    [InlineData(60, 1000, true, 1000, 60, 0, true)]      // duration reached at this keyframe
    [InlineData(5, 250_000, true, 50_000, 60, 300_000, false)] // exactly at the limit: still fits
    [InlineData(5, 250_001, true, 50_000, 60, 300_000, true)]  // one byte over: cut before
    public void SegmentCut_ByTimeOrSizeWhicheverComesFirst(int atSecond, long segmentBytes, bool hasData, int gopBytes, int durationSeconds, long maxBytes, bool cut) =>
        Assert.Equal(cut, SegmentCut.Before(T0, segmentBytes, hasData, Gop(atSecond, gopBytes), TimeSpan.FromSeconds(durationSeconds), maxBytes));

    private static Gop Gop(double second, int bytes) => new(T0.AddSeconds(second), new byte[bytes]);

    private static int CountVideoKeyframes(byte[] ts, int videoPid)
    {
        var count = 0;
        for (var i = 0; i + TsDemux.PacketSize <= ts.Length; i += TsDemux.PacketSize)
        {
            var p = ts.AsSpan(i, TsDemux.PacketSize);
            if (TsDemux.Pid(p) == videoPid && TsDemux.PayloadStart(p) && TsDemux.RandomAccess(p))
            {
                count++;
            }
        }

        return count;
    }

    private static async Task<byte[]> MakeSampleAsync(string dir)
    {
        var path = Path.Combine(dir, "sample.ts");
        await RunAsync(Media.Ffmpeg, [
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-t", "4", "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-keyint_min", "10",
            "-sc_threshold", "0", "-flags", "+global_header", "-bsf:v", "dump_extra=freq=keyframe", "-f", "mpegts", "-y", path,
        ]);
        return await File.ReadAllBytesAsync(path);
    }

    private static async Task RunAsync(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, await errors);
    }
}

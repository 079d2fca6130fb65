using System.Diagnostics;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary><see cref="LatestGop"/>: the newest GOP of an Annex B stream fed in any chunks.</summary>
public sealed class LatestGopTests
{
    private static readonly byte[] Sps = [0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1E];
    private static readonly byte[] Pps = [0, 0, 0, 1, 0x68, 0xCE, 0x38, 0x80];
    private static readonly byte[] Idr = [0, 0, 1, 0x65, 0x88, 0x84, 0x21];   // first_mb_in_slice = 0 (first bit 1)
    private static readonly byte[] P = [0, 0, 1, 0x41, 0x9A, 0x02, 0x03];     // a new picture
    private static readonly byte[] PSecondSlice = [0, 0, 1, 0x41, 0x40, 0x02]; // first_mb_in_slice ≠ 0: same picture

    private static byte[] Gop(int pictures) =>
        [.. Sps, .. Pps, .. Idr, .. Enumerable.Range(0, pictures - 1).SelectMany(_ => P.Concat(PSecondSlice))];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void ThreeGops_InChunksOfAnySize_KeepsTheLastFromItsStartCode_WithItsPictureCount(int chunk)
    {
        var stream = Gop(4).Concat(Gop(2)).Concat(Gop(3)).ToArray();
        var gop = new LatestGop();

        for (var at = 0; at < stream.Length; at += chunk)
        {
            gop.Append(stream.AsSpan(at, Math.Min(chunk, stream.Length - at)));
        }

        Assert.True(gop.TryGet(out var picture));
        Assert.Equal(Gop(3), picture.Bytes);
        Assert.Equal(3, picture.Pictures);
    }

    [Fact]
    public void BeforeTheFirstKeyframe_NothingToGive()
    {
        var gop = new LatestGop();
        gop.Append([.. P, .. P]);
        Assert.False(gop.TryGet(out _));
        gop.Append([.. Sps, .. Pps]);
        Assert.False(gop.HasPicture);
        gop.Append(Idr);
        Assert.True(gop.TryGet(out var picture));
        Assert.Equal(1, picture.Pictures);
    }

    [Fact]
    public void Reset_ForgetsUntilTheNextKeyframe()
    {
        var gop = new LatestGop();
        gop.Append(Gop(2));
        gop.Reset();
        Assert.False(gop.TryGet(out _));
        gop.Append(P);
        Assert.False(gop.TryGet(out _));
        gop.Append(Gop(1));
        Assert.True(gop.TryGet(out var picture));
        Assert.Equal(Gop(1), picture.Bytes);
    }

    [Fact]
    public void AGopPastTheBound_IsDropped_NotKeptStale()
    {
        var gop = new LatestGop();
        gop.Append(Gop(1));
        var filler = new byte[1 << 20];
        Array.Fill(filler, (byte)0x55);
        for (var i = 0; i <= LatestGop.MaxBytes / filler.Length; i++)
        {
            gop.Append(filler);
        }

        Assert.False(gop.TryGet(out _));
        gop.Append(Gop(2));
        Assert.True(gop.TryGet(out var picture));
        Assert.Equal(2, picture.Pictures);
    }

    [Fact]
    public async Task RealH264_TheSnapshotIsTheStreamsLastPicture()
    {
        using var dir = new TempDir();
        var stream = Path.Combine(dir.Path, "in.h264");
        await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-frames:v", "25", "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p",
            "-bsf:v", "dump_extra=freq=keyframe", "-f", "h264", stream);
        var gop = new LatestGop();
        var bytes = await File.ReadAllBytesAsync(stream);
        for (var at = 0; at < bytes.Length; at += 1000)
        {
            gop.Append(bytes.AsSpan(at, Math.Min(1000, bytes.Length - at)));
        }

        Assert.True(gop.TryGet(out var picture));
        Assert.Equal(5, picture.Pictures); // frames 20–24

        var snapshotter = new FfmpegSnapshotter(Options.Create(new MediaMtxOptions()), TimeProvider.System);
        var fromGop = Path.Combine(dir.Path, "gop.png");
        var result = await snapshotter.CaptureAsync(picture, new SnapshotRequest { CameraId = "c", OutputPath = fromGop, Format = "png", Quality = 90 }, null, CancellationToken.None);
        Assert.Equal((320, 240), (result.Width, result.Height));
        var fromPrepared = Path.Combine(dir.Path, "prepared.png");
        var encoder = PreparedSnapshotEncoder.TryStart("ffmpeg", "png", 90);
        Assert.NotNull(encoder);
        var prepared = await snapshotter.CaptureAsync(picture, new SnapshotRequest { CameraId = "c", OutputPath = fromPrepared, Format = "png", Quality = 90 }, encoder, CancellationToken.None);
        Assert.Equal((320, 240), (prepared.Width, prepared.Height));
        Assert.False(File.Exists(fromPrepared + ".partial"));

        // The same picture decoded from the whole stream: frame 24, the last one.
        var last = Path.Combine(dir.Path, "last.png");
        await FfmpegAsync("-i", stream, "-vf", "select=eq(n\\,24)", "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", last);
        var first = Path.Combine(dir.Path, "gopfirst.png");
        await FfmpegAsync("-i", stream, "-vf", "select=eq(n\\,20)", "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", first);
        var fromGopPixels = await DecodeAsync(fromGop);
        Assert.Equal(await DecodeAsync(last), fromGopPixels);
        Assert.Equal(fromGopPixels, await DecodeAsync(fromPrepared));
        Assert.NotEqual(await DecodeAsync(first), fromGopPixels);
    }

    private static async Task FfmpegAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", .. args]) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, err);
    }

    /// <summary>The raw RGB pixels of an image (PNG files of the same pixels may differ in their bytes).</summary>
    private static async Task<byte[]> DecodeAsync(string image)
    {
        var psi = new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", image, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        await p.StandardOutput.BaseStream.CopyToAsync(ms);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return ms.ToArray();
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("gop-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Snapshots of the MediaMTX backend from the camera's open reader, against the emulator's RTSP server.</summary>
public sealed class LiveSnapshotTests : BackendTestBase
{
    protected override void Configure()
    {
        EmulatorOptions.RtspServer = true;
        Settings["Plugins:MediaMtx:SnapshotReaderIdle"] = "00:00:03";
    }

    private SnapshotRequest Request(string name) =>
        new() { CameraId = "camera0", OutputPath = Path.Combine(Root, "snapshots", name), Format = "jpg", Quality = 85, Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task AfterTheFirstSnapshot_TheNextComeFromTheOpenReader_ThenItClosesWhenIdle()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);

        var cold = await Backend.TakeSnapshotAsync(Request("a.jpg"), CancellationToken.None);
        Assert.Equal((320, 240), (cold.Width, cold.Height));
        Assert.Equal(0, Backend.SnapshotsFromOpenReaders);

        // The reader connects and receives a keyframe (the emulator's stream has one per second).
        var warm = await WaitForAsync(async () =>
        {
            await Backend.TakeSnapshotAsync(Request("b.jpg"), CancellationToken.None);
            return Backend.SnapshotsFromOpenReaders > 0;
        });
        Assert.True(warm, "no snapshot was taken from the open reader");
        var fromReader = await File.ReadAllBytesAsync(Path.Combine(Root, "snapshots", "b.jpg"));
        Assert.Equal([0xFF, 0xD8], fromReader[..2]);
        Assert.Equal(1, Backend.OpenSnapshotReaders);

        // The next one uses the encoder prepared after the last (same format and quality): still a whole JPEG.
        var next = await Backend.TakeSnapshotAsync(Request("c.jpg"), CancellationToken.None);
        Assert.Equal((320, 240), (next.Width, next.Height));
        Assert.True(Backend.SnapshotsFromOpenReaders >= 2);

        // No snapshot for longer than SnapshotReaderIdle: the reader closes.
        Assert.True(await WaitForAsync(() => Task.FromResult(Backend.OpenSnapshotReaders == 0)), "the idle reader was not closed");
    }

    [Fact]
    public async Task Unpublish_ClosesTheReader()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.TakeSnapshotAsync(Request("a.jpg"), CancellationToken.None);
        Assert.Equal(1, Backend.OpenSnapshotReaders);

        await Backend.UnpublishAsync("camera0", CancellationToken.None);

        Assert.Equal(0, Backend.OpenSnapshotReaders);
    }

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 60; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }
}

/// <summary>SnapshotReaderIdle = 0: every snapshot opens a new connection, no reader is kept.</summary>
public sealed class LiveSnapshotOffTests : BackendTestBase
{
    protected override void Configure()
    {
        EmulatorOptions.RtspServer = true;
        Settings["Plugins:MediaMtx:SnapshotReaderIdle"] = "00:00:00";
    }

    [Fact]
    public async Task NoReaderIsKept()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        for (var i = 0; i < 2; i++)
        {
            await Backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = "camera0", OutputPath = Path.Combine(Root, $"s{i}.jpg"), Format = "jpg", Quality = 85, Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
        }

        Assert.Equal(0, Backend.OpenSnapshotReaders);
        Assert.Equal(0, Backend.SnapshotsFromOpenReaders);
    }
}

/// <summary>The setting's bounds.</summary>
public sealed class SnapshotReaderIdleOptionTests
{
    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(3600, true)]
    [InlineData(3601, false)]
    public void Validate_NamesTheKeyOutsideZeroToOneHour(int seconds, bool valid)
    {
        var result = new MediaMtxOptionsValidator().Validate(null, new MediaMtxOptions { SnapshotReaderIdle = TimeSpan.FromSeconds(seconds) });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Plugins:MediaMtx:SnapshotReaderIdle", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}

/// <summary>The prepared encoder's bound on decoded pictures.</summary>
public sealed class PreparedSnapshotEncoderTests
{
    [Theory]
    [InlineData(30, 640, 480, true)]
    [InlineData(60, 1920, 1080, false)]
    [InlineData(1, 0, 0, false)]
    public void Fits_OnlyGopsWhosePicturesFitTheBound(int pictures, int width, int height, bool fits) =>
        Assert.Equal(fits, PreparedSnapshotEncoder.Fits(pictures, width, height));
}

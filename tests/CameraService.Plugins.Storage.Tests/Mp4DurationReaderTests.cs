using System.Buffers.Binary;
using System.Text;
using CameraService.Abstractions.Media;

namespace CameraService.Plugins.Storage.Tests;

public sealed class Mp4DurationReaderTests(Mp4Files files) : IClassFixture<Mp4Files>
{
    [Fact]
    public void TryRead_FfmpegMp4_ReadsMvhdDuration()
    {
        var duration = Mp4DurationReader.TryRead(files.Mp4);

        Assert.NotNull(duration);
        Assert.InRange(duration.Value.TotalSeconds, 2.9, 3.1);
    }

    [Fact]
    public void TryRead_FfmpegFragmentedMp4_SumsFragments()
    {
        // empty_moov leaves mvhd at 0 and writes no mehd: only the fragments tell the duration.
        var duration = Mp4DurationReader.TryRead(files.Fmp4);

        Assert.NotNull(duration);
        Assert.InRange(duration.Value.TotalSeconds, 2.9, 3.1);
    }

    [Fact]
    public void TryRead_FragmentedMp4CutMidFragment_CountsCompleteFragmentsOnly()
    {
        // A file still being written: the last fragment is incomplete.
        var bytes = File.ReadAllBytes(files.Fmp4);
        var lastMoof = LastIndexOf(bytes, "moof"u8) - 4;
        using var stream = new MemoryStream(bytes, 0, lastMoof + 20);

        var duration = Mp4DurationReader.TryRead(stream);

        Assert.NotNull(duration);
        Assert.InRange(duration.Value.TotalSeconds, 0.9, 2.1);
    }

    [Fact]
    public void TryRead_MehdPresent_UsesMovieTimescale()
    {
        var file = Concat(
            Box.Ftyp(),
            Box.Make("moov", Box.Mvhd(1000, 0), Box.Trak(1, 90000), Box.Make("mvex", Box.Mehd(4500), Box.Trex(1, 3000))));

        Assert.Equal(TimeSpan.FromSeconds(4.5), Mp4DurationReader.TryRead(new MemoryStream(file)));
    }

    [Fact]
    public void TryRead_Mvhd64_ReadsVersion1()
    {
        var file = Concat(Box.Ftyp(), Box.Make("moov", Box.Mvhd64(90000, 90000UL * 7200), Box.Trak(1, 90000)));

        Assert.Equal(TimeSpan.FromHours(2), Mp4DurationReader.TryRead(new MemoryStream(file)));
    }

    [Fact]
    public void TryRead_TrunPerSampleDurationsWithTfdt_SpansFirstToLastFragment()
    {
        // Track timescale 90 kHz; two fragments starting at 1 s and 2 s, 30 samples of 3000 ticks each (1 s).
        var perSample = Enumerable.Repeat(3000u, 30).ToArray();
        var file = Concat(
            Box.Ftyp(),
            Box.Make("moov", Box.Mvhd(1000, 0), Box.Trak(1, 90000), Box.Make("mvex", Box.Trex(1, 0))),
            Box.Fragment(1, 90000, null, perSample, 0),
            Box.Fragment(1, 180000, null, perSample, 0));

        Assert.Equal(TimeSpan.FromSeconds(2), Mp4DurationReader.TryRead(new MemoryStream(file)));
    }

    [Fact]
    public void TryRead_NoTfdtAndTrexDefault_AddsFragmentsBackToBack()
    {
        var file = Concat(
            Box.Ftyp(),
            Box.Make("moov", Box.Mvhd(1000, 0), Box.Trak(1, 1000), Box.Make("mvex", Box.Trex(1, 40))),
            Box.Fragment(1, null, null, null, 25),
            Box.Fragment(1, null, null, null, 25),
            Box.Fragment(1, null, 20, null, 50));

        Assert.Equal(TimeSpan.FromSeconds(3), Mp4DurationReader.TryRead(new MemoryStream(file)));
    }

    [Fact]
    public void TryRead_LargeSizeMdatBeforeMoov_SeeksOverIt()
    {
        // mdat with a 64-bit size, then moov at the end (a non-faststart MP4).
        var mdatPayload = new byte[100];
        var mdat = new byte[16 + mdatPayload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(mdat, 1);
        Encoding.ASCII.GetBytes("mdat").CopyTo(mdat, 4);
        BinaryPrimitives.WriteUInt64BigEndian(mdat.AsSpan(8), (ulong)mdat.Length);
        var file = Concat(Box.Ftyp(), mdat, Box.Make("moov", Box.Mvhd(600, 1800), Box.Trak(1, 600)));

        Assert.Equal(TimeSpan.FromSeconds(3), Mp4DurationReader.TryRead(new MemoryStream(file)));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 16, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1 })]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0, 0, 0, 8, (byte)'f', (byte)'t', (byte)'y' })]
    public void TryRead_NotAnMp4_ReturnsNull(byte[] bytes)
    {
        Assert.Null(Mp4DurationReader.TryRead(new MemoryStream(bytes)));
    }

    [Fact]
    public void TryRead_MissingFile_ReturnsNull()
    {
        Assert.Null(Mp4DurationReader.TryRead(Path.Combine(files.Directory.FullName, "absent.mp4")));
    }

    [Fact]
    public async Task ListAsync_RealRecordings_CarryDurationFromFile()
    {
        await using var h = new StoreHarness();
        File.Copy(files.Fmp4, h.WriteFile(h.Recordings, "camera0", "camera0_2026-11-27_10-15-00-000000.mp4", TimeSpan.Zero), overwrite: true);
        File.Copy(files.Mp4, h.WriteFile(h.Recordings, "camera1", "camera1_2026-11-27_10-16-00-000000.mp4", TimeSpan.Zero), overwrite: true);
        File.SetLastWriteTimeUtc(Path.Combine(h.Recordings, "camera0", "camera0_2026-11-27_10-15-00-000000.mp4"), h.Time.GetUtcNow().AddHours(-2).UtcDateTime);
        File.SetLastWriteTimeUtc(Path.Combine(h.Recordings, "camera1", "camera1_2026-11-27_10-16-00-000000.mp4"), h.Time.GetUtcNow().AddHours(-1).UtcDateTime);
        await h.Store.StartAsync(CancellationToken.None);

        var page = await h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 10 }, CancellationToken.None);

        Assert.Equal(2, page.Files.Count);
        Assert.All(page.Files, f => Assert.InRange(f.Duration!.Value.TotalSeconds, 2.9, 3.1));
        Assert.Equal(new FileInfo(files.Mp4).Length, page.Files[0].Size);
    }

    [Fact]
    public void MkvTryRead_FfmpegMatroska_ReadsSegmentInfoDuration()
    {
        var duration = MkvDurationReader.TryRead(files.Mkv);

        Assert.NotNull(duration);
        Assert.InRange(duration.Value.TotalSeconds, 2.9, 3.1);
    }

    [Fact]
    public void MkvTryRead_CutOffOrForeignFile_ReturnsNull()
    {
        // A segment cut off before its Info carries no duration; an MP4 is no Matroska file at all.
        var bytes = File.ReadAllBytes(files.Mkv);
        Assert.Null(MkvDurationReader.TryRead(new MemoryStream(bytes, 0, 40)));
        Assert.Null(MkvDurationReader.TryRead(files.Mp4));
        Assert.Null(MkvDurationReader.TryRead(new MemoryStream([0x1A, 0x45, 0xDF])));
    }

    [Fact]
    public async Task ListAsync_MkvRecording_ListedWithDurationAndMatroskaContentType()
    {
        await using var h = new StoreHarness();
        File.Copy(files.Mkv, h.WriteFile(h.Recordings, "camera0", "camera0_2026-11-27_10-15-00-000000.mkv", TimeSpan.Zero), overwrite: true);
        await h.Store.StartAsync(CancellationToken.None);

        var page = await h.Store.ListAsync(MediaKind.Recording, new MediaQuery { Offset = 0, Limit = 10 }, CancellationToken.None);

        var file = Assert.Single(page.Files);
        Assert.Equal("camera0_2026-11-27_10-15-00-000000.mkv", file.FileName);
        Assert.Equal("video/x-matroska", file.ContentType);
        Assert.InRange(file.Duration!.Value.TotalSeconds, 2.9, 3.1);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero), file.Created);
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static int LastIndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().LastIndexOf(needle);
}

using System.Diagnostics;
using System.Globalization;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary><see cref="Fmp4Boxes"/>: which files hold media.</summary>
public sealed class Fmp4BoxesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fmp4-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task FragmentedMp4WithFrames_HasMedia_ItsInitAlone_HasNone()
    {
        var file = Path.Combine(_dir, "a.mp4");
        var psi = new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-frames:v", "10", "-c:v", "libx264", "-g", "5",
            "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", file]) { RedirectStandardError = true };
        using (var p = Process.Start(psi)!)
        {
            var err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, err);
        }

        Assert.True(Fmp4Boxes.HasMedia(file));

        // The init alone: ftyp + moov, cut before the first moof (what a MediaMTX killed in a segment's first part leaves).
        var bytes = await File.ReadAllBytesAsync(file);
        var moof = IndexOf(bytes, "moof"u8.ToArray()) - 4;
        var init = Path.Combine(_dir, "init.mp4");
        await File.WriteAllBytesAsync(init, bytes[..moof]);
        Assert.False(Fmp4Boxes.HasMedia(init));

        // Cut inside the first fragment's mdat (a kill while it was written): no whole media box, nothing plays.
        var mdat = IndexOf(bytes, "mdat"u8.ToArray());
        var cut = Path.Combine(_dir, "cut.mp4");
        await File.WriteAllBytesAsync(cut, bytes[..(mdat + 100)]);
        Assert.False(Fmp4Boxes.HasMedia(cut));
    }

    [Fact]
    public async Task NotMp4_OrEmpty_OrMissing_IsNotJudged()
    {
        var text = Path.Combine(_dir, "x.mp4");
        await File.WriteAllTextAsync(text, "not an mp4 file at all");
        var empty = Path.Combine(_dir, "e.mp4");
        await File.WriteAllBytesAsync(empty, []);

        Assert.True(Fmp4Boxes.HasMedia(text));
        Assert.True(Fmp4Boxes.HasMedia(empty));
        Assert.True(Fmp4Boxes.HasMedia(Path.Combine(_dir, "missing.mp4")));
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>A segment MediaMTX left without media is neither listed nor kept.</summary>
public sealed class EmptySegmentTests : BackendTestBase
{
    [Fact]
    public async Task Stop_ASegmentWithTheInitOnly_IsNotListedAndRemoved()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var dir = Path.Combine(Recordings, "camera0");
        await Backend.StartRecordingAsync(new RecordingRequest { CameraId = "camera0", SessionId = "s1", Format = "fmp4", OutputDirectory = dir, StartTime = DateTimeOffset.UtcNow }, CancellationToken.None);
        Emu.Advance(TimeSpan.FromSeconds(5));

        // What a MediaMTX killed within a segment's first part leaves: ftyp + moov, no fragment.
        var start = DateTimeOffset.Now.AddSeconds(1);
        var initOnly = Path.Combine(dir, "camera0_" + start.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture) + "-000000.mp4");
        await File.WriteAllBytesAsync(initOnly, [.. Box("ftyp", 16), .. Box("moov", 64)]);

        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.NotEmpty(stopped.Files);
        Assert.DoesNotContain(stopped.Files, f => f.Path == initOnly);
        Assert.False(File.Exists(initOnly));
    }

    private static byte[] Box(string type, int size)
    {
        var box = new byte[size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(box, (uint)size);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        return box;
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace CameraService.Plugins.Storage.Tests;

/// <summary>Real MP4, fragmented MP4 and Matroska files of 3 s made once with ffmpeg (test.sh installs it).</summary>
public sealed class Mp4Files : IDisposable
{
    public Mp4Files()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("storage-mp4-");
        Mp4 = Path.Combine(Directory.FullName, "plain.mp4");
        Fmp4 = Path.Combine(Directory.FullName, "fragmented.mp4");
        RunFfmpeg("-t 3 -c:v libx264 -preset ultrafast", Mp4);
        RunFfmpeg("-t 3 -c:v libx264 -preset ultrafast -g 15 -movflags +frag_keyframe+empty_moov+default_base_moof", Fmp4);
        Mkv = Path.Combine(Directory.FullName, "matroska.mkv");
        RunFfmpeg("-t 3 -c:v libx264 -preset ultrafast -g 15", Mkv);
    }

    public DirectoryInfo Directory { get; }

    public string Mp4 { get; }

    public string Fmp4 { get; }

    public string Mkv { get; }

    public void Dispose() => Directory.Delete(recursive: true);

    private static void RunFfmpeg(string encode, string output)
    {
        var start = new ProcessStartInfo("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=15 {encode} {output}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("ffmpeg is needed for the MP4 tests: apt-get install -y ffmpeg (test.sh does it)", ex);
        }

        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill();
                throw new InvalidOperationException("ffmpeg did not finish within 60 s");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"ffmpeg failed: {errors.GetAwaiter().GetResult()}");
            }
        }
    }
}

/// <summary>Builds MP4 boxes by hand for the cases ffmpeg does not write (mehd, per-sample trun durations, no tfdt).</summary>
internal static class Box
{
    public static byte[] Make(string type, params byte[][] children)
    {
        var payload = children.SelectMany(c => c).ToArray();
        var box = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        payload.CopyTo(box, 8);
        return box;
    }

    public static byte[] Full(string type, byte version, uint flags, params byte[][] fields)
    {
        var head = new byte[] { version, (byte)(flags >> 16), (byte)(flags >> 8), (byte)flags };
        return Make(type, [head, .. fields]);
    }

    public static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    public static byte[] U64(ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        return b;
    }

    public static byte[] Zeros(int count) => new byte[count];

    public static byte[] Ftyp() => Make("ftyp", Encoding.ASCII.GetBytes("isom"), U32(512), Encoding.ASCII.GetBytes("isomiso6"));

    /// <summary>mvhd version 0: creation, modification, timescale, duration, then the rest zeroed.</summary>
    public static byte[] Mvhd(uint timescale, uint duration) => Full("mvhd", 0, 0, U32(0), U32(0), U32(timescale), U32(duration), Zeros(80));

    /// <summary>mvhd version 1 (64-bit times and duration).</summary>
    public static byte[] Mvhd64(uint timescale, ulong duration) => Full("mvhd", 1, 0, U64(0), U64(0), U32(timescale), U64(duration), Zeros(80));

    public static byte[] Trak(uint trackId, uint timescale) => Make(
        "trak",
        Full("tkhd", 0, 3, U32(0), U32(0), U32(trackId), U32(0), U32(0), Zeros(60)),
        Make("mdia", Full("mdhd", 0, 0, U32(0), U32(0), U32(timescale), U32(0), Zeros(4))));

    public static byte[] Trex(uint trackId, uint defaultDuration) => Full("trex", 0, 0, U32(trackId), U32(1), U32(defaultDuration), U32(0), U32(0));

    public static byte[] Mehd(uint duration) => Full("mehd", 0, 0, U32(duration));

    /// <summary>A fragment: tfhd (optionally with a default duration), tfdt (optional), trun (per-sample durations or none), then mdat.</summary>
    public static byte[] Fragment(uint trackId, ulong? decodeTime, uint? tfhdDefaultDuration, uint[]? sampleDurations, int sampleCount)
    {
        var tfhd = tfhdDefaultDuration is { } d
            ? Full("tfhd", 0, 0x020008, U32(trackId), U32(d))
            : Full("tfhd", 0, 0x020000, U32(trackId));
        var children = new List<byte[]> { tfhd };
        if (decodeTime is { } t)
        {
            children.Add(Full("tfdt", 1, 0, U64(t)));
        }

        if (sampleDurations is not null)
        {
            // data-offset + sample-duration + sample-size per sample.
            var fields = new List<byte[]> { U32((uint)sampleDurations.Length), U32(0) };
            foreach (var duration in sampleDurations)
            {
                fields.Add(U32(duration));
                fields.Add(U32(10));
            }

            children.Add(Full("trun", 0, 0x000301, [.. fields]));
        }
        else
        {
            children.Add(Full("trun", 0, 0x000001, U32((uint)sampleCount), U32(0)));
        }

        return [.. Make("moof", Full("mfhd", 0, 0, U32(1)), Make("traf", [.. children])), .. Make("mdat", Zeros(10))];
    }
}

using System.Buffers.Binary;
using System.Text;

namespace MediaMtxEmulator;

// Hand-written rather than a package: the emulator needs only the top-level boxes of ffmpeg's fragmented MP4 stream
// and five leaf boxes (tkhd, mdhd, hdlr, trex, tfhd/tfdt/trun), and must rewrite tfdt in place; no served NuGet
// package reads an fMP4 *stream* box by box and writes it back byte-exact (ISO/IEC 14496-12 §8.8).

/// <summary>One box: its four-character type and all its bytes (header included).</summary>
internal sealed record Mp4Box(string Type, byte[] Bytes);

/// <summary>Reads whole top-level boxes from a stream (ffmpeg's stdout); a box cut off by the end of the stream is dropped.</summary>
internal sealed class Mp4BoxReader(Stream stream)
{
    private const long MaxBox = 256L << 20;

    /// <summary>The next whole box, or null at the end of the stream (or in front of a box that cannot be whole).</summary>
    public Mp4Box? Next()
    {
        var header = new byte[16];
        if (!Fill(header, 0, 8))
        {
            return null;
        }

        long size = BinaryPrimitives.ReadUInt32BigEndian(header);
        var headerLength = 8;
        if (size == 1)
        {
            if (!Fill(header, 8, 8))
            {
                return null;
            }

            size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
            headerLength = 16;
        }

        // size 0 ("to the end of the file") never occurs in a fragmented stream; like a broken size, it ends the read.
        if (size < headerLength || size > MaxBox)
        {
            return null;
        }

        var bytes = new byte[size];
        header.AsSpan(0, headerLength).CopyTo(bytes);
        return Fill(bytes, headerLength, (int)size - headerLength) ? new Mp4Box(Encoding.ASCII.GetString(header, 4, 4), bytes) : null;
    }

    private bool Fill(byte[] buffer, int offset, int count)
    {
        try
        {
            stream.ReadExactly(buffer, offset, count);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false; // the pipe broke: the writer is gone
        }
    }
}

/// <summary>A track of the init segment: its timescale, whether it is video, and its trex defaults.</summary>
internal sealed record Mp4Track(uint Id, uint Timescale, bool IsVideo, uint DefaultDuration, uint DefaultFlags);

/// <summary>The init segment (ftyp + moov) and the tracks it declares.</summary>
internal sealed class Mp4Init
{
    private Mp4Init(byte[] bytes, Dictionary<uint, Mp4Track> tracks)
    {
        Bytes = bytes;
        Tracks = tracks;
    }

    public byte[] Bytes { get; }

    public IReadOnlyDictionary<uint, Mp4Track> Tracks { get; }

    public static Mp4Init Parse(byte[] ftyp, byte[] moov)
    {
        var tracks = new Dictionary<uint, Mp4Track>();
        var trex = new Dictionary<uint, (uint Duration, uint Flags)>();
        foreach (var (type, body) in Mp4Parse.Children(moov, 8))
        {
            if (type == "trak")
            {
                uint id = 0, timescale = 0;
                var video = false;
                foreach (var (t, b) in Mp4Parse.Descendants(moov.AsMemory(body), ["mdia"]))
                {
                    var v = b.Span;
                    switch (t)
                    {
                        case "tkhd":
                            id = BinaryPrimitives.ReadUInt32BigEndian(v[(v[0] == 1 ? 20 : 12)..]);
                            break;
                        case "mdhd":
                            timescale = BinaryPrimitives.ReadUInt32BigEndian(v[(v[0] == 1 ? 20 : 12)..]);
                            break;
                        case "hdlr":
                            video = Encoding.ASCII.GetString(v.Slice(8, 4)) == "vide";
                            break;
                    }
                }

                tracks[id] = new Mp4Track(id, timescale == 0 ? 1 : timescale, video, 0, 0);
            }
            else if (type == "mvex")
            {
                foreach (var (t, b) in Mp4Parse.Descendants(moov.AsMemory(body), []))
                {
                    var v = b.Span;
                    if (t == "trex")
                    {
                        trex[BinaryPrimitives.ReadUInt32BigEndian(v[4..])] = (BinaryPrimitives.ReadUInt32BigEndian(v[12..]), BinaryPrimitives.ReadUInt32BigEndian(v[20..]));
                    }
                }
            }
        }

        foreach (var (id, d) in trex)
        {
            if (tracks.TryGetValue(id, out var track))
            {
                tracks[id] = track with { DefaultDuration = d.Duration, DefaultFlags = d.Flags };
            }
        }

        return new Mp4Init([.. ftyp, .. moov], tracks);
    }
}

/// <summary>
/// One fragment (moof + mdat) and, per track, where its tfdt is, its base media decode time and its duration; the
/// fragment's start and duration in seconds are the video track's (the first track's without video).
/// </summary>
internal sealed class Mp4Fragment
{
    private readonly byte[] _moof;
    private readonly byte[] _mdat;
    private readonly List<(Mp4Track Track, int TfdtAt, ulong Base)> _tfdts = [];

    private Mp4Fragment(byte[] moof, byte[] mdat)
    {
        _moof = moof;
        _mdat = mdat;
    }

    /// <summary>Where the fragment starts on its own timeline (seconds).</summary>
    public double Start { get; private set; }

    public double Duration { get; private set; }

    /// <summary>The fragment starts with a video sync sample (a segment may be cut in front of it).</summary>
    public bool StartsWithKeyframe { get; private set; }

    /// <summary>Where each track starts (seconds), for the rebasing offset of a segment's first fragment.</summary>
    public double EarliestTrackStart => _tfdts.Count == 0 ? Start : _tfdts.Min(t => (double)t.Base / t.Track.Timescale);

    public static Mp4Fragment Parse(Mp4Init init, byte[] moof, byte[] mdat)
    {
        var f = new Mp4Fragment(moof, mdat);
        var main = init.Tracks.Values.FirstOrDefault(t => t.IsVideo) ?? init.Tracks.Values.FirstOrDefault();
        foreach (var (type, traf) in Mp4Parse.Children(moof, 8))
        {
            if (type != "traf")
            {
                continue;
            }

            Mp4Track? track = null;
            uint defaultDuration = 0, defaultFlags = 0, firstFlags = 0;
            var tfdtAt = -1;
            ulong baseTime = 0, duration = 0;
            var sawTrun = false;
            foreach (var (t, r) in Mp4Parse.Children(moof, traf.Start.Value, traf.End.Value))
            {
                var v = moof.AsSpan(r);
                var flags = BinaryPrimitives.ReadUInt32BigEndian(v) & 0xFFFFFF;
                if (t == "tfhd" && init.Tracks.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(v[4..]), out track))
                {
                    defaultDuration = track.DefaultDuration;
                    defaultFlags = track.DefaultFlags;
                    var at = 8 + ((flags & 0x01) != 0 ? 8 : 0) + ((flags & 0x02) != 0 ? 4 : 0);
                    if ((flags & 0x08) != 0)
                    {
                        defaultDuration = BinaryPrimitives.ReadUInt32BigEndian(v[at..]);
                        at += 4;
                    }

                    at += (flags & 0x10) != 0 ? 4 : 0;
                    defaultFlags = (flags & 0x20) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(v[at..]) : defaultFlags;
                }
                else if (t == "tfdt")
                {
                    tfdtAt = r.Start.Value;
                    baseTime = v[0] == 1 ? BinaryPrimitives.ReadUInt64BigEndian(v[4..]) : BinaryPrimitives.ReadUInt32BigEndian(v[4..]);
                }
                else if (t == "trun")
                {
                    var count = BinaryPrimitives.ReadUInt32BigEndian(v[4..]);
                    var at = 8 + ((flags & 0x01) != 0 ? 4 : 0);
                    var first = (flags & 0x04) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(v[at..]) : (uint?)null;
                    at += first is null ? 0 : 4;
                    var perSample = 4 * (((flags & 0x100) != 0 ? 1 : 0) + ((flags & 0x200) != 0 ? 1 : 0) + ((flags & 0x400) != 0 ? 1 : 0) + ((flags & 0x800) != 0 ? 1 : 0));
                    for (var i = 0; i < count && at + perSample <= v.Length; i++, at += perSample)
                    {
                        duration += (flags & 0x100) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(v[at..]) : defaultDuration;
                        if (i == 0 && !sawTrun)
                        {
                            var sampleFlagsAt = at + ((flags & 0x100) != 0 ? 4 : 0) + ((flags & 0x200) != 0 ? 4 : 0);
                            firstFlags = first ?? ((flags & 0x400) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(v[sampleFlagsAt..]) : defaultFlags);
                        }
                    }

                    sawTrun |= count > 0;
                }
            }

            if (track is null || tfdtAt < 0)
            {
                continue;
            }

            f._tfdts.Add((track, tfdtAt, baseTime));
            if (track == main)
            {
                f.Start = (double)baseTime / track.Timescale;
                f.Duration = (double)duration / track.Timescale;
                // sample_is_non_sync_sample is bit 16 of the sample flags.
                f.StartsWithKeyframe = sawTrun && (firstFlags & 0x10000) == 0;
            }
        }

        return f;
    }

    /// <summary>
    /// Writes the fragment with every track's tfdt moved back by <paramref name="offsetSeconds"/> (never below 0), so a
    /// segment's timestamps start near 0 as MediaMTX's do (its part BaseTime is dts − the segment's start dts).
    /// </summary>
    public void WriteRebased(Stream to, double offsetSeconds)
    {
        var moof = (byte[])_moof.Clone();
        foreach (var (track, at, baseTime) in _tfdts)
        {
            var shift = (ulong)Math.Round(offsetSeconds * track.Timescale);
            var rebased = baseTime > shift ? baseTime - shift : 0;
            if (moof[at] == 1)
            {
                BinaryPrimitives.WriteUInt64BigEndian(moof.AsSpan(at + 4), rebased);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(moof.AsSpan(at + 4), (uint)rebased);
            }
        }

        to.Write(moof);
        to.Write(_mdat);
    }
}

/// <summary>Walks child boxes inside a box's bytes.</summary>
internal static class Mp4Parse
{
    /// <summary>The children of the box whose bytes are <paramref name="box"/> (its header is <paramref name="headerLength"/> long): type and body range.</summary>
    public static IEnumerable<(string Type, Range Body)> Children(byte[] box, int headerLength) => Children(box, headerLength, box.Length);

    public static IEnumerable<(string Type, Range Body)> Children(byte[] buffer, int from, int to)
    {
        var at = from;
        while (at + 8 <= to)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(at));
            if (size < 8 || at + size > to)
            {
                yield break;
            }

            yield return (Encoding.ASCII.GetString(buffer, at + 4, 4), new Range(at + 8, at + size));
            at += size;
        }
    }

    /// <summary>The leaf boxes of a container body, descending into the named containers.</summary>
    public static IEnumerable<(string Type, ReadOnlyMemory<byte> Body)> Descendants(ReadOnlyMemory<byte> body, string[] containers)
    {
        var array = body.ToArray();
        foreach (var (type, range) in Children(array, 0, array.Length))
        {
            if (containers.Contains(type))
            {
                foreach (var inner in Descendants(array.AsMemory(range), containers))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return (type, array.AsMemory(range));
            }
        }
    }
}

using System.Buffers.Binary;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Reads the duration of an MP4 or fragmented MP4 from its boxes (ISO/IEC 14496-12), seeking over media data,
/// so a multi-gigabyte file costs a few small reads and no process spawn.
/// </summary>
/// <remarks>
/// Written by hand because no served NuGet package reads MP4 box structure without decoding (or spawning
/// ffprobe). Order of trust: a non-zero <c>mvhd</c> duration (plain MP4, or an fMP4 finalized by its writer),
/// then <c>mvex/mehd</c>, then the fragments themselves: for each track, from the earliest <c>tfdt</c> to the
/// latest <c>tfdt</c> plus that fragment's sample durations (<c>trun</c> per-sample values, else the
/// <c>tfhd</c> default, else the <c>trex</c> default), in the track's <c>mdhd</c> timescale; the longest track
/// wins. Fragments without <c>tfdt</c> are summed back to back. A file still being written is read up to its
/// last complete fragment.
/// </remarks>
internal static class Mp4DurationReader
{
    private const int MaxBoxPayloadRead = 1 << 20;

    /// <summary>The duration, or null when the file is not an MP4 or carries no usable timing.</summary>
    public static TimeSpan? TryRead(string path)
    {
        try
        {
            using var stream = OpenWhileWritten(path, bufferSize: 0);
            return TryRead(stream);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Opens a recording for reading while a backend may still write, rename or delete it.</summary>
    internal static FileStream OpenWhileWritten(string path, int bufferSize) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.ReadWrite | FileShare.Delete,
        BufferSize = bufferSize,
    });

    /// <summary>The duration of the MP4 in <paramref name="stream"/> (seekable), or null.</summary>
    public static TimeSpan? TryRead(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var state = new ParseState();
        var length = stream.Length;
        long position = 0;
        Span<byte> header = stackalloc byte[16];
        var sawFtypOrMoov = false;

        while (position + 8 <= length)
        {
            if (!TryReadHeader(stream, position, length, header, out var type, out var headerSize, out var boxSize))
            {
                break;
            }

            if (!sawFtypOrMoov && type is not ("ftyp" or "moov" or "styp" or "free" or "skip" or "wide" or "mdat" or "moof" or "sidx"))
            {
                return null;
            }

            if (position + boxSize > length && type is "moov" or "moof")
            {
                // Truncated container box of a file still being written: nothing reliable past this point.
                break;
            }

            switch (type)
            {
                case "ftyp" or "styp":
                    sawFtypOrMoov = true;
                    break;
                case "moov":
                    sawFtypOrMoov = true;
                    if (!ParseMoov(ReadPayload(stream, position + headerSize, boxSize - headerSize), state))
                    {
                        return null;
                    }

                    break;
                case "moof":
                    ParseMoof(ReadPayload(stream, position + headerSize, boxSize - headerSize), state);
                    break;
            }

            position += boxSize;
        }

        return state.Result();
    }

    private static bool TryReadHeader(Stream stream, long position, long length, Span<byte> header, out string type, out long headerSize, out long boxSize)
    {
        type = string.Empty;
        headerSize = 8;
        boxSize = 0;
        stream.Position = position;
        if (stream.ReadAtLeast(header[..8], 8, throwOnEndOfStream: false) < 8)
        {
            return false;
        }

        var size32 = BinaryPrimitives.ReadUInt32BigEndian(header);
        type = System.Text.Encoding.Latin1.GetString(header.Slice(4, 4));
        if (size32 == 1)
        {
            if (stream.ReadAtLeast(header.Slice(8, 8), 8, throwOnEndOfStream: false) < 8)
            {
                return false;
            }

            headerSize = 16;
            var size64 = BinaryPrimitives.ReadUInt64BigEndian(header.Slice(8, 8));
            if (size64 > long.MaxValue)
            {
                return false;
            }

            boxSize = (long)size64;
        }
        else if (size32 == 0)
        {
            boxSize = length - position;
        }
        else
        {
            boxSize = size32;
        }

        return boxSize >= headerSize;
    }

    private static byte[] ReadPayload(Stream stream, long offset, long size)
    {
        if (size > MaxBoxPayloadRead)
        {
            // moov of a very long plain MP4 can be megabytes (sample tables); the boxes we need come first in
            // their parents, so the head of the payload is enough.
            size = MaxBoxPayloadRead;
        }

        var buffer = new byte[size];
        stream.Position = offset;
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return read == buffer.Length ? buffer : buffer[..read];
    }

    private static bool ParseMoov(ReadOnlySpan<byte> moov, ParseState state)
    {
        foreach (var box in Children(moov))
        {
            var payload = moov.Slice(box.Start, box.Length);
            switch (box.Type)
            {
                case "mvhd":
                    if (!ReadTimescaleAndDuration(payload, out var timescale, out var duration))
                    {
                        return false;
                    }

                    state.MovieTimescale = timescale;
                    state.MovieDuration = duration;
                    break;
                case "trak":
                    ParseTrak(payload, state);
                    break;
                case "mvex":
                    ParseMvex(payload, state);
                    break;
            }
        }

        return state.MovieTimescale > 0;
    }

    private static void ParseTrak(ReadOnlySpan<byte> trak, ParseState state)
    {
        uint trackId = 0;
        uint timescale = 0;
        ulong duration = 0;
        foreach (var box in Children(trak))
        {
            var payload = trak.Slice(box.Start, box.Length);
            if (box.Type == "tkhd" && payload.Length >= 24)
            {
                trackId = BinaryPrimitives.ReadUInt32BigEndian(payload[(payload[0] == 1 ? 20 : 12)..]);
            }
            else if (box.Type == "mdia")
            {
                foreach (var child in Children(payload))
                {
                    if (child.Type == "mdhd")
                    {
                        ReadTimescaleAndDuration(payload.Slice(child.Start, child.Length), out timescale, out duration);
                    }
                }
            }
        }

        if (trackId != 0 && timescale != 0)
        {
            state.Track(trackId).Timescale = timescale;
            state.Track(trackId).MediaDuration = duration;
        }
    }

    private static void ParseMvex(ReadOnlySpan<byte> mvex, ParseState state)
    {
        foreach (var box in Children(mvex))
        {
            var payload = mvex.Slice(box.Start, box.Length);
            var type = box.Type;
            if (type == "mehd" && payload.Length >= 8)
            {
                state.FragmentDuration = payload[0] == 1 && payload.Length >= 12
                    ? BinaryPrimitives.ReadUInt64BigEndian(payload[4..])
                    : BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
            }
            else if (type == "trex" && payload.Length >= 24)
            {
                var trackId = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
                state.Track(trackId).TrexDefaultDuration = BinaryPrimitives.ReadUInt32BigEndian(payload[12..]);
            }
        }
    }

    private static void ParseMoof(ReadOnlySpan<byte> moof, ParseState state)
    {
        foreach (var trafBox in Children(moof))
        {
            if (trafBox.Type != "traf")
            {
                continue;
            }

            var traf = moof.Slice(trafBox.Start, trafBox.Length);
            TrackState? track = null;
            uint defaultDuration = 0;
            ulong? baseTime = null;
            ulong fragmentTicks = 0;
            foreach (var child in Children(traf))
            {
                var payload = traf.Slice(child.Start, child.Length);
                switch (child.Type)
                {
                    case "tfhd" when payload.Length >= 8:
                        {
                            var flags = ReadFlags(payload);
                            track = state.Track(BinaryPrimitives.ReadUInt32BigEndian(payload[4..]));
                            defaultDuration = track.TrexDefaultDuration;
                            var offset = 8;
                            offset += (flags & 0x01) != 0 ? 8 : 0; // base-data-offset
                            offset += (flags & 0x02) != 0 ? 4 : 0; // sample-description-index
                            if ((flags & 0x08) != 0 && payload.Length >= offset + 4)
                            {
                                defaultDuration = BinaryPrimitives.ReadUInt32BigEndian(payload[offset..]);
                            }

                            break;
                        }

                    case "tfdt" when payload.Length >= 8:
                        baseTime = payload[0] == 1 && payload.Length >= 12
                            ? BinaryPrimitives.ReadUInt64BigEndian(payload[4..])
                            : BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
                        break;
                    case "trun" when payload.Length >= 8:
                        fragmentTicks += SumTrun(payload, defaultDuration);
                        break;
                }
            }

            if (track is null)
            {
                continue;
            }

            if (baseTime is { } start)
            {
                track.FirstDecodeTime = Math.Min(track.FirstDecodeTime ?? start, start);
                track.EndDecodeTime = Math.Max(track.EndDecodeTime, start + fragmentTicks);
            }
            else
            {
                // No tfdt: fragments follow each other, so they add up.
                track.FirstDecodeTime ??= 0;
                track.EndDecodeTime = Math.Max(track.EndDecodeTime, track.SequentialEnd) + fragmentTicks;
            }

            track.SequentialEnd = track.EndDecodeTime;
        }
    }

    private static ulong SumTrun(ReadOnlySpan<byte> trun, uint defaultDuration)
    {
        var flags = ReadFlags(trun);
        var count = BinaryPrimitives.ReadUInt32BigEndian(trun[4..]);
        if ((flags & 0x100) == 0)
        {
            return count * (ulong)defaultDuration;
        }

        var offset = 8;
        offset += (flags & 0x001) != 0 ? 4 : 0; // data-offset
        offset += (flags & 0x004) != 0 ? 4 : 0; // first-sample-flags
        var stride = 4; // sample duration
        stride += (flags & 0x200) != 0 ? 4 : 0; // size
        stride += (flags & 0x400) != 0 ? 4 : 0; // flags
        stride += (flags & 0x800) != 0 ? 4 : 0; // composition time offset
        ulong sum = 0;
        for (uint i = 0; i < count && offset + 4 <= trun.Length; i++, offset += stride)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(trun[offset..]);
        }

        return sum;
    }

    private static uint ReadFlags(ReadOnlySpan<byte> fullBox) => ((uint)fullBox[1] << 16) | ((uint)fullBox[2] << 8) | fullBox[3];

    /// <summary>Reads version, timescale and duration of an <c>mvhd</c> or <c>mdhd</c> payload.</summary>
    private static bool ReadTimescaleAndDuration(ReadOnlySpan<byte> payload, out uint timescale, out ulong duration)
    {
        timescale = 0;
        duration = 0;
        if (payload.Length >= 32 && payload[0] == 1)
        {
            timescale = BinaryPrimitives.ReadUInt32BigEndian(payload[20..]);
            duration = BinaryPrimitives.ReadUInt64BigEndian(payload[24..]);
        }
        else if (payload.Length >= 20 && payload[0] == 0)
        {
            timescale = BinaryPrimitives.ReadUInt32BigEndian(payload[12..]);
            duration = BinaryPrimitives.ReadUInt32BigEndian(payload[16..]);

            // All ones means "unknown" in version 0.
            duration = duration == uint.MaxValue ? 0 : duration;
        }

        return timescale != 0;
    }

    /// <summary>The child boxes of a container payload, as type and payload range.</summary>
    private static List<BoxRange> Children(ReadOnlySpan<byte> data)
    {
        var result = new List<BoxRange>();
        var position = 0;
        while (position + 8 <= data.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var type = System.Text.Encoding.Latin1.GetString(data.Slice(position + 4, 4));
            var header = 8;
            if (size == 1)
            {
                if (position + 16 > data.Length)
                {
                    break;
                }

                size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(data[(position + 8)..]), long.MaxValue);
                header = 16;
            }
            else if (size == 0)
            {
                size = data.Length - position;
            }

            if (size < header)
            {
                break;
            }

            var end = (int)Math.Min(position + size, data.Length);
            result.Add(new BoxRange(type, position + header, end - position - header));
            if (position + size > data.Length)
            {
                break;
            }

            position += (int)size;
        }

        return result;
    }

    private readonly record struct BoxRange(string Type, int Start, int Length);

    private sealed class TrackState
    {
        public uint Timescale { get; set; }

        public ulong MediaDuration { get; set; }

        public uint TrexDefaultDuration { get; set; }

        public ulong? FirstDecodeTime { get; set; }

        public ulong EndDecodeTime { get; set; }

        public ulong SequentialEnd { get; set; }
    }

    private sealed class ParseState
    {
        private readonly Dictionary<uint, TrackState> _tracks = [];

        public uint MovieTimescale { get; set; }

        public ulong MovieDuration { get; set; }

        public ulong FragmentDuration { get; set; }

        public TrackState Track(uint id)
        {
            if (!_tracks.TryGetValue(id, out var track))
            {
                track = new TrackState();
                _tracks[id] = track;
            }

            return track;
        }

        public TimeSpan? Result()
        {
            if (MovieTimescale == 0)
            {
                return null;
            }

            if (MovieDuration > 0)
            {
                return Seconds(MovieDuration, MovieTimescale);
            }

            if (FragmentDuration > 0)
            {
                return Seconds(FragmentDuration, MovieTimescale);
            }

            TimeSpan? longest = null;
            foreach (var track in _tracks.Values)
            {
                if (track.Timescale == 0)
                {
                    continue;
                }

                var ticks = track.FirstDecodeTime is { } first ? track.EndDecodeTime - first : track.MediaDuration;
                if (ticks == 0)
                {
                    continue;
                }

                var value = Seconds(ticks, track.Timescale);
                if (longest is null || value > longest)
                {
                    longest = value;
                }
            }

            return longest;
        }

        // A damaged or hostile header may claim a duration beyond TimeSpan's range (found by the property tests,
        // issue 17): zero rather than an OverflowException.
        private static TimeSpan Seconds(ulong ticks, uint timescale)
        {
            var seconds = (double)ticks / timescale;
            return double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        }
    }
}

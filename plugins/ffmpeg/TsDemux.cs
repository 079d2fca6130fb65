using System.Buffers;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// One keyframe interval (GOP) of the camera's MPEG-TS feed: whole 188-byte packets from a video keyframe up to the next
/// one (video, audio; no PAT/PMT — a segment gets those once, from <see cref="TsDemux.Header"/>).
/// </summary>
/// <param name="Time">When its keyframe arrived (the service's clock).</param>
/// <param name="Data">The packets.</param>
internal sealed record Gop(DateTimeOffset Time, ReadOnlyMemory<byte> Data)
{
    public int Length => Data.Length;
}

/// <summary>
/// Splits the camera process's MPEG-TS output into packets and keyframe intervals. Hand-written because no served
/// .NET package demuxes MPEG-TS, and only this much is needed: the PAT/PMT (which PIDs carry video and audio) and the
/// video PID's <c>random_access_indicator</c> (ffmpeg's mpegts muxer sets it on each keyframe's first packet; audio
/// packets carry it on every frame, hence the video PID only). Not thread-safe: the feed calls it from one reader.
/// </summary>
internal sealed class TsDemux
{
    public const int PacketSize = 188;
    private const byte SyncByte = 0x47;
    private const int PatPid = 0;

    private readonly byte[] _partial = new byte[PacketSize];
    private int _partialLength;
    private byte[]? _pat;
    private byte[]? _pmt;
    private int _pmtPid = -1;
    private ArrayBufferWriter<byte>? _current;
    private DateTimeOffset _currentTime;
    private long _lastRawPts = -1;
    private long _ptsWraps;

    /// <summary>The PID of the first video stream, -1 until the PMT was seen.</summary>
    public int VideoPid { get; private set; } = -1;

    /// <summary>The PID of the first audio stream, -1 when there is none (or no PMT yet).</summary>
    public int AudioPid { get; private set; } = -1;

    /// <summary>The latest PAT and PMT (two packets) that make a segment decodable; null until both were seen.</summary>
    public byte[]? Header => _pat is not null && _pmt is not null ? [.. _pat, .. _pmt] : null;

    /// <summary>When the keyframe interval in progress started; null before the first keyframe.</summary>
    public DateTimeOffset? CurrentStart => _current is null ? null : _currentTime;

    /// <summary>
    /// The presentation time of the latest video frame (its PES header's PTS, 90 kHz, unwrapped), null before the first:
    /// how far the camera's stream has come (<see cref="CameraFeed.CatchUpAsync"/>).
    /// </summary>
    public TimeSpan? LatestVideoPts { get; private set; }

    /// <summary>The PTS step between the last two video frames (one frame's duration), zero before the second.</summary>
    public TimeSpan VideoFrameInterval { get; private set; }

    /// <summary>Bytes that were not whole packets at a sync byte and were skipped.</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>Feeds bytes as they arrive; <paramref name="completed"/> gets every keyframe interval that ended.</summary>
    public void Push(ReadOnlySpan<byte> data, DateTimeOffset now, Action<Gop> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        if (_partialLength > 0)
        {
            var take = Math.Min(PacketSize - _partialLength, data.Length);
            data[..take].CopyTo(_partial.AsSpan(_partialLength));
            _partialLength += take;
            data = data[take..];
            if (_partialLength < PacketSize)
            {
                return;
            }

            _partialLength = 0;
            if (_partial[0] == SyncByte)
            {
                OnPacket(_partial, now, completed);
            }
            else
            {
                // Lost sync (cannot happen on a pipe from ffmpeg, but a skipped byte must not shift every later packet).
                SkippedBytes += PacketSize;
            }
        }

        while (data.Length > 0)
        {
            if (data[0] != SyncByte)
            {
                var next = data.IndexOf(SyncByte);
                var skip = next < 0 ? data.Length : next;
                SkippedBytes += skip;
                data = data[skip..];
                continue;
            }

            if (data.Length < PacketSize)
            {
                data.CopyTo(_partial);
                _partialLength = data.Length;
                return;
            }

            OnPacket(data[..PacketSize], now, completed);
            data = data[PacketSize..];
        }
    }

    /// <summary>A copy of the keyframe interval in progress so far (a stop keeps the last second too), or null.</summary>
    public Gop? Partial() =>
        _current is { WrittenCount: > 0 } current ? new Gop(_currentTime, current.WrittenMemory.ToArray()) : null;

    public static int Pid(ReadOnlySpan<byte> packet) => ((packet[1] & 0x1F) << 8) | packet[2];

    public static bool PayloadStart(ReadOnlySpan<byte> packet) => (packet[1] & 0x40) != 0;

    /// <summary>The adaptation field's random_access_indicator (a keyframe starts in this packet).</summary>
    public static bool RandomAccess(ReadOnlySpan<byte> packet) =>
        (packet[3] & 0x20) != 0 && packet[4] > 0 && (packet[5] & 0x40) != 0;

    private static int PayloadOffset(ReadOnlySpan<byte> packet) =>
        (packet[3] & 0x20) != 0 ? 5 + packet[4] : 4;

    private void OnPacket(ReadOnlySpan<byte> packet, DateTimeOffset now, Action<Gop> completed)
    {
        var pid = Pid(packet);
        if (pid == PatPid)
        {
            _pat = packet.ToArray();
            ParsePat(packet);
            return;
        }

        if (pid == _pmtPid)
        {
            _pmt = packet.ToArray();
            ParsePmt(packet);
            return;
        }

        if (pid == VideoPid && PayloadStart(packet))
        {
            NotePts(packet);
        }

        if (pid == VideoPid && PayloadStart(packet) && RandomAccess(packet))
        {
            if (_current is { WrittenCount: > 0 } done)
            {
                completed(new Gop(_currentTime, done.WrittenMemory.ToArray()));
            }

            _current = new ArrayBufferWriter<byte>(Math.Max(PacketSize * 64, _current?.WrittenCount ?? 0));
            _currentTime = now;
        }

        // Before the first keyframe nothing is decodable: dropped. Other tables (SDT) ride along, harmless.
        _current?.Write(packet);
    }

    /// <summary>Reads the PTS of a video PES that starts in <paramref name="packet"/> (ISO 13818-1 §2.4.3.7).</summary>
    private void NotePts(ReadOnlySpan<byte> packet)
    {
        var o = PayloadOffset(packet);
        // start code prefix, stream id, length, two flag bytes, header length, then 5 bytes of PTS
        if (o + 14 > PacketSize || packet[o] != 0 || packet[o + 1] != 0 || packet[o + 2] != 1 || (packet[o + 7] & 0x80) == 0)
        {
            return;
        }

        var p = packet.Slice(o + 9, 5);
        var raw = ((long)(p[0] >> 1) & 0x07) << 30 | (long)p[1] << 22 | (long)(p[2] >> 1) << 15 | (long)p[3] << 7 | (long)(p[4] >> 1);
        if (_lastRawPts >= 0 && raw < _lastRawPts - (1L << 32))
        {
            // The 33-bit clock wrapped (every 26.5 hours).
            _ptsWraps++;
        }

        _lastRawPts = raw;
        var pts = TimeSpan.FromTicks((raw + (_ptsWraps << 33)) * TimeSpan.TicksPerSecond / 90_000);
        if (LatestVideoPts is { } previous && pts > previous)
        {
            VideoFrameInterval = pts - previous;
        }

        LatestVideoPts = LatestVideoPts is { } latest && latest > pts ? latest : pts;
    }

    /// <summary>The table section of a PSI packet (after the pointer field), or empty.</summary>
    private static ReadOnlySpan<byte> Section(ReadOnlySpan<byte> packet, byte tableId)
    {
        if (!PayloadStart(packet))
        {
            return [];
        }

        var offset = PayloadOffset(packet);
        if (offset >= PacketSize)
        {
            return [];
        }

        offset += 1 + packet[offset];
        if (offset + 3 > PacketSize || packet[offset] != tableId)
        {
            return [];
        }

        var length = ((packet[offset + 1] & 0x0F) << 8) | packet[offset + 2];
        var end = Math.Min(PacketSize, offset + 3 + length - 4); // without the CRC
        return end > offset ? packet[offset..end] : [];
    }

    private void ParsePat(ReadOnlySpan<byte> packet)
    {
        var section = Section(packet, 0x00);
        for (var i = 8; i + 4 <= section.Length; i += 4)
        {
            var program = (section[i] << 8) | section[i + 1];
            if (program != 0)
            {
                _pmtPid = ((section[i + 2] & 0x1F) << 8) | section[i + 3];
                return;
            }
        }
    }

    private void ParsePmt(ReadOnlySpan<byte> packet)
    {
        var section = Section(packet, 0x02);
        if (section.Length < 12)
        {
            return;
        }

        var i = 12 + (((section[10] & 0x0F) << 8) | section[11]);
        int video = -1, audio = -1;
        while (i + 5 <= section.Length)
        {
            var type = section[i];
            var pid = ((section[i + 1] & 0x1F) << 8) | section[i + 2];
            if (video < 0 && type is 0x1B or 0x24 or 0x02 or 0x10)
            {
                video = pid;
            }
            else if (audio < 0 && type is 0x0F or 0x11 or 0x03 or 0x04 or 0x81 or 0x06)
            {
                audio = pid;
            }

            i += 5 + (((section[i + 3] & 0x0F) << 8) | section[i + 4]);
        }

        VideoPid = video;
        AudioPid = audio;
    }
}

/// <summary>The pre-event buffer: the latest whole keyframe intervals covering at least <see cref="Span"/>.</summary>
internal sealed class GopRing(TimeSpan span)
{
    private readonly Queue<Gop> _gops = new();

    public TimeSpan Span { get; } = span;

    public int Count => _gops.Count;

    public long Bytes { get; private set; }

    /// <summary>Adds the interval that just ended and drops those no longer needed to reach back <see cref="Span"/> from it.</summary>
    public void Add(Gop gop)
    {
        ArgumentNullException.ThrowIfNull(gop);
        if (Span <= TimeSpan.Zero)
        {
            return;
        }

        _gops.Enqueue(gop);
        Bytes += gop.Length;
        // The oldest goes once the one after it already starts at or before the buffer's beginning.
        while (_gops.Count > 1 && _gops.ElementAt(1).Time <= gop.Time - Span)
        {
            Bytes -= _gops.Dequeue().Length;
        }
    }

    /// <summary>The intervals from the last one that starts at or before <paramref name="from"/> (or the oldest kept), oldest first.</summary>
    public IReadOnlyList<Gop> From(DateTimeOffset from)
    {
        var all = _gops.ToArray();
        var first = 0;
        for (var i = 0; i < all.Length; i++)
        {
            if (all[i].Time <= from)
            {
                first = i;
            }
        }

        return all[first..];
    }
}

/// <summary>Where the service cuts a recording into segments: at a keyframe, by time or by size, whichever comes first.</summary>
internal static class SegmentCut
{
    /// <summary>
    /// Whether the next keyframe interval starts a new segment: the segment has been running <paramref name="duration"/>
    /// at that keyframe, or its MPEG-TS bytes plus the interval's would pass <paramref name="maxBytes"/> (0 = no limit). An
    /// empty segment always takes the interval (a segment holds at least one). The MP4/Matroska made from MPEG-TS is
    /// smaller than it (docs/ffmpeg.md), so counting TS bytes keeps every file within the limit.
    /// </summary>
    public static bool Before(DateTimeOffset segmentStart, long segmentBytes, bool segmentHasData, Gop next, TimeSpan duration, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (!segmentHasData)
        {
            return false;
        }

        return next.Time - segmentStart >= duration || (maxBytes > 0 && segmentBytes + next.Length > maxBytes);
    }
}

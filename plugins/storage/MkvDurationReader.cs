using NEbml.Core;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Reads the duration of a Matroska (<c>.mkv</c>) recording from its Segment Info (<c>Duration</c> scaled by
/// <c>TimestampScale</c>), using NEbml for the EBML structure; no process spawn, a few small reads.
/// </summary>
/// <remarks>
/// ffmpeg writes the duration when it finalizes a segment. A segment cut off by a crash, or one still being written,
/// has none: its duration is null (the file stays playable; the listing shows no duration for it).
/// </remarks>
internal static class MkvDurationReader
{
    private const ulong SegmentId = 0x18538067;
    private const ulong InfoId = 0x1549A966;
    private const ulong ClusterId = 0x1F43B675;
    private const ulong TimestampScaleId = 0x2AD7B1;
    private const ulong DurationId = 0x4489;

    /// <summary>The duration, or null when the file is not a Matroska file or carries no duration.</summary>
    public static TimeSpan? TryRead(string path)
    {
        try
        {
            using var stream = Mp4DurationReader.OpenWhileWritten(path, bufferSize: 4096);
            return TryRead(stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EbmlDataFormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>The duration from a stream positioned at the start of a Matroska file, or null.</summary>
    public static TimeSpan? TryRead(Stream stream)
    {
        using var reader = new EbmlReader(stream);
        while (reader.ReadNext())
        {
            if (reader.ElementId.EncodedValue != SegmentId)
            {
                continue;
            }

            reader.EnterContainer();
            while (reader.ReadNext())
            {
                var id = reader.ElementId.EncodedValue;
                if (id == ClusterId)
                {
                    return null;
                }

                if (id == InfoId)
                {
                    return ReadInfo(reader);
                }
            }

            return null;
        }

        return null;
    }

    private static TimeSpan? ReadInfo(EbmlReader reader)
    {
        reader.EnterContainer();
        ulong scale = 1_000_000;
        double? duration = null;
        while (reader.ReadNext())
        {
            var id = reader.ElementId.EncodedValue;
            if (id == TimestampScaleId)
            {
                scale = reader.ReadUInt();
            }
            else if (id == DurationId)
            {
                duration = reader.ReadFloat();
            }
        }

        if (duration is not { } ticks || !double.IsFinite(ticks) || ticks <= 0 || scale == 0)
        {
            return null;
        }

        var seconds = ticks * scale / 1e9;
        return seconds < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }
}

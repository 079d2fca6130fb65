using System.Buffers.Binary;

namespace CameraService.Plugins.Shared;

/// <summary>
/// Reads the pixel size from a JPEG (SOFn marker) or PNG (IHDR) header: a few bytes of parsing instead of
/// a process (ffprobe) or an imaging package for two numbers. Compiled into every plugin that takes snapshots.
/// </summary>
internal static class ImageInfo
{
    public static (int Width, int Height) ReadSize(string path)
    {
        var header = new byte[64 * 1024];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        return Parse(header.AsSpan(0, read));
    }

    public static (int Width, int Height) Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 24 && data[0] == 0x89 && data[1] == (byte)'P' && data[2] == (byte)'N' && data[3] == (byte)'G')
        {
            return ((int)BinaryPrimitives.ReadUInt32BigEndian(data[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
        }

        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return (0, 0);
        }

        var i = 2;
        while (i + 9 < data.Length)
        {
            if (data[i] != 0xFF)
            {
                return (0, 0);
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            var isStartOfFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isStartOfFrame)
            {
                var height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                var width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]);
                return (width, height);
            }

            i += 2 + length;
        }

        return (0, 0);
    }
}

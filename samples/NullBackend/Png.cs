using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using CameraService.Abstractions.Cameras;

namespace Samples.NullBackend;

/// <summary>Renders the synthetic patterns as 8-bit RGB pixels, row by row.</summary>
internal static class PatternRenderer
{
    // The seven SMPTE colour bars at 75 %: white, yellow, cyan, green, magenta, red, blue.
    private static readonly (byte R, byte G, byte B)[] Bars =
        [(191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191)];

    public static byte[] Render(SyntheticPattern pattern, int width, int height)
    {
        var pixels = new byte[width * height * 3];

        // The test card is the bars over a grey ramp in its lower third; the colour bars fill the frame.
        var barRows = pattern == SyntheticPattern.ColorBars ? height : height * 2 / 3;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = y < barRows ? Bars[x * Bars.Length / width] : Grey(x * 255 / (width - 1));
                var i = ((y * width) + x) * 3;
                (pixels[i], pixels[i + 1], pixels[i + 2]) = (r, g, b);
            }
        }

        return pixels;
    }

    private static (byte, byte, byte) Grey(int level) => ((byte)level, (byte)level, (byte)level);
}

/// <summary>
/// The smallest PNG encoder (RGB, 8 bits, no filtering): the SDK has no image library, and a sample plugin should not
/// need a native one. CRC-32 comes from System.IO.Hashing, a private dependency shipped in the plugin's folder.
/// </summary>
internal static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(int width, int height, byte[] rgb)
    {
        using var png = new MemoryStream();
        png.Write(Signature);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: RGB
        WriteChunk(png, "IHDR"u8, header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            var stride = width * 3;
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0);  // filter type: none
                zlib.Write(rgb, y * stride, stride);
            }
        }

        WriteChunk(png, "IDAT"u8, compressed.ToArray());
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        png.Write(type);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(number, crc.GetCurrentHashAsUInt32());
        png.Write(number);
    }
}

using System.Globalization;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Shared;

/// <summary>The output half of every snapshot command: one frame, JPEG at a quality or PNG, written to one file.</summary>
internal static class FfmpegSnapshot
{
    /// <summary>Maps a JPEG quality 1–100 to ffmpeg's -q:v scale 31 (worst) … 2 (best).</summary>
    public static int QualityToQscale(int quality)
    {
        var q = Math.Clamp(quality, 1, 100);
        return 31 - (int)Math.Round((q - 1) * 29.0 / 99.0);
    }

    /// <summary>Appends the arguments that encode the first video frame of input 0 into <paramref name="outputPath"/>.</summary>
    public static void AddOutput(List<string> args, string outputPath, string format, int quality)
    {
        AddEncoding(args, format, quality);

        // image2 with -update: the path is taken literally (no %d pattern), whatever its extension.
        args.AddRange(["-f", "image2", "-update", "1", "-y", outputPath]);
    }

    /// <summary>Appends the arguments that encode the first video frame of input 0 (the output itself is the caller's).</summary>
    public static void AddEncoding(List<string> args, string format, int quality)
    {
        ArgumentNullException.ThrowIfNull(args);
        args.AddRange(["-map", "0:v:0", "-an", "-frames:v", "1"]);
        if (string.Equals(format, SnapshotFormats.Png, StringComparison.OrdinalIgnoreCase))
        {
            args.AddRange(["-c:v", "png"]);
        }
        else
        {
            // mjpeg wants full-range input: convert explicitly instead of relying on ffmpeg's deprecated auto-pick.
            args.AddRange(["-c:v", "mjpeg", "-q:v", QualityToQscale(quality).ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuvj420p"]);
        }
    }
}

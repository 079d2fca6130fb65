using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>
/// Chooses the default capture mode of a camera and describes it for the backends: preferred formats
/// first (H264, MJPG), then the largest size within MaxWidth×MaxHeight offering at least MinFps, at the highest
/// rate up to MaxFps. A per-camera override wins when the camera offers it.
/// </summary>
internal static class CaptureInputSelector
{
    // The formats a backend accepts in a capture description (the SDK's list); anything else is not offered.
    private static readonly HashSet<string> CapturableFormats = new(PixelFormats.All, StringComparer.Ordinal);

    /// <summary>The selected mode, plus a note when an override could not be honoured.</summary>
    public static (CaptureInput? Input, string? OverrideProblem) Select(string devicePath, IReadOnlyList<CameraFormat> formats, V4l2Options options, V4l2CameraOptions? camera)
    {
        ArgumentNullException.ThrowIfNull(formats);
        ArgumentNullException.ThrowIfNull(options);
        var modes = formats
            .Where(f => CapturableFormats.Contains(f.FourCc))
            .SelectMany(f => f.Sizes.SelectMany(s => (s.FrameRates.Count == 0 ? [0d] : s.FrameRates).Select(r => (Format: f.FourCc, s.Width, s.Height, Rate: r))))
            .ToList();
        if (modes.Count == 0)
        {
            return (null, null);
        }

        string? problem = null;
        if (camera is not null && (camera.PixelFormat ?? (object?)camera.Width ?? (object?)camera.Height ?? camera.Fps) is not null)
        {
            var matching = modes.Where(m =>
                (camera.PixelFormat is null || string.Equals(m.Format, camera.PixelFormat, StringComparison.OrdinalIgnoreCase))
                && (camera.Width is null || m.Width == camera.Width)
                && (camera.Height is null || m.Height == camera.Height)
                && (camera.Fps is null || Math.Abs(m.Rate - camera.Fps.Value) < 0.01)).ToList();
            if (matching.Count > 0)
            {
                return (Build(devicePath, Best(matching, options)), null);
            }

            problem = "the camera offers no mode matching the configured PixelFormat/Width/Height/Fps; the default mode is used";
        }

        var withinSize = modes.Where(m => m.Width <= options.MaxWidth && m.Height <= options.MaxHeight).ToList();
        var fastEnough = withinSize.Where(m => m.Rate >= options.MinFps).ToList();
        var pool = fastEnough.Count > 0 ? fastEnough
            : withinSize.Count > 0 ? withinSize
            : [modes.OrderBy(m => m.Width * m.Height).First()];
        return (Build(devicePath, Best(pool, options)), problem);
    }

    private static (string Format, int Width, int Height, double Rate) Best(List<(string Format, int Width, int Height, double Rate)> pool, V4l2Options options)
    {
        var preferred = options.EffectivePreferredFormats;
        int Rank(string format)
        {
            for (var i = 0; i < preferred.Count; i++)
            {
                if (string.Equals(preferred[i], format, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            return preferred.Count;
        }

        var bestFormat = pool.Select(m => m.Format).Distinct().OrderBy(Rank).First();
        var ofFormat = pool.Where(m => m.Format == bestFormat).ToList();
        var largest = ofFormat.Max(m => m.Width * m.Height);
        var sized = ofFormat.Where(m => m.Width * m.Height == largest).OrderByDescending(m => m.Width).ToList();
        var width = sized[0].Width;
        var atSize = sized.Where(m => m.Width == width).ToList();
        var capped = atSize.Where(m => m.Rate <= options.MaxFps).ToList();
        return capped.Count > 0 ? capped.MaxBy(m => m.Rate) : atSize.MinBy(m => m.Rate);
    }

    private static DeviceCaptureInput Build(string devicePath, (string Format, int Width, int Height, double Rate) mode) =>
        new DeviceCaptureInput
        {
            DevicePath = devicePath,
            Video = new VideoMode { PixelFormat = mode.Format, Width = mode.Width, Height = mode.Height, FrameRate = mode.Rate },
        };
}

using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CameraService.Core.Media.Motion;

/// <summary>What one frame changed in a detector's state.</summary>
/// <param name="Score">Percent of the picture that changed against the previous frame (0–100).</param>
/// <param name="Motion">The frame counts as motion (<see cref="Score"/> ≥ the minimum area).</param>
/// <param name="Started">Motion began with this frame (after a quiet stretch).</param>
/// <param name="Ended">Motion ended: this frame completes <see cref="MotionDetector.QuietAfter"/> without motion.</param>
internal readonly record struct MotionUpdate(double Score, bool Motion, bool Started, bool Ended);

/// <summary>
/// Frame-differencing motion detector over 8-bit luma frames (pure; the monitor feeds it). A pixel has changed when
/// its brightness differs from the same pixel of the previous frame by more than <c>threshold</c> (1–255); a frame
/// is motion when at least <c>min_area</c> percent of its pixels changed. No mask: the whole picture counts. The
/// per-pixel threshold absorbs sensor and compression noise (a still picture re-encoded frame by frame changes a
/// few levels), the area threshold absorbs the odd flickering pixel. Motion starts with the first motion frame and
/// ends after <see cref="QuietAfter"/> without one, so one event spans a person walking through the picture.
/// The pixel loop is vectorised (16 pixels per step), well under the budget in perf/README.md.
/// </summary>
internal sealed class MotionDetector(int threshold, double minAreaPercent)
{
    /// <summary>How long without a motion frame ends a motion event.</summary>
    public static readonly TimeSpan QuietAfter = TimeSpan.FromSeconds(2);

    private byte[] _previous = [];
    private int _width;
    private int _height;
    private DateTimeOffset _lastMotion;

    /// <summary>A motion event is in progress.</summary>
    public bool Active { get; private set; }

    /// <summary>The per-pixel brightness change (1–255) that counts a pixel as changed.</summary>
    public int Threshold { get; } = threshold is >= 1 and <= 255 ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "1 to 255");

    /// <summary>The percent of changed pixels (0.01–100) that makes a frame motion.</summary>
    public double MinAreaPercent { get; } = minAreaPercent is >= 0.01 and <= 100 ? minAreaPercent : throw new ArgumentOutOfRangeException(nameof(minAreaPercent), minAreaPercent, "0.01 to 100");

    /// <summary>Takes the next frame; the first frame (and the first after a size change) only sets the reference.</summary>
    public MotionUpdate Process(ReadOnlySpan<byte> luma, int width, int height, DateTimeOffset time)
    {
        if (width <= 0 || height <= 0 || luma.Length < width * height)
        {
            throw new ArgumentException($"a {width}x{height} frame needs {width * height} bytes, got {luma.Length}", nameof(luma));
        }

        var pixels = luma[..(width * height)];
        if (width != _width || height != _height)
        {
            _width = width;
            _height = height;
            _previous = pixels.ToArray();
            return new MotionUpdate(0, false, false, EndIfQuiet(time));
        }

        var changed = CountChanged(pixels, _previous, (byte)Threshold);
        pixels.CopyTo(_previous);
        var percent = 100.0 * changed / pixels.Length;
        var score = Math.Round(percent, 3);
        var motion = percent >= MinAreaPercent;
        if (motion)
        {
            _lastMotion = time;
            var started = !Active;
            Active = true;
            return new MotionUpdate(score, true, started, false);
        }

        return new MotionUpdate(score, false, false, EndIfQuiet(time));
    }

    /// <summary>How many pixels differ by more than <paramref name="threshold"/>.</summary>
    internal static int CountChanged(ReadOnlySpan<byte> current, ReadOnlySpan<byte> previous, byte threshold)
    {
        var count = 0;
        var i = 0;
        // 16 pixels per step (SSE2 / NEON): |a − b| as max − min, compared with the threshold, the mask's top bits counted.
        if (Vector128.IsHardwareAccelerated && current.Length >= Vector128<byte>.Count)
        {
            var limit = Vector128.Create(threshold);
            ref var a = ref MemoryMarshal.GetReference(current);
            ref var b = ref MemoryMarshal.GetReference(previous);
            for (; i <= current.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var x = Vector128.LoadUnsafe(ref a, (nuint)i);
                var y = Vector128.LoadUnsafe(ref b, (nuint)i);
                count += BitOperations.PopCount(Vector128.GreaterThan(Vector128.Max(x, y) - Vector128.Min(x, y), limit).ExtractMostSignificantBits());
            }
        }

        for (; i < current.Length; i++)
        {
            if (Math.Abs(current[i] - previous[i]) > threshold)
            {
                count++;
            }
        }

        return count;
    }

    private bool EndIfQuiet(DateTimeOffset time)
    {
        if (Active && time - _lastMotion >= QuietAfter)
        {
            Active = false;
            return true;
        }

        return false;
    }
}

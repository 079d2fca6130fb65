using CameraService.Core.Media.Motion;

namespace CameraService.Core.Tests;

/// <summary>The motion detector on synthetic luma frames: a moving box against a still picture with noise, and the edges of both thresholds.</summary>
public sealed class MotionDetectorTests
{
    private const int W = 640;
    private const int H = 480;
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void StillPictureWithCompressionNoise_IsNeverMotion()
    {
        var detector = new MotionDetector(25, 1.0);
        var random = new Random(7);
        var card = TestCard();

        for (var i = 0; i < 50; i++)
        {
            var update = detector.Process(Noisy(card, random, amplitude: 8), W, H, T0.AddMilliseconds(200 * i));
            Assert.False(update.Motion, $"frame {i}: score {update.Score}");
        }

        Assert.False(detector.Active);
    }

    [Fact]
    public void MovingBox_StartsMotion_AndQuietEndsItAfterTwoSeconds()
    {
        var detector = new MotionDetector(25, 1.0);
        var random = new Random(7);
        var card = TestCard();
        detector.Process(Noisy(card, random, 8), W, H, T0);

        // A 80×80 white box moving 40 px per frame over the card: ≥ 1 % of the picture changes each frame.
        var updates = new List<MotionUpdate>();
        for (var i = 1; i <= 5; i++)
        {
            updates.Add(detector.Process(Noisy(WithBox(card, 40 * i, 200, 80), random, 8), W, H, T0.AddMilliseconds(200 * i)));
        }

        Assert.All(updates, u => Assert.True(u.Motion, $"score {u.Score}"));
        Assert.True(updates[0].Started);
        Assert.DoesNotContain(updates.Skip(1), u => u.Started);
        Assert.True(detector.Active);

        // The box stops: quiet frames, and the event ends two seconds after the last motion frame.
        var still = WithBox(card, 200, 200, 80);
        var last = T0.AddMilliseconds(1000);
        Assert.False(detector.Process(Noisy(still, random, 8), W, H, last.AddMilliseconds(1000)).Ended);
        var ended = detector.Process(Noisy(still, random, 8), W, H, last.AddMilliseconds(2000));
        Assert.True(ended.Ended);
        Assert.False(ended.Motion);
        Assert.False(detector.Active);
    }

    [Theory]
    // A change of exactly the threshold is not a change; one level more is.
    [InlineData(25, 25, false)]
    [InlineData(25, 26, true)]
    [InlineData(1, 2, true)]
    [InlineData(254, 255, true)]
    public void Threshold_IsTheLargestChangeThatDoesNotCount(int threshold, int change, bool counts)
    {
        var before = new byte[W * H];
        var after = new byte[W * H];
        Array.Fill(after, (byte)change);

        Assert.Equal(counts ? W * H : 0, MotionDetector.CountChanged(after, before, (byte)threshold));
        Assert.Equal(counts ? W * H : 0, MotionDetector.CountChanged(before, after, (byte)threshold)); // darker as well as brighter
    }

    [Fact]
    public void CountChanged_VectorAndScalarTails_CountEveryPixel()
    {
        // 1,000 pixels: vector steps plus a scalar tail; every third pixel changes.
        var a = new byte[1000];
        var b = new byte[1000];
        for (var i = 0; i < a.Length; i += 3)
        {
            b[i] = 200;
        }

        Assert.Equal(334, MotionDetector.CountChanged(a, b, 25));
    }

    [Theory]
    // 1 % of 640×480 is 3,072 pixels.
    [InlineData(3071, false)]
    [InlineData(3072, true)]
    public void MinArea_IsTheSmallestChangedPercentThatIsMotion(int changedPixels, bool motion)
    {
        var detector = new MotionDetector(25, 1.0);
        var frame = new byte[W * H];
        detector.Process(frame, W, H, T0);
        var next = new byte[W * H];
        Array.Fill(next, (byte)255, 0, changedPixels);

        Assert.Equal(motion, detector.Process(next, W, H, T0.AddMilliseconds(200)).Motion);
    }

    [Fact]
    public void FrameSizeChange_OnlySetsTheReference()
    {
        var detector = new MotionDetector(25, 1.0);
        detector.Process(new byte[W * H], W, H, T0);
        var small = new byte[320 * 240];
        Array.Fill(small, (byte)255);

        Assert.False(detector.Process(small, 320, 240, T0.AddSeconds(1)).Motion);
        Assert.Throws<ArgumentException>(() => detector.Process(small, W, H, T0.AddSeconds(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MotionDetector(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MotionDetector(25, 0));
    }

    /// <summary>A still test card: vertical bars of different greys with a gradient.</summary>
    internal static byte[] TestCard()
    {
        var card = new byte[W * H];
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                card[(y * W) + x] = (byte)(((x / 80) * 30) + (y / 20));
            }
        }

        return card;
    }

    internal static byte[] WithBox(byte[] card, int left, int top, int size)
    {
        var frame = (byte[])card.Clone();
        for (var y = top; y < Math.Min(H, top + size); y++)
        {
            for (var x = left; x < Math.Min(W, left + size); x++)
            {
                frame[(y * W) + x] = 255;
            }
        }

        return frame;
    }

    /// <summary>The frame with ± <paramref name="amplitude"/> levels of random noise on every pixel (like compression noise).</summary>
    internal static byte[] Noisy(byte[] frame, Random random, int amplitude)
    {
        var noisy = new byte[frame.Length];
        for (var i = 0; i < frame.Length; i++)
        {
            noisy[i] = (byte)Math.Clamp(frame[i] + random.Next(-amplitude, amplitude + 1), 0, 255);
        }

        return noisy;
    }
}

using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>The ffmpeg backend's frames for analysis (motion detection): decoded from the camera's own feed.</summary>
public sealed class FrameSourceTests
{
    [Fact]
    public async Task ReadFrames_TestPattern_SmallGreyFramesThatMove_ProcessRunsOnlyWhileRead()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        Assert.Empty(ctx.OwnFfmpegChildren()); // nothing wanted yet: no camera process
        var request = new VideoFrameRequest { CameraId = "camera0", Width = 64, Height = 48, FrameRate = 5 };
        var frames = new List<byte[]>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));

        await foreach (var frame in ((IVideoFrameSource)ctx.Backend).ReadFramesAsync(request, timeout.Token))
        {
            Assert.Equal((64, 48, 64 * 48), (frame.Width, frame.Height, frame.Luma.Length));
            frames.Add(frame.Luma.ToArray());
            if (frames.Count == 1)
            {
                // Reading keeps the camera's process running.
                Assert.Single(ctx.OwnFfmpegChildren());
            }

            if (frames.Count == 4)
            {
                break;
            }
        }

        // The test card moves: consecutive frames differ.
        Assert.Contains(frames.Zip(frames.Skip(1)), p => !p.First.AsSpan().SequenceEqual(p.Second));
        await Media.WaitUntilAsync(() => ctx.OwnFfmpegChildren().Count == 0, TimeSpan.FromSeconds(20), "the camera process stopped once nothing reads");
    }

    [Fact]
    public async Task ReadFrames_UnknownCamera_IsNotFound()
    {
        await using var ctx = new FfmpegTestContext();

        await Assert.ThrowsAsync<ResourceNotFoundException>(async () =>
        {
            await foreach (var _ in ((IVideoFrameSource)ctx.Backend).ReadFramesAsync(new VideoFrameRequest { CameraId = "nope" }, CancellationToken.None))
            {
            }
        });
    }
}

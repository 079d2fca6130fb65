using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>The shared ffmpeg frame reader on real ffmpeg: frames of the requested size, failures named, stdin input, ffmpeg killed on leaving.</summary>
public sealed class FfmpegFrameReaderTests
{
    private const string Hint = "install ffmpeg";

    [Fact]
    public async Task MovingTestSource_YieldsFramesOfTheRequestedSize_ThatDiffer()
    {
        var request = new VideoFrameRequest { CameraId = "x", Width = 160, Height = 120, FrameRate = 10 };
        var frames = new List<byte[]>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await foreach (var frame in FfmpegFrameReader.ReadAsync("ffmpeg", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10"], request, TimeProvider.System, Hint, cancellationToken: timeout.Token))
        {
            Assert.Equal((160, 120, 160 * 120), (frame.Width, frame.Height, frame.Luma.Length));
            frames.Add(frame.Luma.ToArray());
            if (frames.Count == 4)
            {
                break;
            }
        }

        Assert.Equal(4, frames.Count);
        Assert.NotEqual(frames[0], frames[3]); // testsrc2 moves
        Assert.Contains(frames[0], b => b > 100); // a picture, not black
    }

    [Fact]
    public async Task LeavingTheEnumeration_KillsFfmpeg()
    {
        var marker = "testsrc2=size=320x240:rate=7.125";
        var request = new VideoFrameRequest { CameraId = "x", Width = 64, Height = 48, FrameRate = 5 };
        await foreach (var _ in FfmpegFrameReader.ReadAsync("ffmpeg", ["-re", "-f", "lavfi", "-i", marker], request, TimeProvider.System, Hint))
        {
            Assert.True(FfmpegRunning(marker));
            break;
        }

        for (var i = 0; i < 100 && FfmpegRunning(marker); i++)
        {
            await Task.Delay(50);
        }

        Assert.False(FfmpegRunning(marker));
    }

    [Fact]
    public async Task FfmpegEndingBeforeTheFirstFrame_IsDependencyFailedWithItsError()
    {
        var request = new VideoFrameRequest { CameraId = "x", Width = 64, Height = 48 };

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(async () =>
        {
            await foreach (var _ in FfmpegFrameReader.ReadAsync("ffmpeg", ["-i", "/nonexistent/camera.mp4"], request, TimeProvider.System, Hint))
            {
            }
        });

        Assert.Equal("ffmpeg", ex.Dependency);
        Assert.Contains("No such file", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingFfmpeg_IsDependencyFailedWithTheHint_AndBadSizeIsInvalid()
    {
        var request = new VideoFrameRequest { CameraId = "x", Width = 64, Height = 48 };
        var ex = await Assert.ThrowsAsync<DependencyFailedException>(async () =>
        {
            await foreach (var _ in FfmpegFrameReader.ReadAsync("/nonexistent/ffmpeg", ["-i", "x"], request, TimeProvider.System, Hint))
            {
            }
        });
        Assert.Contains(Hint, ex.Detail, StringComparison.Ordinal);

        await Assert.ThrowsAsync<InvalidParameterException>(async () =>
        {
            await foreach (var _ in FfmpegFrameReader.ReadAsync("ffmpeg", ["-i", "x"], request with { Width = 63 }, TimeProvider.System, Hint))
            {
            }
        });
    }

    [Fact]
    public async Task StreamOnStdin_IsDecoded()
    {
        // A 1 s Matroska clip, made by ffmpeg, fed to the reader's ffmpeg through stdin.
        var clip = Path.Combine(Directory.CreateTempSubdirectory("frames-").FullName, "clip.mkv");
        using (var make = System.Diagnostics.Process.Start("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "1", "-c:v", "mjpeg", clip]))
        {
            await make.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, make.ExitCode);
        }

        await using var input = File.OpenRead(clip);
        var count = 0;
        await foreach (var frame in FfmpegFrameReader.ReadAsync("ffmpeg", ["-f", "matroska", "-i", "pipe:0"], new VideoFrameRequest { CameraId = "x", Width = 80, Height = 60, FrameRate = 10 }, TimeProvider.System, Hint, input))
        {
            Assert.Equal(80 * 60, frame.Luma.Length);
            count++;
        }

        Assert.InRange(count, 8, 12); // 1 s at 10 fps, then the stream ends and so does the enumeration
        Directory.Delete(Path.GetDirectoryName(clip)!, recursive: true);
    }

    private static bool FfmpegRunning(string marker) =>
        Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try
            {
                return int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                    && File.ReadAllText(Path.Combine(d, "cmdline")).Contains(marker, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });
}

/// <summary>The MediaMTX backend's <see cref="IVideoFrameSource"/> against the emulator's RTSP server.</summary>
public sealed class FrameSourceTests : BackendTestBase
{
    protected override void Configure() => EmulatorOptions.RtspServer = true;

    [Fact]
    public async Task ReadFrames_FromThePathsRtspUrl_GivesFramesOfTheRequestedSize()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var source = Assert.IsAssignableFrom<IVideoFrameSource>(Backend);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var count = 0;

        await foreach (var frame in source.ReadFramesAsync(new VideoFrameRequest { CameraId = "camera0", Width = 160, Height = 120, FrameRate = 5 }, timeout.Token))
        {
            Assert.Equal((160, 120, 160 * 120), (frame.Width, frame.Height, frame.Luma.Length));
            if (++count == 3)
            {
                break;
            }
        }

        Assert.Equal(3, count);
    }

    [Fact]
    public async Task ReadFrames_UnknownCamera_IsNotFound()
    {
        var source = Assert.IsAssignableFrom<IVideoFrameSource>(Backend);
        await Assert.ThrowsAsync<ResourceNotFoundException>(async () =>
        {
            await foreach (var _ in source.ReadFramesAsync(new VideoFrameRequest { CameraId = "camera9" }, CancellationToken.None))
            {
            }
        });
    }
}

/// <summary>The frame source without an RTSP server to read from.</summary>
public sealed class FrameSourceWithoutRtspTests : BackendTestBase
{
    [Fact]
    public async Task ReadFrames_NoRtspServer_IsDependencyFailedNamingTheReason()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        var source = Assert.IsAssignableFrom<IVideoFrameSource>(Backend);

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(async () =>
        {
            await foreach (var _ in source.ReadFramesAsync(new VideoFrameRequest { CameraId = "camera0", Width = 160, Height = 120 }, CancellationToken.None))
            {
            }
        });

        Assert.Contains("Connection refused", ex.Detail, StringComparison.OrdinalIgnoreCase);
    }
}

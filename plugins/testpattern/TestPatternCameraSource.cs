using System.Globalization;
using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.TestPattern;

/// <summary>
/// A camera source of N synthetic cameras: ffmpeg's <c>lavfi testsrc2</c> pattern at a configured size and rate.
/// A camera changes only when a client sets its synthetic controls (see <c>TestPatternControls.cs</c>).
/// </summary>
internal sealed partial class TestPatternCameraSource(IOptions<TestPatternOptions> options, ILogger<TestPatternCameraSource> logger) : ICameraSource
{
    private readonly TestPatternOptions options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
    private IReadOnlyList<CameraDescriptor> cameras = [];
    private volatile bool stopped;

    public string Name => "testpattern";

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public IReadOnlyList<CameraDescriptor> GetCameras() => cameras;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!options.Enabled)
        {
            LogDisabled(logger);
            return Task.CompletedTask;
        }

        var created = Enumerable.Range(0, options.Count).Select(i => Describe(i, null)).ToList();
        cameras = created;
        foreach (var camera in created)
        {
            if (stopped)
            {
                break;
            }

            try
            {
                CameraChanged?.Invoke(this, new CameraChangedEventArgs(CameraChangeKind.Added, camera));
            }
            catch (Exception ex)
            {
                // A subscriber's bug must not keep the other synthetic cameras from being announced.
                LogHandlerFailed(logger, camera.StableId, ex);
            }
        }

        LogStarted(logger, created.Count, options.Width, options.Height, options.Fps);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        stopped = true;
        return Task.CompletedTask;
    }

    private void RaiseChanged(CameraDescriptor camera)
    {
        try
        {
            CameraChanged?.Invoke(this, new CameraChangedEventArgs(CameraChangeKind.Updated, camera));
        }
        catch (Exception ex)
        {
            // A subscriber's bug must not fail the control change that has been made.
            LogHandlerFailed(logger, camera.StableId, ex);
        }
    }

    private CameraDescriptor Describe(int index, Dictionary<string, long>? controlValues)
    {
        var input = new CaptureInput(
            ["-re", "-f", "lavfi", "-i", Graph(controlValues ?? new Dictionary<string, long>())],
            PixelFormat: "YU12",
            options.Width,
            options.Height,
            options.Fps,
            IsH264: false,
            IsLive: false);
        var format = new CameraFormat("YU12", "Planar YUV 4:2:0 (ffmpeg testsrc2)", Compressed: false, [new FrameSize(options.Width, options.Height, [options.Fps])]);
        return new CameraDescriptor(
            StableId: string.Create(CultureInfo.InvariantCulture, $"testpattern-{index}"),
            Source: Name,
            Name: string.Create(CultureInfo.InvariantCulture, $"Test pattern {index}"),
            DevicePath: null,
            Driver: "lavfi",
            BusInfo: string.Create(CultureInfo.InvariantCulture, $"virtual:testpattern-{index}"),
            State: CameraState.Available,
            Error: null,
            Formats: [format],
            Controls: [],
            CaptureInput: input);
    }

    [LoggerMessage(4100, LogLevel.Information, "Test-pattern source offers {Count} synthetic camera(s) at {Width}x{Height}@{Fps}")]
    private static partial void LogStarted(ILogger logger, int count, int width, int height, int fps);

    [LoggerMessage(4101, LogLevel.Information, "Test-pattern source is loaded but disabled (set Plugins:TestPattern:Enabled=true to get synthetic cameras)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(4102, LogLevel.Error, "A CameraChanged handler threw for camera {StableId}")]
    private static partial void LogHandlerFailed(ILogger logger, string stableId, Exception exception);
}

using System.Globalization;
using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin;

/// <summary>
/// A camera source of network cameras listed in the configuration. It describes what each camera sends
/// (<see cref="NetworkCaptureInput"/>); the stream backend opens it. The configuration does not change while the
/// service runs, so the only events are the additions at start. A source that watches hardware raises
/// <see cref="CameraChangeKind.Updated"/> and <see cref="CameraChangeKind.Removed"/> as cameras change, and
/// <see cref="CameraChangeKind.Deleted"/> (SDK 2.1) when a camera is gone for good (an operator removed it).
/// </summary>
internal sealed partial class NetworkCameraSource(IOptions<PluginOptions> options, ILogger<NetworkCameraSource> logger) : ICameraSource
{
    private IReadOnlyList<CameraDescriptor> _cameras = [];

    public string Name => Plugin.PluginId;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public IReadOnlyList<CameraDescriptor> GetCameras() => _cameras;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _cameras = options.Value.Cameras.Select(Describe).ToList();
        foreach (var camera in _cameras)
        {
            try
            {
                CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = CameraChangeKind.Added, Camera = camera });
            }
            catch (Exception ex)
            {
                // A source never throws out of an event: one failing subscriber must not hide the other cameras.
                LogHandlerFailed(logger, camera.StableId, ex);
            }
        }

        LogStarted(logger, _cameras.Count);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private CameraDescriptor Describe(NetworkCameraOptions camera, int index)
    {
        var url = new Uri(camera.Url);
        var video = new VideoMode { PixelFormat = camera.Codec, Width = camera.Width, Height = camera.Height, FrameRate = camera.FrameRate };
        return new CameraDescriptor
        {
            // Stable across restarts: the address identifies the camera, not its position in the list.
            StableId = string.Create(CultureInfo.InvariantCulture, $"{Name}-{url.Host}-{url.Port}{url.AbsolutePath.Replace('/', '-')}").TrimEnd('-'),
            Source = Name,
            Name = camera.Name,
            BusInfo = string.Create(CultureInfo.InvariantCulture, $"network:{index}"),
            Formats = camera.Width > 0 && camera.Height > 0
                ? [new CameraFormat { FourCc = camera.Codec, Compressed = true, Sizes = [new FrameSize { Width = camera.Width, Height = camera.Height, FrameRates = camera.FrameRate > 0 ? [camera.FrameRate] : [] }] }]
                : [],
            CaptureInput = new NetworkCaptureInput
            {
                Url = url,
                UserName = camera.UserName,
                Password = camera.Password,
                Transport = RtspTransport.Tcp,
                Video = video,
            },
        };
    }

    [LoggerMessage(1, LogLevel.Information, "Network camera source offers {Count} configured camera(s)")]
    private static partial void LogStarted(ILogger logger, int count);

    [LoggerMessage(2, LogLevel.Error, "A CameraChanged handler threw for camera {StableId}")]
    private static partial void LogHandlerFailed(ILogger logger, string stableId, Exception exception);
}

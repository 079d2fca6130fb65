using CameraService.Abstractions.Cameras;

namespace CameraService.Core.Tests.Fakes;

/// <summary>A camera source driven by the test: plug, unplug, update, fail on start.</summary>
internal sealed class FakeCameraSource(string name = "fake") : ICameraSource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CameraDescriptor> _present = [];
    private readonly List<CameraDescriptor> _initial = [];

    public string Name { get; } = name;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public bool FailOnStart { get; set; }

    public bool Started { get; private set; }

    /// <summary>Cameras found by the first discovery.</summary>
    public FakeCameraSource With(params CameraDescriptor[] cameras)
    {
        _initial.AddRange(cameras);
        return this;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (FailOnStart)
        {
            throw new InvalidOperationException("fake source failure");
        }

        Started = true;
        foreach (var camera in _initial)
        {
            Plug(camera);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<CameraDescriptor> GetCameras()
    {
        lock (_gate)
        {
            return [.. _present.Values];
        }
    }

    public void Plug(CameraDescriptor camera)
    {
        bool existed;
        lock (_gate)
        {
            existed = _present.ContainsKey(camera.StableId);
            _present[camera.StableId] = camera;
        }

        CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = existed ? CameraChangeKind.Updated : CameraChangeKind.Added, Camera = camera });
    }

    public void Unplug(string stableId) => Take(stableId, CameraChangeKind.Removed);

    /// <summary>The camera is taken away for good (as the rtsp source does when its stream is removed).</summary>
    public void Delete(string stableId) => Take(stableId, CameraChangeKind.Deleted);

    private void Take(string stableId, CameraChangeKind kind)
    {
        CameraDescriptor camera;
        lock (_gate)
        {
            camera = _present[stableId];
            _present.Remove(stableId);
        }

        CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = kind, Camera = camera });
    }

    /// <summary>A realistic UVC camera: MJPG and YUYV with repeated sizes and rates, capturing 1280x720@30.</summary>
    public static CameraDescriptor Camera(string stableId, string name = "USB Camera", string devicePath = "/dev/video0", CameraState state = CameraState.Available) =>
        new CameraDescriptor
        {
            StableId = stableId,
            Source = "fake",
            Name = name,
            DevicePath = devicePath,
            Driver = "uvcvideo",
            BusInfo = "usb-0000:00:14.0-1",
            State = state,
            Error = state == CameraState.Error ? "busy" : null,
            Formats = [
                new CameraFormat { FourCc = "MJPG", Description = "Motion-JPEG", Compressed = true, Sizes = [new FrameSize { Width = 1280, Height = 720, FrameRates = [30, 15] }, new FrameSize { Width = 640, Height = 480, FrameRates = [30, 15] }] },
                new CameraFormat { FourCc = "YUYV", Description = "YUYV 4:2:2", Compressed = false, Sizes = [new FrameSize { Width = 640, Height = 480, FrameRates = [30, 20] }, new FrameSize { Width = 320, Height = 240, FrameRates = [30] }] },
            ],
            Controls = [],
            CaptureInput = state == CameraState.Available
                ? new DeviceCaptureInput { DevicePath = devicePath, Video = new VideoMode { PixelFormat = PixelFormats.Mjpeg, Width = 1280, Height = 720, FrameRate = 30 } }
                : null,
        };
}

using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;
using MediaMtxEmulator;
using CameraService.Abstractions.Plugins;
using CameraService.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>An in-process emulator plus the plugin wired through its own ConfigureServices, with temp directories.</summary>
public abstract class BackendTestBase : IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = [];

    protected BackendTestBase()
    {
        Root = Directory.CreateTempSubdirectory("mtxplugin-").FullName;
        Recordings = Path.Combine(Root, "recordings");
        StateDir = Path.Combine(Root, "state");
        EmulatorOptions = new EmulatorOptions { ApiAddress = "127.0.0.1:0", RtspAddress = "127.0.0.1:0", RecordingsRoot = Root };
        Settings = new Dictionary<string, string?>
        {
            ["Plugins:MediaMtx:RequestTimeout"] = "00:00:02",
            ["Plugins:MediaMtx:RetryDelay"] = "00:00:00.050",
            ["Plugins:MediaMtx:CircuitBreakDuration"] = "00:00:00.500",
            ["Plugins:MediaMtx:CircuitSamplingDuration"] = "00:00:01",
            ["Plugins:MediaMtx:ReconcileInterval"] = "00:00:00.200",
            ["Plugins:MediaMtx:OrphanGracePeriod"] = "00:00:00",
            ["Plugins:MediaMtx:PublicHost"] = "cams.example",
            ["Plugins:MediaMtx:SegmentDuration"] = "00:01:00",
        };
    }

    protected string Root { get; }

    protected string Recordings { get; }

    protected string StateDir { get; }

    protected EmulatorOptions EmulatorOptions { get; }

    protected Dictionary<string, string?> Settings { get; }

    protected Emulator Emu { get; private set; } = null!;

    private protected MediaMtxBackend Backend { get; private set; } = null!;

    protected List<StreamBackendEventArgs> Events { get; } = [];

    protected virtual void Configure()
    {
    }

    public async Task InitializeAsync()
    {
        Configure();
        Emu = new Emulator(EmulatorOptions);
        var url = await Emu.StartAsync(CancellationToken.None);
        Settings["Plugins:MediaMtx:ApiUrl"] = url.ToString();
        Settings["Plugins:MediaMtx:RtspPort"] = Emu.RtspPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Backend = await CreateBackendAsync();
    }

    /// <summary>Builds a backend the way the host does (plugin ConfigureServices) and starts it.</summary>
    private protected async Task<MediaMtxBackend> CreateBackendAsync(bool start = true)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(config);
        services.AddSingleton<IServiceEnvironment>(new TestServiceEnvironment(Root));
        new MediaMtxPlugin().ConfigureServices(services, config);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        var backend = (MediaMtxBackend)provider.GetRequiredService<IStreamBackend>();
        backend.BackendEvent += (_, e) =>
        {
            lock (Events)
            {
                Events.Add(e);
            }
        };
        if (start)
        {
            await backend.StartAsync(CancellationToken.None);
        }

        return backend;
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _providers)
        {
            await p.DisposeAsync();
        }

        await Emu.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    protected StreamCamera Camera(string id = "camera0", bool h264 = false, bool live = true)
    {
        var video = new VideoMode { PixelFormat = h264 ? PixelFormats.H264 : PixelFormats.Mjpeg, Width = 1280, Height = 720, FrameRate = 30 };
        CaptureInput input = live
            ? new DeviceCaptureInput { DevicePath = "/dev/v4l/by-id/usb-Test Cam-video-index0", Video = video }
            : new SyntheticCaptureInput { Video = video };
        return new StreamCamera { CameraId = id, Name = "Test camera", Input = input, RecordingDirectory = Path.Combine(Recordings, id) };
    }

    protected static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException("condition not met in time");
            }

            await Task.Delay(50);
        }
    }

    protected static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException("condition not met in time");
            }

            await Task.Delay(50);
        }
    }

    protected IReadOnlyList<StreamBackendEventArgs> EventsOf(StreamBackendEventKind kind)
    {
        lock (Events)
        {
            return Events.Where(e => e.Kind == kind).ToList();
        }
    }
}

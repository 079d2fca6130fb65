using System.Collections.Concurrent;
using CameraService.Client;
using MediaMtxEmulator;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// One host process (test-pattern source, one camera 320x240@10) with a connected admin client, shared by the tests
/// of a class. Subclasses pick the stream backend.
/// </summary>
public abstract class ServiceFixture : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("cs-e2e-").FullName;

    public ServiceProcess Service { get; private set; } = null!;

    public CameraServiceClient Client { get; private set; } = null!;

    public string Token { get; private set; } = null!;

    public ConcurrentQueue<RecordingStatusUpdate> RecordingEvents { get; } = new();

    public string Root => _root;

    /// <summary>The media root the service uses (Storage:Root); may be overridden before start.</summary>
    public virtual string MediaRoot => Path.Combine(_root, "media");

    protected abstract Task<IReadOnlyDictionary<string, string>> BackendSettingsAsync();

    public virtual async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>(await BackendSettingsAsync())
        {
            ["Plugins:TestPattern:Enabled"] = "true",
            ["Plugins:TestPattern:Count"] = "2",
            ["Plugins:TestPattern:Width"] = "320",
            ["Plugins:TestPattern:Height"] = "240",
            ["Plugins:TestPattern:Fps"] = "10",
            ["CameraService:CameraSources:0"] = "testpattern",
            ["Storage:Root"] = MediaRoot,
            ["Recording:ProgressInterval"] = "1s",
        };
        Service = new ServiceProcess(_root, settings);
        await Service.StartAsync(TimeSpan.FromSeconds(90));
        Token = await Service.CreateTokenAsync("admin");
        Client = await ConnectAsync();
        Client.RecordingStatusChanged += (_, e) => RecordingEvents.Enqueue(e);
        var client = Client;
        Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected >= 2, TimeSpan.FromSeconds(30)),
            "the test-pattern cameras never connected:\n" + Service.Log);
    }

    public Task<CameraServiceClient> ConnectAsync() =>
        CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = Service.WebSocketUrl, Token = Token, ReconnectDelay = TimeSpan.FromMilliseconds(300) });

    public virtual async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        await CleanupAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling writer (emulator recorder) may still be closing a file; the OS temp cleaner takes the rest.
        }
    }

    protected virtual Task CleanupAsync() => Task.CompletedTask;
}

/// <summary>The host with the direct ffmpeg backend (no media server).</summary>
public sealed class FfmpegServiceFixture : ServiceFixture
{
    protected override Task<IReadOnlyDictionary<string, string>> BackendSettingsAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(FfmpegSettings(Root));

    public static Dictionary<string, string> FfmpegSettings(string root) => new()
    {
        ["CameraService:StreamBackend"] = "ffmpeg",
        ["Plugins:Ffmpeg:HlsDirectory"] = Path.Combine(root, "hls"),
        ["Plugins:Ffmpeg:SegmentDuration"] = "00:00:02",
    };

    /// <summary>The ffmpeg backend with one test-pattern camera, 320x240@10, as the only source.</summary>
    public static Dictionary<string, string> OneTestPatternSettings(string root) => WithOneTestPattern(FfmpegSettings(root));

    /// <summary>Adds one test-pattern camera, 320x240@10, as the only source to a backend's settings.</summary>
    public static Dictionary<string, string> WithOneTestPattern(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Plugins:TestPattern:Enabled"] = "true";
        settings["Plugins:TestPattern:Count"] = "1";
        settings["Plugins:TestPattern:Width"] = "320";
        settings["Plugins:TestPattern:Height"] = "240";
        settings["Plugins:TestPattern:Fps"] = "10";
        settings["CameraService:CameraSources:0"] = "testpattern";
        return settings;
    }
}

/// <summary>The host with the MediaMTX backend against the in-process emulator (media mode, RTSP endpoint).</summary>
public sealed class MediaMtxServiceFixture : ServiceFixture
{
    public Emulator Emulator { get; private set; } = null!;

    protected override async Task<IReadOnlyDictionary<string, string>> BackendSettingsAsync()
    {
        Directory.CreateDirectory(MediaRoot);
        Emulator = NewEmulator(MediaRoot);
        var api = await Emulator.StartAsync(CancellationToken.None);
        return MediaMtxSettings(api, Emulator.RtspPort);
    }

    public static Emulator NewEmulator(string mediaRoot) => new(new EmulatorOptions
    {
        ApiAddress = "127.0.0.1:0",
        RtspAddress = "127.0.0.1:0",
        RecordingsRoot = mediaRoot,
        Media = true,
        RtspServer = true,
    });

    public static Dictionary<string, string> MediaMtxSettings(Uri api, int rtspPort) => new()
    {
        ["CameraService:StreamBackend"] = "mediamtx",
        ["Plugins:MediaMtx:ApiUrl"] = api.ToString().TrimEnd('/'),
        ["Plugins:MediaMtx:RtspPort"] = rtspPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Plugins:MediaMtx:RtspHost"] = "127.0.0.1",
        ["Plugins:MediaMtx:PublicHost"] = "127.0.0.1",
        ["Plugins:MediaMtx:SegmentDuration"] = "00:00:02",
        ["Plugins:MediaMtx:ReconcileInterval"] = "00:00:01",
        ["Plugins:MediaMtx:CircuitBreakDuration"] = "00:00:01",
        ["Plugins:MediaMtx:RequestTimeout"] = "00:00:02",
    };

    protected override async Task CleanupAsync()
    {
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }
}

using System.Buffers;
using System.Text;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Core;
using CameraService.Core.Auth;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CameraService.Benchmarks;

/// <summary>
/// The real core (<c>AddCameraServiceCore</c>) over a temporary state directory with <see cref="CameraCount"/> cameras of
/// a bench source, started through its own lifecycle, driven through <see cref="IRpcEndpoint"/> with real JSON bytes
/// like the WebSocket transport drives it (one response buffer per session, reused).
/// </summary>
internal sealed class CoreFixture : IAsyncDisposable
{
    public const int CameraCount = 4;

    private readonly string _state;
    private readonly IHostedService _lifecycle;

    public CoreFixture()
    {
        _state = Directory.CreateTempSubdirectory("camera-service-bench-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["State:Directory"] = _state,
            ["Storage:Root"] = Path.Combine(_state, "media"),
            // As perf/run.sh --start-service: the bucket is evaluated on every call but never refuses one.
            ["Api:RateLimit:RequestsPerSecond"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ICameraSource>(new BenchCameraSource(CameraCount));
        services.AddCameraServiceCore(configuration, new PluginCatalog([]));
        Services = services.BuildServiceProvider();

        // As in the service, whose /metrics endpoint creates the exporter at start: its listener is then on every call's path.
        _ = Services.GetRequiredService<Core.Metrics.PrometheusExporter>();
        _lifecycle = Services.GetServices<IHostedService>().Single(s => s.GetType().Name == "ServiceLifecycle");
        _lifecycle.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        AdminToken = Services.GetRequiredService<JwtTokenService>().Create("bench", ApiRole.Admin, TimeSpan.FromHours(1));
    }

    public ServiceProvider Services { get; }

    public IRpcEndpoint Endpoint => Services.GetRequiredService<IRpcEndpoint>();

    public string AdminToken { get; }

    /// <summary>A session authenticated with <paramref name="token"/> (the admin's by default), as after <c>authenticate</c>.</summary>
    public IRpcSession Authenticated(IRpcConnection connection, string? token = null)
    {
        var session = Endpoint.OpenSession(connection);
        var response = new ArrayBufferWriter<byte>();
        var call = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"authenticate","params":{"auth_token":"{{token ?? AdminToken}}"},"id":0}""");
        session.HandleMessageAsync(call, response, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (!Encoding.UTF8.GetString(response.WrittenSpan).Contains("\"authenticated\":true", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("authenticate failed: " + Encoding.UTF8.GetString(response.WrittenSpan));
        }

        return session;
    }

    public async ValueTask DisposeAsync()
    {
        await _lifecycle.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Services.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(_state, recursive: true);
    }
}

/// <summary>A camera source with a fixed set of available cameras (no capture input: nothing is published).</summary>
internal sealed class BenchCameraSource(int count) : ICameraSource
{
    public string Name => "bench";

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var camera in GetCameras())
        {
            CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = CameraChangeKind.Added, Camera = camera });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<CameraDescriptor> GetCameras() =>
        [.. Enumerable.Range(0, count).Select(i => new CameraDescriptor
        {
            StableId = "bench-" + i,
            Source = "bench",
            Name = "Bench Camera " + i,
            DevicePath = "/dev/video" + (i * 2),
            Driver = "uvcvideo",
            BusInfo = "usb-0000:00:14.0-" + (i + 1),
            State = CameraState.Available,
            Formats = [new CameraFormat { FourCc = "MJPG", Description = "Motion-JPEG", Compressed = true, Sizes = [new FrameSize { Width = 1280, Height = 720, FrameRates = [30, 15] }] }],
            Controls = [],
        })];
}

/// <summary>The transport's side of a session: a notification is copied into a pooled array and released, like a queue that drains at once.</summary>
internal sealed class BenchConnection(string id) : IRpcConnection
{
    public long Received { get; private set; }

    public string ConnectionId => id;

    public string? RemoteAddress => "127.0.0.1";

    public string? InitialCredential => null;

    public bool TrySendNotification(ReadOnlySpan<byte> utf8Message)
    {
        var copy = ArrayPool<byte>.Shared.Rent(utf8Message.Length);
        utf8Message.CopyTo(copy);
        ArrayPool<byte>.Shared.Return(copy);
        Received++;
        return true;
    }

    public void Close(string reason)
    {
    }
}

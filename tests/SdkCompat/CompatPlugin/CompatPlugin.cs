using System.Text;
using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SdkCompat;

/// <summary>
/// A plugin as a vendor wrote it against SDK 2.0: a camera source (object initializers for the SDK's data types, the
/// event, a synthetic capture description) that also serves an HTTP endpoint reporting what it got from
/// <see cref="IServiceEnvironment"/>. The compatibility test checks each of these through the current host.
/// </summary>
public sealed class CompatPlugin : IPlugin
{
    public string Id => "sdk-compat";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
    }
}

internal sealed class CompatCameraSource(IServiceEnvironment environment) : ICameraSource, IHttpEndpointSource
{
    private IReadOnlyList<CameraDescriptor> _cameras = [];

    public string Name => "sdk-compat";

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public IReadOnlyList<HttpEndpoint> Endpoints => [new HttpEndpoint { Method = "GET", Pattern = "/sdk-compat/environment", Handler = DescribeAsync }];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // State written where the SDK says a plugin keeps it.
        File.WriteAllText(Path.Combine(environment.StateDirectory, "started.txt"), environment.Time.GetUtcNow().ToString("O"));

        var camera = new CameraDescriptor
        {
            StableId = "sdk-compat-0",
            Source = Name,
            Name = "SDK 2.0 camera",
            BusInfo = "virtual:sdk-compat-0",
            Formats = [new CameraFormat { FourCc = PixelFormats.Yu12, Sizes = [new FrameSize { Width = 320, Height = 240, FrameRates = [10] }] }],
            CaptureInput = new SyntheticCaptureInput
            {
                Pattern = SyntheticPattern.ColorBars,
                Video = new VideoMode { PixelFormat = PixelFormats.Yu12, Width = 320, Height = 240, FrameRate = 10 },
            },
        };
        _cameras = [camera];
        CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = CameraChangeKind.Added, Camera = camera });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<CameraDescriptor> GetCameras() => _cameras;

    private ValueTask<HttpReply> DescribeAsync(HttpRequestData request, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["stateFileWritten"] = File.Exists(Path.Combine(environment.StateDirectory, "started.txt")),
            ["serviceVersion"] = environment.ServiceVersion,
            ["publicBaseUrl"] = environment.PublicBaseUrl,
            ["snapshotsDirectory"] = environment.Media.SnapshotsDirectory,
            ["sdk"] = AbstractionsVersion.Current.ToString(),
            ["health"] = ComponentStatus.Running.State.ToString(),
        });
        return ValueTask.FromResult<HttpReply>(new HttpContentReply { ContentType = "application/json", Body = Encoding.UTF8.GetBytes(body) });
    }
}

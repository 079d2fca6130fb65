using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx;

/// <summary>Entry type of the <c>mediamtx</c> plugin: MediaMTX stream backend.</summary>
public sealed class MediaMtxPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "mediamtx";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MediaMtxOptions>()
            .BindConfiguration(MediaMtxOptions.SectionName)
            .Configure<IServiceEnvironment>((o, environment) => o.StateDirectory ??= environment.StateDirectory)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MediaMtxOptions>, MediaMtxOptionsValidator>());

        // No credential configured: use the service's own (derived from its secret), which the core's
        // POST /mediamtx/auth accepts for api, publish and read when MediaMTX runs with authMethod: http.
        services.AddSingleton<IPostConfigureOptions<MediaMtxOptions>>(sp => new PostConfigureOptions<MediaMtxOptions>(Options.DefaultName, o =>
        {
            if (string.IsNullOrEmpty(o.Username) && string.IsNullOrEmpty(o.Token) && sp.GetService<IServiceCredentials>() is { } own)
            {
                o.Username = own.User;
                o.Password = own.Password;
            }
        }));
        services.TryAddSingleton(TimeProvider.System);

        // Timeouts are enforced per attempt by the client's Polly pipeline, so the HttpClient's own is disabled.
        // Its default request logging writes a full stack trace per refused connection while MediaMTX is down; the
        // client logs outages itself (circuit opened/closed), once.
        services.AddHttpClient(MediaMtxClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.TryAddSingleton<MediaMtxMetrics>();
        services.TryAddSingleton<MediaMtxClient>();
        services.TryAddSingleton<FfmpegSnapshotter>();
        services.TryAddSingleton<MediaMtxBackend>();
        services.AddSingleton<IStreamBackend>(sp => sp.GetRequiredService<MediaMtxBackend>());
    }
}

using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>Entry type of the <c>ffmpeg</c> plugin: a stream backend that drives ffmpeg directly (no media server).</summary>
public sealed class FfmpegPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "ffmpeg";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddFfmpegStreamBackend();
    }
}

/// <summary>Registration of the ffmpeg backend, shared by the plugin entry and the tests.</summary>
internal static class FfmpegServiceCollectionExtensions
{
    public static IServiceCollection AddFfmpegStreamBackend(this IServiceCollection services)
    {
        services.AddOptions<FfmpegOptions>().BindConfiguration(FfmpegOptions.SectionName)
            .Configure<IServiceEnvironment>((o, environment) =>
            {
                // Not a shared /tmp that another user could pre-create (issue 17): the plugin's own state folder.
                if (string.IsNullOrWhiteSpace(o.HlsDirectory))
                {
                    o.HlsDirectory = Path.Combine(Path.GetFullPath(environment.StateDirectory), "hls");
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FfmpegOptions>, FfmpegOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FfmpegStreamBackend>();
        services.AddSingleton<IStreamBackend>(sp => sp.GetRequiredService<FfmpegStreamBackend>());
        services.AddSingleton<IHttpEndpointSource, HlsEndpointSource>();
        return services;
    }
}

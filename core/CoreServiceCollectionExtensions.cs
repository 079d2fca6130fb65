using CameraService.Core.Hosting;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CameraService.Core;

/// <summary>Registers the core services.</summary>
public static class CoreServiceCollectionExtensions
{
    /// <summary>Adds the camera service core: component selection, lifecycle, and (filled by later work) registry, RPC, auth, events.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration.</param>
    /// <param name="plugins">What the host's plugin loader found.</param>
    public static IServiceCollection AddCameraServiceCore(this IServiceCollection services, IConfiguration configuration, PluginCatalog plugins)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(plugins);
        services.TryAddSingleton(configuration);
        services.TryAddSingleton<ActiveComponents>();
        services.AddHostedService<ServiceLifecycle>();
        return services;
    }
}

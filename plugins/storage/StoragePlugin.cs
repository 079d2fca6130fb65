using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Storage;

/// <summary>Entry type of the <c>storage</c> plugin: Recordings and snapshots on disk.</summary>
public sealed class StoragePlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "storage";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.SectionName))
            .Configure<IServiceEnvironment>((options, environment) =>
            {
                options.Root = environment.Media.RootDirectory;
                options.StateDirectory = environment.StateDirectory;

                // <State:Directory>/plugins/storage → <State:Directory>, where versions before SDK 2.0 kept the policy.
                options.LegacyStateDirectory = Path.GetDirectoryName(Path.GetDirectoryName(environment.StateDirectory));
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFileSystemStatusProvider, StatvfsStatusProvider>();
        services.TryAddSingleton<StorageMetrics>();
        services.TryAddSingleton<StorageMediaStore>();
        services.AddSingleton<IMediaStore>(sp => sp.GetRequiredService<StorageMediaStore>());

        // IAccessControl comes from the core; without it downloads answer 503 instead of the service failing to start.
        services.AddSingleton<IHttpEndpointSource>(sp => new FileDownloadEndpoints(
            sp.GetRequiredService<StorageMediaStore>(),
            sp.GetService<IAccessControl>(),
            sp.GetRequiredService<ILogger<FileDownloadEndpoints>>()));
    }
}

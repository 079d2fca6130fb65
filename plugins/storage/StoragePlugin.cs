using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
    }
}

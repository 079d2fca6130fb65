using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
    }
}

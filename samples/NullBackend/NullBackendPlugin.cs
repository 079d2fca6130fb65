using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Samples.NullBackend;

/// <summary>
/// Entry type of the <c>null-backend</c> plugin. It registers nothing: the host finds <see cref="NullStreamBackend"/>
/// (an <c>IStreamBackend</c>) in this assembly and registers it. Select it with <c>CameraService:StreamBackend=null</c>.
/// </summary>
public sealed class NullBackendPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "null-backend";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
    }
}

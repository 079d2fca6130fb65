using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Abstractions.Plugins;

/// <summary>
/// The single entry type of a plugin assembly. The host creates it with its parameterless
/// constructor, reads <see cref="Id"/> and calls <see cref="ConfigureServices"/> once, before the
/// service provider is built. It describes the plugin and registers services; it does nothing else
/// (no work at construction, no service location).
/// </summary>
public interface IPlugin
{
    /// <summary>The plugin id, equal to the <c>id</c> in its <c>plugin.json</c> (lower case, e.g. <c>v4l2</c>).</summary>
    string Id { get; }

    /// <summary>
    /// Registers the plugin's services. Contract implementations are registered as their contract
    /// interface (<see cref="Cameras.ICameraSource"/>, <see cref="Streaming.IStreamBackend"/>,
    /// <see cref="Media.IMediaStore"/>, <see cref="Api.IApiTransport"/>) and are picked by name by the host.
    /// </summary>
    /// <param name="services">The service collection of the host.</param>
    /// <param name="configuration">The whole configuration; the plugin's own section is <c>Plugins:&lt;Id&gt;</c>.</param>
    void ConfigureServices(IServiceCollection services, IConfiguration configuration);
}

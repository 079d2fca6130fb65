using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Abstractions.Plugins;

/// <summary>The plugin entry type of the imaginary next SDK major (a changed signature).</summary>
public interface IPlugin
{
    string Id { get; }

    void ConfigureServices(IServiceCollection services, IConfiguration configuration, string hostVersion);
}

using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Plugins.V4l2;

/// <summary>Entry type of the <c>v4l2</c> plugin: Linux V4L2 camera source.</summary>
public sealed class V4l2Plugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "v4l2";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
    }
}

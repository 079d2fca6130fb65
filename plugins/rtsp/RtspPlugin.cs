using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Rtsp;

/// <summary>Entry type of the <c>rtsp</c> plugin: network cameras (RTSP streams) and the original's external-stream methods.</summary>
public sealed class RtspPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "rtsp";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RtspOptions>().BindConfiguration(RtspOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RtspOptions>, RtspOptionsValidator>());
    }
}

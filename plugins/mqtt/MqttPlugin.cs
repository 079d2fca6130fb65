using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Mqtt;

/// <summary>Entry type of the <c>mqtt</c> plugin: the MQTT bridge with Home Assistant discovery (docs/mqtt.md).</summary>
public sealed class MqttPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "mqtt";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MqttMetrics>();
        services.AddSingleton<MqttBridge>();
        services.AddSingleton<IApiTransport>(sp => sp.GetRequiredService<MqttBridge>());
    }
}

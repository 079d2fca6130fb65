using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Entry type of the <c>fleet</c> plugin: fleet mode on NATS (api-contract.md §8.6, docs/fleet.md). With
/// <c>Fleet:Role=standalone</c> (the default) it registers nothing but the configuration check.
/// </summary>
public sealed class FleetPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "fleet";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FleetOptions>().BindConfiguration(FleetOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FleetOptions>, FleetOptionsValidator>());

        // An invalid role is reported by the validator at start (exit 2); until then it registers no role.
        switch (FleetOptionsValidator.ParseRole(configuration[$"{FleetOptions.SectionName}:Role"]))
        {
            case FleetRole.Node:
                AddShared(services);
                services.AddHostedService<FleetNode>();
                break;
            case FleetRole.Gateway:
                AddShared(services);
                services.AddSingleton<FleetGateway>();
                services.AddHostedService(sp => sp.GetRequiredService<FleetGateway>());
                services.AddSingleton<IRpcCallRouter, GatewayRouter>();
                break;
        }
    }

    private static void AddShared(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FleetSigner>();
        services.TryAddSingleton<FleetMetrics>();
    }
}

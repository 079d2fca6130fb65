using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.WebSocket;

/// <summary>Entry type of the <c>websocket</c> plugin: WebSocket JSON-RPC transport and HTTP endpoints.</summary>
public sealed class WebSocketPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "websocket";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<WebSocketTransportOptions>()
            .BindConfiguration(WebSocketTransportOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebSocketTransportOptions>, WebSocketTransportOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // Registered here (not left to the host's scan) so the transport is one singleton with a known lifetime.
        services.TryAddSingleton<TransportMetrics>();
        services.AddSingleton<IApiTransport, WebSocketTransport>();
    }
}

using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
    }
}

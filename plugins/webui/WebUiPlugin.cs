using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Plugins.WebUi;

/// <summary>
/// Entry type of the <c>webui</c> plugin: the browser console at <c>GET /</c> of the API listener. It serves static
/// assets only; the page talks to the service through the public WebSocket JSON-RPC API like any other client.
/// </summary>
public sealed class WebUiPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "webui";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<ConsoleAssets>();
        services.AddSingleton<SignInCodes>();
        services.AddSingleton<IConsoleSignIn>(sp => sp.GetRequiredService<SignInCodes>());
    }
}

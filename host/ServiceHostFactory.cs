using CameraService.Core;
using CameraService.Core.Plugins;
using CameraService.Host.Configuration;
using CameraService.Host.Logging;
using CameraService.Host.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Host;

/// <summary>Builds the service's generic host: configuration, logging, plugins, core.</summary>
internal static class ServiceHostFactory
{
    public static (IHost Host, PluginCatalog Plugins) Build(IConfigurationRoot configuration, HostSettings settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            Configuration = new ConfigurationManager(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(configuration);

        // Under systemd (Type=notify): READY=1 once the host has started, STOPPING=1 on shutdown, journald log format.
        // Elsewhere this does nothing.
        builder.Services.AddSystemd();

        // JSON when stdout is not a terminal, text when it is, systemd under systemd (Logging:Format overrides);
        // secrets masked, identical warnings rate-limited (Logging:RepeatWindow).
        LoggingSetup.Configure(builder.Logging, configuration);

        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = settings.ShutdownTimeout;
            o.ServicesStartConcurrently = false;
            o.ServicesStopConcurrently = false;
        });

        var plugins = new PluginLoader(configuration).LoadAll(settings.PluginsDirectory, builder.Services);
        builder.Services.AddHostedService(sp => new PluginStateLogger(plugins, sp.GetRequiredService<ILogger<PluginStateLogger>>()));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(PluginEnvironments.MediaOf(settings));
        builder.Services.AddSingleton<PluginEnvironments>();
        PluginScopedServices.AddServiceEnvironment(builder.Services);
        builder.Services.AddCameraServiceCore(configuration, plugins);
        return (builder.Build(), plugins);
    }
}

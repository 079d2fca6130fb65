using CameraService.Core.Plugins;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Host.Plugins;

/// <summary>
/// Logs what the loader made of each plugin folder when the service starts, so an operator sees in the journal
/// why a plugin is not there (the same reasons <c>camera-service plugins</c> prints). Registered before the core,
/// so these lines come first. Event ids 100–119.
/// </summary>
internal sealed partial class PluginStateLogger(PluginCatalog catalog, ILogger<PluginStateLogger> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (catalog.Plugins.Count == 0)
        {
            LogNoPlugins(logger);
        }

        foreach (var plugin in catalog.Plugins)
        {
            if (plugin.State == PluginState.Loaded)
            {
                LogLoaded(logger, plugin.Id, plugin.Version, string.Join(", ", plugin.Contracts));
            }
            else
            {
                LogNotLoaded(logger, plugin.Id, plugin.State, plugin.Reason ?? string.Empty, plugin.Directory);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Plugin {PluginId} {Version} loaded, providing {Contracts}")]
    private static partial void LogLoaded(ILogger logger, string pluginId, string version, string contracts);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Plugin {PluginId} is {State}: {Reason} (folder {Directory})")]
    private static partial void LogNotLoaded(ILogger logger, string pluginId, PluginState state, string reason, string directory);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "No plugins found; check Plugins:Directory (`camera-service plugins` shows where the host looks)")]
    private static partial void LogNoPlugins(ILogger logger);
}

using System.Collections.Concurrent;
using CameraService.Abstractions.Plugins;
using CameraService.Core.Rpc;
using CameraService.Host.Configuration;

namespace CameraService.Host.Plugins;

/// <summary>
/// Makes the <see cref="IServiceEnvironment"/> of each plugin: the values every plugin shares (version, public URL,
/// media layout, clock) plus the plugin's own state folder <c>&lt;State:Directory&gt;/plugins/&lt;id&gt;</c>.
/// </summary>
internal sealed class PluginEnvironments(HostSettings settings, PublicEndpoint endpoint, TimeProvider time)
{
    /// <summary>The folder below <c>State:Directory</c> that holds one folder per plugin.</summary>
    public const string PluginsStateFolder = "plugins";

    private readonly ConcurrentDictionary<string, IServiceEnvironment> _byPlugin = new(StringComparer.Ordinal);

    private readonly MediaLayout _media = new()
    {
        RootDirectory = settings.StorageRoot,
        RecordingsDirectory = Path.Combine(settings.StorageRoot, "recordings"),
        SnapshotsDirectory = Path.Combine(settings.StorageRoot, "snapshots"),
    };

    /// <summary>The environment of the plugin <paramref name="pluginId"/>; its state folder exists when this returns.</summary>
    public IServiceEnvironment For(string pluginId) => _byPlugin.GetOrAdd(pluginId, Create);

    private ServiceEnvironment Create(string pluginId)
    {
        var state = Path.Combine(settings.StateDirectory, PluginsStateFolder, pluginId);
        Directory.CreateDirectory(state);
        return new ServiceEnvironment(Program.Version, state, endpoint.BaseUrl, endpoint.Host, _media, time);
    }

    private sealed record ServiceEnvironment(
        string ServiceVersion,
        string StateDirectory,
        string PublicBaseUrl,
        string PublicHost,
        MediaLayout Media,
        TimeProvider Time) : IServiceEnvironment;
}

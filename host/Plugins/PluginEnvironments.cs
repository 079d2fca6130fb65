using System.Collections.Concurrent;
using CameraService.Abstractions.Plugins;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;

namespace CameraService.Host.Plugins;

/// <summary>
/// Makes the <see cref="IServiceEnvironment"/> of each plugin: the values every plugin shares (version, public URL,
/// WebSocket path, media layout, clock, node id, selected backend and store) plus the plugin's own state folder
/// <c>&lt;State:Directory&gt;/plugins/&lt;id&gt;</c>. The host reads those keys here so that no plugin has to.
/// </summary>
internal sealed class PluginEnvironments(HostSettings settings, PublicEndpoint endpoint, TimeProvider time, IConfiguration configuration)
{
    /// <summary>The folder below <c>State:Directory</c> that holds one folder per plugin.</summary>
    public const string PluginsStateFolder = "plugins";

    private readonly ConcurrentDictionary<string, IServiceEnvironment> _byPlugin = new(StringComparer.Ordinal);

    private readonly MediaLayout _media = MediaOf(settings);

    private readonly string _nodeId = configuration[ConfigurationKeys.NodeId] is { Length: > 0 } node ? node : Environment.MachineName;

    private readonly string _streamBackend = ActiveComponents.SelectedStreamBackend(configuration);

    private readonly string _mediaStore = ActiveComponents.SelectedMediaStore(configuration);

    /// <summary>The media folders below <c>Storage:Root</c> (also given to the core, e.g. for the disk metric).</summary>
    public static MediaLayout MediaOf(HostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new MediaLayout
        {
            RootDirectory = settings.StorageRoot,
            RecordingsDirectory = Path.Combine(settings.StorageRoot, "recordings"),
            SnapshotsDirectory = Path.Combine(settings.StorageRoot, "snapshots"),
        };
    }

    /// <summary>The environment of the plugin <paramref name="pluginId"/>; its state folder exists when this returns.</summary>
    public IServiceEnvironment For(string pluginId) => _byPlugin.GetOrAdd(pluginId, Create);

    private ServiceEnvironment Create(string pluginId)
    {
        var state = Path.Combine(settings.StateDirectory, PluginsStateFolder, pluginId);
        Directory.CreateDirectory(state);
        return new ServiceEnvironment(Program.Version, state, endpoint.BaseUrl, endpoint.Host, _media, time)
        {
            ApiWebSocketPath = endpoint.WebSocketPath,
            NodeId = _nodeId,
            SelectedStreamBackend = _streamBackend,
            SelectedMediaStore = _mediaStore,
        };
    }

    private sealed record ServiceEnvironment(
        string ServiceVersion,
        string StateDirectory,
        string PublicBaseUrl,
        string PublicHost,
        MediaLayout Media,
        TimeProvider Time) : IServiceEnvironment
    {
        public required string ApiWebSocketPath { get; init; }

        public required string NodeId { get; init; }

        public required string SelectedStreamBackend { get; init; }

        public required string SelectedMediaStore { get; init; }
    }
}

namespace CameraService.Core.Plugins;

/// <summary>What the host found for one plugin folder.</summary>
/// <param name="Id">Plugin id (from the manifest, or the folder name when the manifest is unreadable).</param>
/// <param name="Version">Plugin version from the manifest, or empty.</param>
/// <param name="State">Load state.</param>
/// <param name="Reason">Why it is not loaded; null when loaded.</param>
/// <param name="Contracts">The contract interfaces it provides, e.g. <c>ICameraSource</c>.</param>
/// <param name="Directory">The plugin folder.</param>
public sealed record PluginRecord(string Id, string Version, PluginState State, string? Reason, IReadOnlyList<string> Contracts, string Directory);

/// <summary>Plugin load states.</summary>
public enum PluginState
{
    /// <summary>Loaded and registered.</summary>
    Loaded,

    /// <summary>Disabled by configuration (<c>Plugins:&lt;Id&gt;:Enabled=false</c>).</summary>
    Disabled,

    /// <summary>Not loadable by this host: wrong abstractions version, own abstractions copy, missing dependency, bad manifest.</summary>
    Incompatible,

    /// <summary>Threw while loading or registering.</summary>
    Faulted,
}

/// <summary>The plugins the host found, in load order. Registered by the host.</summary>
/// <param name="Plugins">Every plugin folder with its state.</param>
public sealed record PluginCatalog(IReadOnlyList<PluginRecord> Plugins)
{
    /// <summary>
    /// The loaded plugin that <paramref name="type"/> comes from, found by the folder its assembly was loaded
    /// from (each plugin loads from its own folder); null for types of the host, the core or the framework.
    /// </summary>
    /// <param name="type">A service implementation type.</param>
    public PluginRecord? FindOwner(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var location = type.Assembly.Location;
        if (string.IsNullOrEmpty(location))
        {
            return null;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(location)) + Path.DirectorySeparatorChar;
        return Plugins.FirstOrDefault(p => p.State == PluginState.Loaded
            && folder.StartsWith(Path.GetFullPath(p.Directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }
}

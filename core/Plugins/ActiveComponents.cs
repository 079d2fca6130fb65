using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Configuration;

namespace CameraService.Core.Plugins;

/// <summary>
/// The contract implementations picked by configuration: one stream backend
/// (<c>CameraService:StreamBackend</c>), one media store (<c>CameraService:MediaStore</c>), and the camera
/// sources and transports listed in <c>CameraService:CameraSources</c>/<c>CameraService:Transports</c>
/// (all registered ones when the list is empty). Names must be unique per contract.
/// </summary>
public sealed class ActiveComponents
{
    private readonly PluginCatalog? _plugins;

    /// <summary>Picks the active implementations.</summary>
    /// <param name="sources">Every registered camera source.</param>
    /// <param name="backends">Every registered stream backend.</param>
    /// <param name="stores">Every registered media store.</param>
    /// <param name="transports">Every registered API transport.</param>
    /// <param name="configuration">The configuration (<c>CameraService:*</c>).</param>
    /// <param name="plugins">The loaded plugins, to name the plugin ids in a duplicate-name error.</param>
    /// <exception cref="InvalidOperationException">Two implementations share a name.</exception>
    public ActiveComponents(
        IEnumerable<ICameraSource> sources,
        IEnumerable<IStreamBackend> backends,
        IEnumerable<IMediaStore> stores,
        IEnumerable<IApiTransport> transports,
        IConfiguration configuration,
        PluginCatalog? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _plugins = plugins;
        var section = configuration.GetSection("CameraService");
        CameraSources = PickMany(sources.ToList(), s => s.Name, section.GetSection("CameraSources").Get<string[]>(), "camera source");
        Transports = PickMany(transports.ToList(), t => t.Name, section.GetSection("Transports").Get<string[]>(), "API transport");
        StreamBackendName = SelectedStreamBackend(configuration);
        MediaStoreName = SelectedMediaStore(configuration);
        StreamBackend = PickOne(backends.ToList(), x => x.Name, StreamBackendName, "stream backend");
        MediaStore = PickOne(stores.ToList(), x => x.Name, MediaStoreName, "media store");
    }

    /// <summary>The configured stream backend name (<c>CameraService:StreamBackend</c>, default <c>mediamtx</c>), also told to plugins (<c>IServiceEnvironment.SelectedStreamBackend</c>).</summary>
    public static string SelectedStreamBackend(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration["CameraService:StreamBackend"] is { Length: > 0 } b ? b : "mediamtx";
    }

    /// <summary>The configured media store name (<c>CameraService:MediaStore</c>, default <c>storage</c>), also told to plugins (<c>IServiceEnvironment.SelectedMediaStore</c>).</summary>
    public static string SelectedMediaStore(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration["CameraService:MediaStore"] is { Length: > 0 } m ? m : "storage";
    }

    /// <summary>The active camera sources.</summary>
    public IReadOnlyList<ICameraSource> CameraSources { get; }

    /// <summary>The active transports.</summary>
    public IReadOnlyList<IApiTransport> Transports { get; }

    /// <summary>The configured stream backend name.</summary>
    public string StreamBackendName { get; }

    /// <summary>The configured media store name.</summary>
    public string MediaStoreName { get; }

    /// <summary>The active stream backend, or null when no loaded plugin provides the configured one.</summary>
    public IStreamBackend? StreamBackend { get; }

    /// <summary>The active media store, or null when no loaded plugin provides the configured one.</summary>
    public IMediaStore? MediaStore { get; }

    private T? PickOne<T>(List<T> all, Func<T, string> name, string wanted, string what)
        where T : class
    {
        EnsureUnique(all, name, what);
        return all.FirstOrDefault(x => string.Equals(name(x), wanted, StringComparison.OrdinalIgnoreCase));
    }

    private List<T> PickMany<T>(List<T> all, Func<T, string> name, string[]? wanted, string what)
    {
        EnsureUnique(all, name, what);
        if (wanted is null || wanted.Length == 0)
        {
            return all;
        }

        return all.Where(x => wanted.Contains(name(x), StringComparer.OrdinalIgnoreCase)).ToList();
    }

    private void EnsureUnique<T>(List<T> all, Func<T, string> name, string what)
    {
        var duplicate = all.GroupBy(name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            var owners = string.Join(" and ", duplicate.Select(x => Owner(x!.GetType())));
            throw new InvalidOperationException(
                $"Two {what}s are named '{duplicate.Key}' (from {owners}); disable one of the plugins with Plugins:<Id>:Enabled=false.");
        }
    }

    private string Owner(Type type) =>
        _plugins?.FindOwner(type) is { } plugin
            ? $"plugin '{plugin.Id}'"
            : $"assembly {type.Assembly.GetName().Name}";
}

using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Plugins;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Plugins;
using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using McMasterPluginLoader = McMaster.NETCore.Plugins.PluginLoader;

namespace CameraService.Host.Plugins;

/// <summary>
/// Finds plugin folders, checks each manifest before any plugin code runs, loads each plugin into its own
/// load context (sharing only the abstractions and the Microsoft.Extensions abstractions with the host),
/// and registers its services. One bad plugin is reported with a state and a reason; it never stops the
/// others or the host.
/// </summary>
internal sealed class PluginLoader(IConfiguration configuration)
{
    /// <summary>The contracts a plugin can provide; implementations are found by scanning the plugin's assembly.</summary>
    internal static readonly Type[] Contracts =
    [
        typeof(ICameraSource), typeof(IStreamBackend), typeof(IMediaStore), typeof(IApiTransport), typeof(IHttpEndpointSource),
    ];

    private const string AbstractionsAssemblyName = "CameraService.Abstractions";

    // Types whose assemblies are shared with the host (type identity must be the host's).
    private static readonly Type[] SharedTypes =
    [
        typeof(IPlugin), typeof(IServiceCollection), typeof(IConfiguration), typeof(ILogger), typeof(ILoggerFactory),
        typeof(IOptions<>), typeof(IHostedService), typeof(IHostApplicationLifetime),
    ];

    /// <summary>Loads every plugin under <paramref name="pluginsDirectory"/> and registers the loaded ones into <paramref name="services"/>.</summary>
    public PluginCatalog LoadAll(string pluginsDirectory, IServiceCollection services)
    {
        var records = new List<PluginRecord>();
        if (!Directory.Exists(pluginsDirectory))
        {
            return new PluginCatalog(records);
        }

        var seenIds = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var dir in Directory.EnumerateDirectories(pluginsDirectory).Order(StringComparer.Ordinal))
        {
            try
            {
                records.Add(LoadOne(dir, services, seenIds));
            }
            catch (ConfigurationException)
            {
                throw; // a bad Plugins:<Id>:Enabled value is the operator's error: stop the start with exit code 2
            }
            catch (Exception ex) // last line of defence (unreadable folder, a throwing IPlugin.Id): one plugin never stops the host
            {
                records.Add(new PluginRecord(Path.GetFileName(dir), string.Empty, PluginState.Faulted, $"could not be loaded: {Describe(ex)}", [], dir));
            }
        }

        return new PluginCatalog(records);
    }

    private PluginRecord LoadOne(string directory, IServiceCollection services, Dictionary<string, string> seenIds)
    {
        var folderName = Path.GetFileName(directory);
        var (manifest, manifestError) = PluginManifest.Read(directory);
        var id = manifest?.Id is { Length: > 0 } mid ? mid : folderName;
        var version = manifest?.Version ?? string.Empty;
        PluginRecord Record(PluginState state, string? reason, IReadOnlyList<string>? contracts = null) =>
            new(id, version, state, reason, contracts ?? [], directory);

        if (manifestError is not null)
        {
            return Record(PluginState.Incompatible, manifestError);
        }

        if (seenIds.TryGetValue(id, out var otherDir))
        {
            return Record(PluginState.Incompatible, $"plugin id '{id}' is already used by the plugin in '{otherDir}'; remove one of the two folders");
        }

        seenIds[id] = directory;

        if (!IsEnabled(id))
        {
            return Record(PluginState.Disabled, $"disabled by configuration ({ConfigurationKeys.PluginEnabledKey(id)}=false)");
        }

        _ = PluginManifest.TryParseAbstractions(manifest!.Abstractions, out var targeted); // validated by Read
        if (!IsCompatible(targeted))
        {
            return Record(PluginState.Incompatible,
                $"targets plugin SDK (abstractions) {targeted.Major}.{targeted.Minor} but this host provides {AbstractionsVersion.Major}.{AbstractionsVersion.Minor}; {VersionAdvice}");
        }

        if (File.Exists(Path.Combine(directory, AbstractionsAssemblyName + ".dll")))
        {
            return Record(PluginState.Incompatible,
                $"ships its own copy of {AbstractionsAssemblyName}.dll; reference the abstractions with Private=\"false\" ExcludeAssets=\"runtime\" and remove the copy from the plugin folder");
        }

        var assemblyPath = Path.Combine(directory, manifest.Assembly!);
        if (!File.Exists(assemblyPath))
        {
            return Record(PluginState.Incompatible, $"entry assembly '{manifest.Assembly}' named in plugin.json is missing from the plugin folder");
        }

        var referenced = ReadAbstractionsReference(assemblyPath);
        if (referenced is { } refVersion && !IsCompatible(refVersion))
        {
            return Record(PluginState.Incompatible,
                $"was built against {AbstractionsAssemblyName} {refVersion.Major}.{refVersion.Minor} but this host provides {AbstractionsVersion.Major}.{AbstractionsVersion.Minor}; {VersionAdvice}");
        }

        Assembly assembly;
        IPlugin plugin;
        try
        {
            var loader = McMasterPluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes, config => config.PreferSharedTypes = false);
            assembly = loader.LoadDefaultAssembly();
            var pluginTypes = GetLoadableTypes(assembly).Where(t => t is { IsClass: true, IsAbstract: false }).ToList();
            var entry = pluginTypes.Where(t => typeof(IPlugin).IsAssignableFrom(t)).ToList();
            if (entry.Count == 0)
            {
                var foreign = pluginTypes.FirstOrDefault(t => t.GetInterfaces().Any(i => i.FullName == typeof(IPlugin).FullName));
                return foreign is not null
                    ? Record(PluginState.Incompatible,
                        $"its IPlugin type {foreign.FullName} implements a different copy of {AbstractionsAssemblyName} (type identity differs from the host's); do not ship or bind your own copy of the abstractions")
                    : Record(PluginState.Incompatible, $"{manifest.Assembly} contains no public or internal class implementing IPlugin");
            }

            if (entry.Count > 1)
            {
                return Record(PluginState.Incompatible, $"{manifest.Assembly} contains {entry.Count} IPlugin types; a plugin assembly has exactly one entry type");
            }

            plugin = (IPlugin)Activator.CreateInstance(entry[0], nonPublic: true)!;
        }
        catch (Exception ex) when (IsMissingDependency(ex, out var missing))
        {
            return Record(PluginState.Incompatible, $"missing dependency: {missing}; ship it in the plugin folder");
        }
        catch (Exception ex) // any other failure while loading plugin code is the plugin's fault, not the host's
        {
            return Record(PluginState.Faulted, $"threw while loading: {Describe(ex)}");
        }

        string pluginId;
        try
        {
            pluginId = plugin.Id;
        }
        catch (Exception ex) // plugin code: its failure is the plugin's, reported as Faulted
        {
            return Record(PluginState.Faulted, $"IPlugin.Id threw: {Describe(ex)}");
        }

        if (!string.Equals(pluginId, id, StringComparison.Ordinal))
        {
            return Record(PluginState.Incompatible, $"IPlugin.Id is '{pluginId}' but plugin.json says '{id}'; make them equal");
        }

        // Register into a scratch collection first, so a plugin that throws half-way leaves nothing behind.
        var scratch = new ServiceCollection();
        List<string> contracts;
        try
        {
            plugin.ConfigureServices(scratch, configuration);
            contracts = ScanContracts(assembly, scratch);
        }
        catch (Exception ex) when (IsMissingDependency(ex, out var missing))
        {
            return Record(PluginState.Incompatible, $"missing dependency: {missing}; ship it in the plugin folder");
        }
        catch (Exception ex) // a plugin that throws while registering is Faulted; the host goes on
        {
            return Record(PluginState.Faulted, $"threw in ConfigureServices: {Describe(ex)}");
        }

        foreach (var descriptor in scratch)
        {
            services.Add(PluginScopedServices.Bind(descriptor, id, assembly));
        }

        return Record(PluginState.Loaded, null, contracts);
    }

    /// <summary>
    /// Registers every contract implementation of the plugin's assembly (Scrutor, restricted to that
    /// assembly) as a singleton, unless the plugin registered that contract itself. One instance serves
    /// every contract the class implements.
    /// </summary>
    private static List<string> ScanContracts(Assembly assembly, ServiceCollection services)
    {
        var selfRegistered = services
            .Where(d => Contracts.Contains(d.ServiceType))
            .Select(d => d.ServiceType)
            .ToHashSet();

        var implementations = new List<Type>();
        services.Scan(scan => scan
            .FromAssemblies(assembly)
            .AddClasses(classes => classes.AssignableToAny(Contracts).Where(t => !t.IsAbstract && !IsRegisteredForAll(t, selfRegistered)), publicOnly: false)
            .AsSelf()
            .WithSingletonLifetime());

        foreach (var descriptor in services.Where(d => d.ServiceType.Assembly == assembly && d.ImplementationType == d.ServiceType).ToList())
        {
            implementations.Add(descriptor.ServiceType);
            foreach (var contract in Contracts.Where(c => c.IsAssignableFrom(descriptor.ServiceType) && !selfRegistered.Contains(c)))
            {
                var impl = descriptor.ServiceType;
                services.AddSingleton(contract, sp => sp.GetRequiredService(impl));
            }
        }

        return services
            .Where(d => Contracts.Contains(d.ServiceType))
            .Select(d => d.ServiceType.Name)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static bool IsRegisteredForAll(Type type, HashSet<Type> selfRegistered) =>
        Contracts.Where(c => c.IsAssignableFrom(type)).All(selfRegistered.Contains);

    private static readonly string VersionAdvice =
        $"rebuild the plugin against {AbstractionsAssemblyName} {AbstractionsVersion.Major}.{AbstractionsVersion.Minor} (a plugin may target an older {AbstractionsVersion.Major}.x, never a newer one or another major), or use a host that provides its SDK version";

    /// <summary>
    /// The versioning rule of the SDK, applied to the manifest's claim and to the reference recorded in the
    /// plugin assembly: same major, minor not newer than the host's (a newer minor may use members this host lacks).
    /// </summary>
    internal static bool IsCompatible(Version sdkVersion) =>
        sdkVersion.Major == AbstractionsVersion.Major && sdkVersion.Minor <= AbstractionsVersion.Minor;

    private bool IsEnabled(string id)
    {
        var key = ConfigurationKeys.PluginEnabledKey(id);
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        // A typo must not silently enable (or disable) a plugin.
        return bool.TryParse(value.Trim(), out var enabled)
            ? enabled
            : throw new ConfigurationException(key, $"must be true or false (got '{value}')");
    }

    private static Version? ReadAbstractionsReference(string assemblyPath)
    {
        try
        {
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return null;
            }

            var reader = pe.GetMetadataReader();
            foreach (var handle in reader.AssemblyReferences)
            {
                var reference = reader.GetAssemblyReference(handle);
                if (reader.GetString(reference.Name) == AbstractionsAssemblyName)
                {
                    return reference.Version;
                }
            }
        }
        catch (BadImageFormatException)
        {
            // Not a managed assembly: the load below reports it.
        }

        return null;
    }

    private static IEnumerable<Type> GetLoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            var missing = ex.LoaderExceptions.OfType<FileNotFoundException>().FirstOrDefault();
            if (missing is not null)
            {
                throw missing;
            }

            return ex.Types.Where(t => t is not null)!;
        }
    }

    /// <summary>
    /// True when <paramref name="ex"/> (or an inner exception) is the runtime failing to find or bind an
    /// assembly. A plugin's own FileNotFoundException for a data file names a path, not an assembly, and
    /// stays a fault of the plugin.
    /// </summary>
    private static bool IsMissingDependency(Exception ex, out string missing)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            var fileName = e switch
            {
                FileNotFoundException f => f.FileName,
                FileLoadException f => f.FileName,
                _ => null,
            };
            if (fileName is not null && fileName.Contains(", Version=", StringComparison.Ordinal))
            {
                missing = fileName;
                return true;
            }
        }

        missing = string.Empty;
        return false;
    }

    private static string Describe(Exception ex)
    {
        var inner = ex is TargetInvocationException { InnerException: { } i } ? i : ex;
        return $"{inner.GetType().Name}: {inner.Message}";
    }
}

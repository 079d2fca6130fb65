using CameraService.Shared;
using Microsoft.Extensions.Configuration;

namespace CameraService.Host.Configuration;

/// <summary>
/// Builds the service configuration, later sources winning: built-in defaults, <c>appsettings.json</c>
/// next to the binary, <c>/etc/camera-service/*.json</c> (or the file or folder given with <c>--config</c>),
/// environment variables prefixed <c>CAMERA_SERVICE_</c> (<c>__</c> separates sections), the command line
/// (<c>--Api:Port=18002</c>), and finally overrides of a profile such as <c>--demo</c>.
/// </summary>
internal static class ConfigurationFactory
{
    public const string DefaultConfigDirectory = "/etc/camera-service";
    public const string EnvironmentPrefix = "CAMERA_SERVICE_";

    public static IConfigurationRoot Build(string? configPath, IReadOnlyList<string> commandLine, IReadOnlyDictionary<string, string?>? profile = null)
    {
        // Before anything binds this configuration: every TimeSpan option of the core and the plugins reads
        // "30s", "5m" and "00:00:30" alike, and refuses a bare "30" (which .NET would read as 30 days).
        DurationConverter.Register();

        var builder = new ConfigurationBuilder();
        builder.AddInMemoryCollection(Defaults());
        builder.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);

        var path = configPath ?? DefaultConfigDirectory;
        if (File.Exists(path))
        {
            builder.AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false);
        }
        else if (Directory.Exists(path))
        {
            foreach (var file in Directory.EnumerateFiles(path, "*.json").Order(StringComparer.Ordinal))
            {
                builder.AddJsonFile(Path.GetFullPath(file), optional: true, reloadOnChange: false);
            }
        }
        else if (configPath is not null)
        {
            throw new ConfigurationException("--config", $"'{configPath}' is neither a file nor a folder");
        }

        if (profile is not null)
        {
            // A profile (--demo) sets what it needs, but explicit settings below still win.
            builder.AddInMemoryCollection(profile);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddCommandLine(commandLine.ToArray());
        return builder.Build();
    }

    private static Dictionary<string, string?> Defaults()
    {
        var runningAsRoot = Environment.UserName == "root";
        var dataRoot = runningAsRoot ? "/var/lib/camera-service" : Path.Combine(Environment.CurrentDirectory, "data");
        return new Dictionary<string, string?>
        {
            [ConfigurationKeys.StateDirectory] = runningAsRoot ? dataRoot : Path.Combine(dataRoot, "state"),
            [ConfigurationKeys.StorageRoot] = Path.Combine(dataRoot, "media"),
            [ConfigurationKeys.PluginsDirectory] = Path.Combine(AppContext.BaseDirectory, "plugins"),
        };
    }
}

/// <summary>A configuration value that breaks a rule; stops the start with one line naming the key and the rule.</summary>
internal sealed class ConfigurationException(string key, string rule) : Exception($"{key}: {rule}")
{
    public string Key { get; } = key;

    public string Rule { get; } = rule;
}

using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Host.Commands;

/// <summary>
/// <c>camera-service config check</c>: builds the service exactly as <c>run</c> does, without starting it, runs every
/// options binding and validator (ValidateOnStart), and prints the effective values with secrets redacted.
/// </summary>
internal static class ConfigCheckCommand
{
    private static readonly string[] OwnSections = ["Api", "Auth", "CameraService", "Host", "Logging", "Metrics", "Plugins", "State", "Storage", "Health", "Alerts", "Demo"];
    private static readonly string[] SecretWords = ["secret", "password", "token", "key"];

    public static int Run(string? configPath, IReadOnlyList<string> extra)
    {
        var configuration = ConfigurationFactory.Build(configPath, extra);
        var (host, _) = ServiceHostFactory.Build(configuration, HostSettings.Read(configuration));
        using (host)
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
        }

        Console.WriteLine("Configuration is valid. Effective values:");
        foreach (var (key, value) in Flatten(configuration))
        {
            Console.WriteLine($"  {key} = {Redact(key, value)}");
        }

        return ExitCodes.Success;
    }

    internal static IEnumerable<(string Key, string Value)> Flatten(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(kv => kv.Value is not null && OwnSections.Contains(kv.Key.Split(':')[0], StringComparer.OrdinalIgnoreCase))
            .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            .Select(kv => (kv.Key, kv.Value!));

    internal static string Redact(string key, string value)
    {
        var segments = key.Split(':');

        // An element of a list (Auth:ApiKeys:0) is named by its list.
        var name = segments.Length > 1 && segments[^1].All(char.IsAsciiDigit) ? segments[^2] : segments[^1];
        return SecretWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)) && value.Length > 0 && !name.EndsWith("Path", StringComparison.OrdinalIgnoreCase)
            ? "***"
            : value;
    }
}

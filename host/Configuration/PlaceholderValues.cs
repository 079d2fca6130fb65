using Microsoft.Extensions.Configuration;

namespace CameraService.Host.Configuration;

/// <summary>
/// Refuses to start with a placeholder left in the configuration (<c>CHANGE-ME</c>, as shipped examples and older
/// MediaMTX configurations carry): a service running with a published default password is worse than one that
/// does not run. One line names the key, exit code 2.
/// </summary>
internal static class PlaceholderValues
{
    public const string Placeholder = "CHANGE-ME";

    public static void Reject(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is not null && value.Contains(Placeholder, StringComparison.OrdinalIgnoreCase))
            {
                throw new ConfigurationException(key, $"still holds the placeholder {Placeholder}; set a real value (or remove the key) before starting");
            }
        }
    }
}

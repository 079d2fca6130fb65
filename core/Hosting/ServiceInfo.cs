using System.Globalization;
using System.Reflection;

namespace CameraService.Core.Hosting;

/// <summary>Name, version, build date and start time of the running service.</summary>
internal sealed class ServiceInfo
{
    public ServiceInfo(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var assembly = Assembly.GetEntryAssembly() ?? typeof(ServiceInfo).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(ServiceInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? "0.0.0";

        // The SDK appends "+<commit>" to the informational version; clients want the plain version.
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        Version = plus > 0 ? version[..plus] : version;
        Commit = plus > 0 ? version[(plus + 1)..] : null;
        var location = typeof(ServiceInfo).Assembly.Location;
        BuildDate = location.Length > 0 && File.Exists(location)
            ? File.GetLastWriteTimeUtc(location).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "unknown";
        StartedAt = timeProvider.GetUtcNow();
    }

    public string Name { get; } = "camera-service";

    public string Version { get; }

    public string? Commit { get; }

    public string BuildDate { get; }

    public DateTimeOffset StartedAt { get; }
}

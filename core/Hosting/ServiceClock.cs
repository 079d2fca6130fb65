namespace CameraService.Core.Hosting;

/// <summary>Service start time, uptime and version.</summary>
internal sealed class ServiceClock(TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public TimeSpan Uptime => time.GetUtcNow() - _started;

    public string Version { get; } =
        typeof(ServiceClock).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public string NowIso() => time.GetUtcNow().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

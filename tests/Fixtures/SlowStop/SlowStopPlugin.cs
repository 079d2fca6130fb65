using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

/// <summary>
/// A source whose stop takes <c>Plugins:slow-stop:StopDelay</c> and then writes <c>Plugins:slow-stop:MarkerFile</c>,
/// so a test can see that the host let it finish its shutdown.
/// </summary>
public sealed class SlowStopPlugin : IPlugin
{
    public string Id => "slow-stop";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var delay = TimeSpan.Parse(configuration["Plugins:slow-stop:StopDelay"] ?? "00:00:00", System.Globalization.CultureInfo.InvariantCulture);
        var marker = configuration["Plugins:slow-stop:MarkerFile"];
        services.AddSingleton<ICameraSource>(sp => new SlowStopCameraSource(delay, marker, sp.GetService<TimeProvider>() ?? TimeProvider.System));
    }
}

internal sealed class SlowStopCameraSource(TimeSpan delay, string? markerFile, TimeProvider timeProvider) : FixtureCameraSource
{
    public override string Name => "fixture-slow-stop";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (markerFile is not null)
        {
            await File.WriteAllTextAsync(markerFile, "started", cancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
        if (markerFile is not null)
        {
            await File.WriteAllTextAsync(markerFile, "stopped", cancellationToken).ConfigureAwait(false);
        }
    }
}

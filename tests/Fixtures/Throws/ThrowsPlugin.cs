using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

/// <summary>Registers a source, then throws: the loader must keep none of its registrations.</summary>
public sealed class ThrowsPlugin : IPlugin
{
    public string Id => "throws";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CameraService.Abstractions.Cameras.ICameraSource, ThrowsCameraSource>();
        throw new InvalidOperationException("fixture failure: the device table is corrupt");
    }
}

internal sealed class ThrowsCameraSource : FixtureCameraSource
{
    public override string Name => "fixture-throws";
}

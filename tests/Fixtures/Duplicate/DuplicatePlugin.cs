using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

/// <summary>Registers its source itself, under the name the good fixture uses too.</summary>
public sealed class DuplicatePlugin : IPlugin
{
    public string Id => "duplicate";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton<ICameraSource, DuplicateCameraSource>();
}

internal sealed class DuplicateCameraSource : FixtureCameraSource
{
    public override string Name => "fixture-good";
}

using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

public sealed class MissingDependencyPlugin : IPlugin
{
    public string Id => "missing-dependency";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton<CameraService.Abstractions.Cameras.ICameraSource>(new MissingDependencyCameraSource(FixtureLibrary.SourceName("fixture")));
}

internal sealed class MissingDependencyCameraSource(string name) : FixtureCameraSource
{
    public override string Name { get; } = name;
}

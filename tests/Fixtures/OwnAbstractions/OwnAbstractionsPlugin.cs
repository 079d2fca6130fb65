using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

public sealed class OwnAbstractionsPlugin : IPlugin
{
    public string Id => "own-abstractions";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
    }
}

internal sealed class OwnAbstractionsCameraSource : FixtureCameraSource
{
    public override string Name => "fixture-own-abstractions";
}

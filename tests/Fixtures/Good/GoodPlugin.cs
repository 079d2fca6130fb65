using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

/// <summary>Registers nothing itself: the host's scan must find <see cref="GoodCameraSource"/>.</summary>
public sealed class GoodPlugin : IPlugin
{
    public string Id => "good";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
    }
}

internal sealed class GoodCameraSource : FixtureCameraSource
{
    public override string Name => "fixture-good";
}

using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

/// <summary>
/// Registers no contract itself: the host's scan must find <see cref="GoodCameraSource"/>. It registers a keyed
/// helper, as real plugins may, which the loader must cope with.
/// </summary>
public sealed class GoodPlugin : IPlugin
{
    public string Id => "good";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration) =>
        services.AddKeyedSingleton<GoodHelper>("good-helper");
}

internal sealed class GoodHelper
{
    public string Greeting { get; } = "hello";
}

internal sealed class GoodCameraSource : FixtureCameraSource
{
    public override string Name => "fixture-good";
}

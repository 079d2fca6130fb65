using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

public sealed class ManifestV2Plugin : IPlugin
{
    public string Id => "manifest-v2";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration) =>
        throw new InvalidOperationException("The loader must reject the manifest before running plugin code.");
}

internal sealed class ManifestV2CameraSource : FixtureCameraSource
{
    public override string Name => "fixture-manifest-v2";
}

using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.TestPattern;

/// <summary>Entry type of the <c>testpattern</c> plugin: synthetic cameras for machines without any.</summary>
public sealed class TestPatternPlugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "testpattern";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<TestPatternOptions>()
            .BindConfiguration(TestPatternOptions.SectionName)
            .PostConfigure<IConfiguration>((options, config) => options.BindCamerasStrictly(config.GetSection(TestPatternOptions.SectionName + ":Cameras")))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TestPatternOptions>, TestPatternOptionsValidator>());
        services.AddSingleton<TestPatternCameraSource>();
        services.AddSingleton<ICameraSource>(sp => sp.GetRequiredService<TestPatternCameraSource>());
    }
}

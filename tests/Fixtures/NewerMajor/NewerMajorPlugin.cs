using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Tests.Fixtures;

public sealed class NewerMajorPlugin : IPlugin
{
    public string Id => "newer-major";

    public void ConfigureServices(IServiceCollection services, IConfiguration configuration, string hostVersion) =>
        throw new InvalidOperationException("The loader must never run a plugin built against another abstractions major.");
}

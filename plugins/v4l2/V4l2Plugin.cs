using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2;

/// <summary>Entry type of the <c>v4l2</c> plugin: Linux V4L2 camera source.</summary>
public sealed class V4l2Plugin : IPlugin
{
    /// <inheritdoc />
    public string Id => "v4l2";

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<V4l2Options>()
            .BindConfiguration(V4l2Options.SectionName)
            .PostConfigure<IConfiguration>((options, config) => options.BindCamerasStrictly(config.GetSection(V4l2Options.SectionName + ":Cameras")))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<V4l2Options>, V4l2OptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => CreateSource(
            sp.GetRequiredService<IOptions<V4l2Options>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ICameraSource>(sp => sp.GetRequiredService<V4l2CameraSource>());
    }

    /// <summary>A path from the configuration; a relative one is taken relative to the plugin's folder.</summary>
    internal static string ResolvePluginPath(string path) => Path.IsPathRooted(path)
        ? path
        : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(V4l2Plugin).Assembly.Location) ?? AppContext.BaseDirectory, path));

    private static V4l2CameraSource CreateSource(IOptions<V4l2Options> options, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger<V4l2CameraSource>();
        IVideoSyscalls syscalls = new LinuxVideoSyscalls();
        if (options.Value.FakeDevicesDirectory is { Length: > 0 } fake)
        {
            var directory = ResolvePluginPath(fake);
            Log.FakeMode(logger, directory);
            syscalls = SimulatedDeviceMode.CreateSyscalls(directory, uevents: syscalls);
        }

        return new V4l2CameraSource(options, syscalls, time, logger);
    }
}

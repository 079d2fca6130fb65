using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class PluginTests
{
    private static ServiceProvider Build(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        new V4l2Plugin().ConfigureServices(services, configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task ConfigureServices_FakeDevicesDirectory_RunsTheRealSourceAgainstAFakeTree()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video0", "c920-h264.txt");
        await using var provider = Build(tree.ConfigurationFor().Append(new("Plugins:V4l2:UseNetlink", "false")));

        var source = Assert.Single(provider.GetServices<ICameraSource>());
        await source.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal("v4l2", source.Name);
            var camera = Assert.Single(source.GetCameras());
            Assert.Equal("usb-046d_082d_A1B2C3D4", camera.StableId);
            Assert.Equal(CameraState.Available, camera.State);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ConfigureServices_Defaults_BindsDevAndSys()
    {
        await using var provider = Build([]);

        var options = provider.GetRequiredService<IOptions<V4l2Options>>().Value;

        Assert.Equal("/dev", options.DeviceRoot);
        Assert.Equal("/sys", options.SysfsRoot);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ReconcileInterval);
        Assert.Equal(["H264", "MJPG"], options.EffectivePreferredFormats);
        Assert.Null(options.FakeDevicesDirectory);
    }

    [Fact]
    public async Task ConfigureServices_PerCameraSection_BindsOverrideByStableId()
    {
        await using var provider = Build([
            new("Plugins:V4l2:Cameras:usb-046d_082d_A1B2C3D4:PixelFormat", "MJPG"),
            new("Plugins:V4l2:Cameras:usb-046d_082d_A1B2C3D4:Width", "1280"),
        ]);

        var options = provider.GetRequiredService<IOptions<V4l2Options>>().Value;

        var camera = options.CameraOverride("USB-046D_082D_A1B2C3D4");
        Assert.NotNull(camera);
        Assert.Equal("MJPG", camera.PixelFormat);
        Assert.Equal(1280, camera.Width);
    }

    [Theory]
    [InlineData("Plugins:V4l2:DeviceRoot", "relative/dev", "DeviceRoot")]
    [InlineData("Plugins:V4l2:MaxWidth", "0", "MaxWidth")]
    [InlineData("Plugins:V4l2:MinFps", "500", "MinFps")]
    [InlineData("Plugins:V4l2:ReconcileInterval", "00:00:00.001", "ReconcileInterval")]
    [InlineData("Plugins:V4l2:ProbeTimeout", "-00:00:01", "ProbeTimeout")]
    [InlineData("Plugins:V4l2:FakeDevicesDirectory", "/no/such/fixtures/dir", "FakeDevicesDirectory")]
    [InlineData("Plugins:V4l2:PreferredFormats:0", "TOOLONG", "PreferredFormats")]
    [InlineData("Plugins:V4l2:Cameras:cam:Fps", "0", "Cameras:cam")]
    public async Task Validate_BadValue_FailsNamingTheKey(string key, string value, string named)
    {
        await using var provider = Build([new(key, value)]);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<V4l2Options>>().Value);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_MatchesManifestId() => Assert.Equal("v4l2", new V4l2Plugin().Id);

    [Fact]
    public async Task ConfigureServices_RegistersOneSourceInstanceForBothTypes()
    {
        await using var provider = Build([]);

        Assert.Same(provider.GetRequiredService<V4l2CameraSource>(), provider.GetRequiredService<ICameraSource>());
        Assert.NotNull(provider.GetRequiredService<ILoggerFactory>());
    }
}

using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin.Tests;

public sealed class NetworkCameraSourceTests
{
    [Fact]
    public async Task Start_AnnouncesEachConfiguredCameraWithWhatItSends()
    {
        var source = new NetworkCameraSource(Bind(new()
        {
            ["Cameras:0:Name"] = "Gate",
            ["Cameras:0:Url"] = "rtsp://10.0.0.5:554/stream1",
            ["Cameras:0:UserName"] = "viewer",
            ["Cameras:0:Password"] = "secret",
            ["Cameras:0:Width"] = "1920",
            ["Cameras:0:Height"] = "1080",
            ["Cameras:0:FrameRate"] = "25",
        }), NullLogger<NetworkCameraSource>.Instance);
        var added = new List<CameraDescriptor>();
        source.CameraChanged += (_, e) => added.Add(e.Camera);

        await source.StartAsync(CancellationToken.None);

        var camera = Assert.Single(added);
        Assert.Equal(camera, Assert.Single(source.GetCameras()));
        Assert.Equal("Gate", camera.Name);
        Assert.Equal(source.Name, camera.Source);
        Assert.Equal("acme-cameraplugin-10.0.0.5-554-stream1", camera.StableId);
        var input = Assert.IsType<NetworkCaptureInput>(camera.CaptureInput);
        Assert.Equal(new Uri("rtsp://10.0.0.5:554/stream1"), input.Url);
        Assert.Equal(("viewer", "secret"), (input.UserName, input.Password));
        Assert.Equal(new VideoMode { PixelFormat = PixelFormats.H264, Width = 1920, Height = 1080, FrameRate = 25 }, input.Video);
        Assert.DoesNotContain("secret", input.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Url", "rtsp://admin:pw@10.0.0.5/stream1", "Plugins:acme-cameraplugin:Cameras:0:Url must not contain credentials")]
    [InlineData("Url", "ftp://10.0.0.5/stream1", "Plugins:acme-cameraplugin:Cameras:0:Url must be an rtsp")]
    [InlineData("Name", "", "Plugins:acme-cameraplugin:Cameras:0:Name is required")]
    public void Configuration_BadValue_StopsTheStartNamingTheKey(string field, string value, string message)
    {
        var settings = new Dictionary<string, string?> { ["Cameras:0:Name"] = "Gate", ["Cameras:0:Url"] = "rtsp://10.0.0.5/stream1" };
        settings[$"Cameras:0:{field}"] = value;

        var error = Assert.Throws<OptionsValidationException>(() => Bind(settings).Value);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>The options as the host builds them: the plugin's own registrations over its configuration section.</summary>
    private static IOptions<PluginOptions> Bind(Dictionary<string, string?> section)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(section.ToDictionary(kv => $"{PluginOptions.SectionName}:{kv.Key}", kv => kv.Value))
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        new Plugin().ConfigureServices(services, configuration);
        return services.BuildServiceProvider().GetRequiredService<IOptions<PluginOptions>>();
    }
}

using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.TestPattern.Tests;

public sealed class TestPatternSourceTests
{
    internal static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        new TestPatternPlugin().ConfigureServices(services, configuration);
        services.AddSingleton<IConfiguration>(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task<(ICameraSource Source, List<CameraChangedEventArgs> Events)> StartAsync(ServiceProvider provider)
    {
        var source = Assert.Single(provider.GetServices<ICameraSource>());
        var events = new List<CameraChangedEventArgs>();
        source.CameraChanged += (_, e) => events.Add(e);
        await source.StartAsync(CancellationToken.None);
        return (source, events);
    }

    [Fact]
    public async Task StartAsync_NotEnabled_ReportsNoCameras()
    {
        await using var provider = Build();

        var (source, events) = await StartAsync(provider);

        Assert.Equal("testpattern", source.Name);
        Assert.Empty(source.GetCameras());
        Assert.Empty(events);
    }

    [Fact]
    public async Task StartAsync_EnabledWithDefaults_ReportsTwoCamerasWithStableIds()
    {
        await using var provider = Build(("Plugins:TestPattern:Enabled", "true"));

        var (source, events) = await StartAsync(provider);

        Assert.Equal(["testpattern-0", "testpattern-1"], source.GetCameras().Select(c => c.StableId));
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(CameraChangeKind.Added, e.Kind));
        var camera = source.GetCameras()[0];
        Assert.Equal(CameraState.Available, camera.State);
        Assert.Equal("testpattern", camera.Source);
        Assert.Null(camera.DevicePath);
        var input = camera.CaptureInput!;
        Assert.Equal(SyntheticPattern.TestCard, Assert.IsType<SyntheticCaptureInput>(input).Pattern);
        Assert.Equal(new VideoMode { PixelFormat = PixelFormats.Yu12, Width = 640, Height = 480, FrameRate = 15 }, input.Video);
        Assert.Null(input.Audio);
        var size = Assert.Single(Assert.Single(camera.Formats).Sizes);
        Assert.Equal((640, 480), (size.Width, size.Height));
        Assert.Equal([15d], size.FrameRates);
    }

    [Fact]
    public async Task StartAsync_CustomCountAndMode_UsesThem()
    {
        await using var provider = Build(
            ("Plugins:TestPattern:Enabled", "true"),
            ("Plugins:TestPattern:Count", "3"),
            ("Plugins:TestPattern:Width", "320"),
            ("Plugins:TestPattern:Height", "240"),
            ("Plugins:TestPattern:Fps", "5"));

        var (source, _) = await StartAsync(provider);

        Assert.Equal(["testpattern-0", "testpattern-1", "testpattern-2"], source.GetCameras().Select(c => c.StableId));
        Assert.All(source.GetCameras(), c => Assert.Equal(new VideoMode { PixelFormat = PixelFormats.Yu12, Width = 320, Height = 240, FrameRate = 5 }, c.CaptureInput!.Video));
    }

    [Fact]
    public async Task StartAsync_HandlerThrows_StillAnnouncesEveryCamera()
    {
        await using var provider = Build(("Plugins:TestPattern:Enabled", "true"));
        var source = provider.GetRequiredService<ICameraSource>();
        var seen = 0;
        source.CameraChanged += (_, _) =>
        {
            seen++;
            throw new InvalidOperationException("subscriber bug");
        };

        await source.StartAsync(CancellationToken.None);

        Assert.Equal(2, seen);
        Assert.Equal(2, source.GetCameras().Count);
    }

    [Theory]
    [InlineData("Count", "-1")]
    [InlineData("Count", "65")]
    [InlineData("Width", "641")]
    [InlineData("Height", "8")]
    [InlineData("Fps", "0")]
    public async Task Validate_BadValue_FailsNamingTheKey(string key, string value)
    {
        await using var provider = Build(("Plugins:TestPattern:" + key, value));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TestPatternOptions>>().Value);

        Assert.Contains("Plugins:TestPattern:" + key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_MatchesManifestId() => Assert.Equal("testpattern", new TestPatternPlugin().Id);
}

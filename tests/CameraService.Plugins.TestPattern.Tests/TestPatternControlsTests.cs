using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Plugins.TestPattern.Tests;

public sealed class TestPatternControlsTests
{
    private static async Task<(ServiceProvider Provider, ICameraSource Source, ICameraControls Controls, List<CameraChangedEventArgs> Events)> StartAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:TestPattern:Enabled"] = "true", ["Plugins:TestPattern:Count"] = "2",
            ["Plugins:TestPattern:Width"] = "160", ["Plugins:TestPattern:Height"] = "120",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        new TestPatternPlugin().ConfigureServices(services, configuration);
        services.AddSingleton<IConfiguration>(configuration);
        var provider = services.BuildServiceProvider();
        var source = Assert.Single(provider.GetServices<ICameraSource>());
        var events = new List<CameraChangedEventArgs>();
        source.CameraChanged += (_, e) => events.Add(e);
        await source.StartAsync(CancellationToken.None);
        return (provider, source, Assert.IsAssignableFrom<ICameraControls>(source), events);
    }

    [Fact]
    public async Task GetControls_BrightnessContrastSaturationAtDefaults()
    {
        var (provider, _, controls, _) = await StartAsync();
        await using var _p = provider;

        var list = await controls.GetControlsAsync("testpattern-0", CancellationToken.None);

        Assert.Equal([("brightness", 0L), ("contrast", 100L), ("saturation", 100L)], list.Select(c => (c.Name, c.Value!.Value)));
        Assert.All(list, c => Assert.Equal(CameraControlType.Integer, c.Type));
    }

    [Fact]
    public async Task SetControls_ChangesTheEqFilterOfThatCameraOnly()
    {
        var (provider, source, controls, events) = await StartAsync();
        await using var _p = provider;

        var result = await controls.SetControlsAsync(
            "testpattern-0", new Dictionary<string, long> { ["brightness"] = 50, ["contrast"] = 120 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);

        Assert.Equal(50, result.Applied["brightness"]);
        var updated = Assert.Single(events, e => e.Kind == CameraChangeKind.Updated);
        Assert.Equal("testpattern-0", updated.Camera.StableId);
        Assert.Equal(new VideoAdjustments { Brightness = 0.5, Contrast = 1.2, Saturation = 1 }, Adjustments(updated.Camera));
        Assert.Equal(updated.Camera, source.GetCameras().Single(c => c.StableId == "testpattern-0"));
        Assert.Null(Adjustments(source.GetCameras().Single(c => c.StableId == "testpattern-1")));

        await controls.ResetControlsAsync("testpattern-0", CancellationToken.None);
        Assert.Null(Adjustments(source.GetCameras().Single(c => c.StableId == "testpattern-0")));
    }

    [Fact]
    public async Task SetControls_OneOutOfRange_NothingChanged()
    {
        var (provider, _, controls, events) = await StartAsync();
        await using var _p = provider;

        var error = await Assert.ThrowsAsync<InvalidParameterException>(() => controls.SetControlsAsync(
            "testpattern-0", new Dictionary<string, long> { ["brightness"] = 50, ["contrast"] = 999 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None));

        Assert.Equal(("controls.contrast", "out_of_range:0..200"), (error.Param, error.Rule));
        Assert.Equal(0, (await controls.GetControlsAsync("testpattern-0", CancellationToken.None))[0].Value);
        Assert.DoesNotContain(events, e => e.Kind == CameraChangeKind.Updated);
    }

    private static VideoAdjustments? Adjustments(CameraDescriptor camera) => Assert.IsType<SyntheticCaptureInput>(camera.CaptureInput).Adjustments;
}

using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.TestPattern.Tests;

/// <summary>The synthetic tone of a test-pattern camera (issue 21 item 5): <c>Plugins:TestPattern:Cameras:&lt;id&gt;:Audio</c>.</summary>
public sealed class TestPatternAudioTests
{
    private static readonly AudioInput Tone = new() { SampleRate = 48000, Channels = 1 };

    private static ServiceProvider Build(params (string Key, string Value)[] settings) =>
        TestPatternSourceTests.Build([.. settings, ("Plugins:TestPattern:Enabled", "true")]);

    private static async Task<IReadOnlyDictionary<string, AudioInput?>> AudioOfEachCameraAsync(ServiceProvider provider)
    {
        var source = provider.GetServices<ICameraSource>().Single();
        await source.StartAsync(CancellationToken.None);
        return source.GetCameras().ToDictionary(c => c.StableId, c => c.CaptureInput!.Audio);
    }

    [Fact]
    public async Task Default_OddNumberedCamerasHaveATone_EvenOnesAreSilent()
    {
        await using var provider = Build(("Plugins:TestPattern:Count", "4"));

        var audio = await AudioOfEachCameraAsync(provider);

        Assert.Equal(
            new Dictionary<string, AudioInput?> { ["testpattern-0"] = null, ["testpattern-1"] = Tone, ["testpattern-2"] = null, ["testpattern-3"] = Tone },
            audio);
    }

    [Fact]
    public async Task PerCameraOption_GivesOrTakesTheTone()
    {
        await using var provider = Build(
            ("Plugins:TestPattern:Cameras:testpattern-0:Audio", "true"),
            ("Plugins:TestPattern:Cameras:TESTPATTERN-1:Audio", "false"));

        var audio = await AudioOfEachCameraAsync(provider);

        Assert.Equal(new Dictionary<string, AudioInput?> { ["testpattern-0"] = Tone, ["testpattern-1"] = null }, audio);
    }

    [Fact]
    public async Task SettingAControl_KeepsTheTone()
    {
        await using var provider = Build();
        var source = provider.GetServices<ICameraSource>().Single();
        var controls = Assert.IsAssignableFrom<ICameraControls>(source);
        await source.StartAsync(CancellationToken.None);

        await controls.SetControlsAsync("testpattern-1", new Dictionary<string, long> { ["brightness"] = 20 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);

        var camera = source.GetCameras().Single(c => c.StableId == "testpattern-1");
        Assert.NotNull(((SyntheticCaptureInput)camera.CaptureInput!).Adjustments);
        Assert.Equal(Tone, camera.CaptureInput!.Audio);
    }

    [Theory]
    [InlineData("Plugins:TestPattern:Cameras:testpattern-2:Audio", "true", "Plugins:TestPattern:Cameras:testpattern-2")]
    [InlineData("Plugins:TestPattern:Cameras:camera0:Audio", "true", "Plugins:TestPattern:Cameras:camera0")]
    [InlineData("Plugins:TestPattern:Cameras:testpattern-1:Audio", "maybe", "Audio")]
    public async Task BadCameraOption_FailsNamingTheKey(string key, string value, string named)
    {
        await using var provider = Build((key, value));

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IOptions<TestPatternOptions>>().Value);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}

using System.Diagnostics;
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
        Assert.Equal("testsrc2=size=160x120:rate=15,eq=brightness=0.50:contrast=1.20:saturation=1.00", updated.Camera.CaptureInput!.FfmpegInputArguments[^1]);
        Assert.Equal(updated.Camera, source.GetCameras().Single(c => c.StableId == "testpattern-0"));
        Assert.Equal("testsrc2=size=160x120:rate=15", source.GetCameras().Single(c => c.StableId == "testpattern-1").CaptureInput!.FfmpegInputArguments[^1]);

        await controls.ResetControlsAsync("testpattern-0", CancellationToken.None);
        Assert.Equal("testsrc2=size=160x120:rate=15", source.GetCameras().Single(c => c.StableId == "testpattern-0").CaptureInput!.FfmpegInputArguments[^1]);
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

    [FfmpegFact]
    public async Task Brightness_RunByFfmpeg_MakesTheFrameBrighter()
    {
        var (provider, source, controls, _) = await StartAsync();
        await using var _p = provider;
        var before = await MeanLumaAsync(source.GetCameras()[0].CaptureInput!);

        await controls.SetControlsAsync("testpattern-0", new Dictionary<string, long> { ["brightness"] = 40 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);
        var after = await MeanLumaAsync(source.GetCameras()[0].CaptureInput!);

        Assert.True(after > before + 30, $"mean luma {before:0.0} -> {after:0.0}");
    }

    /// <summary>Runs the capture input for one frame as 8-bit grey and averages it.</summary>
    private static async Task<double> MeanLumaAsync(CaptureInput input)
    {
        var info = new ProcessStartInfo(TestPatternSourceTests.FindFfmpeg()!) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-hide_banner", "-nostdin", "-loglevel", "error" }
            .Concat(input.FfmpegInputArguments.Where(a => a != "-re"))
            .Concat(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var frame = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardOutput.BaseStream.CopyToAsync(frame, timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await stderr);
        var bytes = frame.ToArray();
        Assert.Equal(160 * 120, bytes.Length);
        return bytes.Average(b => (double)b);
    }
}

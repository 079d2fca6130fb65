using CameraService.Plugins.V4l2.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>The perf hooks work (their timings are perf's business, not asserted here).</summary>
public sealed class PerfHookTests
{
    [Fact]
    public async Task MeasureDiscoveryAsync_TwentyCameras_FindsAllTwenty()
    {
        var result = await V4l2PerfHooks.MeasureDiscoveryAsync(20, CancellationToken.None);

        Assert.Equal(20, result.CamerasPlugged);
        Assert.Equal(20, result.CamerasFound);
        Assert.True(result.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task MeasureHotPlugAsync_ThreePlugs_ReturnsThreeLatencies()
    {
        var latencies = await V4l2PerfHooks.MeasureHotPlugAsync(3, CancellationToken.None);

        Assert.Equal(3, latencies.Count);
        Assert.All(latencies, l => Assert.True(l > TimeSpan.Zero));
    }
}

using System.Diagnostics;
using CameraService.Client;

namespace CameraService.Sdk.Tests;

/// <summary>What the tests ask the running host through its API.</summary>
internal static class Cameras
{
    /// <summary>The camera list once it has a wanted camera (sources report them shortly after the start).</summary>
    public static async Task<IReadOnlyList<Camera>> WaitAsync(SdkFixture sdk, Func<Camera, bool> wanted)
    {
        var watch = Stopwatch.StartNew();
        IReadOnlyList<Camera> cameras = [];
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            cameras = (await sdk.Client.GetCameraListAsync()).Cameras;
            if (cameras.Any(wanted))
            {
                return cameras;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"the camera never appeared; listed: {string.Join(", ", cameras.Select(c => $"{c.Device} {c.Name} ({c.Source})"))}\n{sdk.Service.Log}");
        return cameras;
    }

    /// <summary>get_server_info lists the plugin as loaded.</summary>
    public static async Task AssertLoadedAsync(SdkFixture sdk, string pluginId)
    {
        var info = await sdk.Client.GetServerInfoAsync();
        var plugin = info.Plugins.SingleOrDefault(p => p.Id == pluginId);
        Assert.True(plugin is not null, $"plugin {pluginId} is not listed by get_server_info:\n{sdk.Service.Log}");
        Assert.True(string.Equals(plugin.Status, "LOADED", StringComparison.OrdinalIgnoreCase), $"plugin {pluginId} is {plugin.Status}:\n{sdk.Service.Log}");
    }
}

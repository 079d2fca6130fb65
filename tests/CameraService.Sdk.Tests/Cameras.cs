using System.Diagnostics;
using CameraService.Client;
using CameraService.EndToEnd.Tests;

namespace CameraService.Sdk.Tests;

/// <summary>What the tests ask a running host through its API.</summary>
internal static class Cameras
{
    /// <summary>The camera list once it has a wanted camera (sources report them shortly after the start).</summary>
    public static Task<IReadOnlyList<Camera>> WaitAsync(SdkFixture sdk, Func<Camera, bool> wanted) => WaitAsync(sdk.Client, sdk.Service, wanted);

    /// <summary>The camera list of <paramref name="service"/> once it has a wanted camera.</summary>
    public static async Task<IReadOnlyList<Camera>> WaitAsync(CameraServiceClient client, ServiceProcess service, Func<Camera, bool> wanted)
    {
        var watch = Stopwatch.StartNew();
        IReadOnlyList<Camera> cameras = [];
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            cameras = (await client.GetCameraListAsync()).Cameras;
            if (cameras.Any(wanted))
            {
                return cameras;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"the camera never appeared; listed: {string.Join(", ", cameras.Select(c => $"{c.Device} {c.Name} ({c.Source})"))}\n{service.Log}");
        return cameras;
    }

    /// <summary>get_server_info lists the plugin as loaded.</summary>
    public static Task AssertLoadedAsync(SdkFixture sdk, string pluginId) => AssertLoadedAsync(sdk.Client, sdk.Service, pluginId);

    /// <summary>get_server_info of <paramref name="service"/> lists the plugin as loaded.</summary>
    public static async Task AssertLoadedAsync(CameraServiceClient client, ServiceProcess service, string pluginId)
    {
        var info = await client.GetServerInfoAsync();
        var plugin = info.Plugins.SingleOrDefault(p => p.Id == pluginId);
        Assert.True(plugin is not null, $"plugin {pluginId} is not listed by get_server_info:\n{service.Log}");
        Assert.True(string.Equals(plugin.Status, "LOADED", StringComparison.OrdinalIgnoreCase), $"plugin {pluginId} is {plugin.Status}:\n{service.Log}");
    }
}

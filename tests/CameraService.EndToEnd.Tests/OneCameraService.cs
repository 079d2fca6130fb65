using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// A service of a test's own (its own settings) with one connected camera and an operator client: started, the camera
/// waited for, the test run, everything stopped. The caller owns <c>root</c> and cleans it up.
/// </summary>
public static class OneCameraService
{
    public static async Task RunAsync(string root, IReadOnlyDictionary<string, string> settings, Func<ServiceProcess, CameraServiceClient, Task> test)
    {
        ArgumentNullException.ThrowIfNull(test);
        await using var service = new ServiceProcess(root, settings);
        await service.StartAsync(TimeSpan.FromSeconds(90));
        var token = await service.CreateTokenAsync("operator");
        await using var client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = service.WebSocketUrl, Token = token });
        Assert.True(await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected >= 1, TimeSpan.FromSeconds(30)),
            "the camera never connected:\n" + service.Log);
        await test(service, client);
    }
}

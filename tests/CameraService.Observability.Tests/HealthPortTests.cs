using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace CameraService.Observability.Tests;

public sealed class HealthPortTests
{
    [Fact]
    public async Task HealthPort_Configured_ServesHealthEndpointsOnlyWithTheSameAnswers()
    {
        var healthPort = FreePort();
        await using var service = ServiceUnderTest.Create($"Metrics:HealthPort={healthPort}");
        await service.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}") };

        using var ready = await http.GetAsync("/health/ready");
        using var health = await http.GetAsync("/health");
        using var metrics = await http.GetAsync("/metrics");
        using var detailed = await http.GetAsync("/health/detailed");
        var (_, onApiPort) = await service.HealthAsync();

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.Equal(onApiPort.GetProperty("status").GetString(), body.RootElement.GetProperty("status").GetString());
        Assert.Equal(
            onApiPort.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()),
            body.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, detailed.StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net.WebSockets;

namespace CameraService.Observability.Tests;

public sealed class TransportMetricsTests
{
    [Fact]
    public async Task SessionsRejected_ConnectionCapReached_CountedByReasonAndLoggedAsText()
    {
        await using var service = ServiceUnderTest.Create("Api:MaxConnections=1", "Logging:Format=text");
        await service.StartAsync();
        await using var first = await service.ConnectAsync();
        await first.ResultAsync("ping");

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => RpcSocket.ConnectAsync(service.WebSocketUri));
        var metrics = MetricsText.Parse(await service.ScrapeAsync());

        Assert.Contains("503", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Value("camera_service_api_sessions_rejected_total", ("reason", "connection_limit")));
        Assert.Equal(1, metrics.Value("camera_service_api_sessions_opened_total"));

        // Logging:Format=text: readable single lines, not JSON.
        var lines = service.Process.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.DoesNotContain(lines, l => l.StartsWith('{'));
        Assert.Contains(lines, l => l.Contains("info: CameraService.Core.Hosting.ServiceLifecycle", StringComparison.Ordinal));
    }
}

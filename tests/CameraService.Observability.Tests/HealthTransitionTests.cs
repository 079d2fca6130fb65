using System.Net;
using System.Text.Json;
using MediaMtxEmulator;

namespace CameraService.Observability.Tests;

public sealed class HealthTransitionTests
{
    private const string Password = "mtx-pass-7f3a9c1e5b";

    [Fact]
    public async Task Health_MediaMtxGoesDownAndReturns_StreamBackendAndStatusFollow()
    {
        var recordings = Directory.CreateTempSubdirectory("obs-emu-");
        try
        {
            await using var emulator = new Emulator(new EmulatorOptions { ApiAddress = "127.0.0.1:0", RtspAddress = "127.0.0.1:0", RecordingsRoot = recordings.FullName });
            var api = await emulator.StartAsync(CancellationToken.None);
            await using var service = ServiceUnderTest.Create(
                "CameraService:StreamBackend=mediamtx",
                $"Plugins:MediaMtx:ApiUrl={api}",
                "Plugins:MediaMtx:ReconcileInterval=00:00:00.500",
                "Plugins:MediaMtx:RequestTimeout=00:00:01",
                "Plugins:MediaMtx:RetryCount=0",
                "Plugins:MediaMtx:CircuitBreakDuration=00:00:01",
                "Plugins:MediaMtx:Username=camera-service",
                $"Plugins:MediaMtx:Password={Password}",
                "Logging:LogLevel:Default=Debug",
                "Alerts:IntervalSeconds=1");
            var token = await service.CreateTokenAsync("admin");
            await service.StartAsync();
            await using var admin = await service.ConnectAsync(token);

            await WaitForAsync(service, admin, "RUNNING", "HEALTHY");
            await emulator.StopAsync(CancellationToken.None);
            var (downCode, down, downStatus) = await WaitForAsync(service, admin, "ERROR", "DEGRADED");
            await emulator.StartAsync(CancellationToken.None);
            var (upCode, up, upStatus) = await WaitForAsync(service, admin, "RUNNING", "HEALTHY");

            // Down: degraded, not unhealthy (the API still serves), on every surface; back: healthy again.
            Assert.Equal(HttpStatusCode.OK, downCode);
            Assert.Equal("degraded", down.GetProperty("status").GetString());
            Assert.Equal("ERROR", downStatus.GetProperty("components").GetProperty("stream_backend").GetString());
            Assert.Equal(HttpStatusCode.OK, upCode);
            Assert.Equal("healthy", up.GetProperty("status").GetString());
            Assert.Empty(upStatus.GetProperty("alerts").EnumerateArray());
            var metrics = MetricsText.Parse(await service.ScrapeAsync());
            Assert.True(metrics.Of("camera_service_mediamtx_request_failures_total").Sum(s => s.Value) > 0, "MediaMTX failures were not counted");
            Assert.Contains(metrics.Of("camera_service_mediamtx_request_duration_seconds_count"), s => s.Labels["outcome"] == "success" && s.Value > 0);
            Assert.All(metrics.Of("camera_service_mediamtx_request_duration_seconds_count"), s => Assert.DoesNotContain("camera", s.Labels["endpoint"], StringComparison.Ordinal));
            Assert.Contains("MediaMTX", service.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, service.Output, StringComparison.Ordinal);
        }
        finally
        {
            recordings.Delete(recursive: true);
        }
    }

    /// <summary>Polls /health and get_status until the stream backend and the overall status are as given.</summary>
    private static async Task<(HttpStatusCode Code, JsonElement Health, JsonElement Status)> WaitForAsync(ServiceUnderTest service, RpcSocket admin, string backend, string status)
    {
        (HttpStatusCode, JsonElement, JsonElement) last = default;
        await service.WaitUntilAsync(async () =>
        {
            var (code, health) = await service.HealthAsync();
            var result = await admin.ResultAsync("get_status");
            last = (code, health, result);
            return ServiceUnderTest.ComponentState(health, "stream_backend") == backend
                && result.GetProperty("components").GetProperty("stream_backend").GetString() == backend
                && result.GetProperty("status").GetString() == status;
        }, $"stream_backend {backend} and get_status {status}");
        return last;
    }
}

using System.Text.Json;

namespace CameraService.Observability.Tests;

public sealed class AlertTests
{
    [Fact]
    public async Task Alerts_ConnectionsCrossWarning_DegradedNotifiedAndLoggedOncePerTransition()
    {
        await using var service = ServiceUnderTest.Create(
            "Alerts:IntervalSeconds=1",
            "Alerts:Connections:Warning=2",
            "Alerts:Connections:Critical=100",
            "Logging:Format=json");
        var token = await service.CreateTokenAsync("admin");
        await service.StartAsync();
        await using var watcher = await service.ConnectAsync(token);
        await watcher.ResultAsync("subscribe_events", new { topics = new[] { "system.health" } });
        await service.WaitUntilAsync(async () => (await watcher.ResultAsync("get_status")).GetProperty("status").GetString() == "HEALTHY", "HEALTHY with one session");

        JsonElement degraded;
        await using (var second = await service.ConnectAsync())
        {
            var notified = await watcher.NotificationAsync("system_health_update", p => p.GetProperty("status").GetString() == "DEGRADED", TimeSpan.FromSeconds(30));
            degraded = await watcher.ResultAsync("get_status");

            // Several more evaluations while the threshold stays crossed: still one log line.
            var uptime = (await service.HealthAsync()).Body.GetProperty("uptime").GetDouble();
            await service.WaitUntilAsync(async () => (await service.HealthAsync()).Body.GetProperty("uptime").GetDouble() >= uptime + 3.5, "three more evaluations");
            Assert.Equal("DEGRADED", notified.GetProperty("status").GetString());
        }

        var healthy = await watcher.NotificationAsync("system_health_update", p => p.GetProperty("status").GetString() == "HEALTHY", TimeSpan.FromSeconds(30));
        await service.WaitUntilAsync(() => Task.FromResult(LogLines(service.Output, 1702).Count > 0), "the cleared log line");

        Assert.Equal("DEGRADED", degraded.GetProperty("status").GetString());
        Assert.Contains(degraded.GetProperty("alerts").EnumerateArray(), a => a.GetString()!.StartsWith("Connections 2", StringComparison.Ordinal));
        Assert.All(degraded.GetProperty("components").EnumerateObject(), c => Assert.Equal("RUNNING", c.Value.GetString()));
        Assert.Equal("HEALTHY", healthy.GetProperty("status").GetString());
        var raised = LogLines(service.Output, 1701);
        Assert.Single(raised);
        Assert.Contains("Connections", raised[0].GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Single(LogLines(service.Output, 1702));
    }

    [Theory]
    [InlineData(false, "DEGRADED", "degraded", "warning")]
    [InlineData(true, "UNHEALTHY", "unhealthy", "block")]
    public async Task Alerts_StorageAboveThreshold_StatusWithReason(bool aboveBlock, string status, string health, string reason)
    {
        // Thresholds below what the temp file system really uses (1 % and 2 % on any ordinary disk; a fraction of the
        // actual use on a nearly empty tmpfs), so the crossing does not depend on the machine.
        var drive = new DriveInfo(Path.GetTempPath());
        var used = (drive.TotalSize - drive.AvailableFreeSpace) * 100.0 / drive.TotalSize;
        var warn = Math.Min(1, used / 4);
        var block = aboveBlock ? Math.Min(2, used / 2) : 100;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        await using var service = ServiceUnderTest.Create(
            "Alerts:IntervalSeconds=1",
            "Storage:WarnPercent=" + warn.ToString("R", invariant),
            "Storage:BlockPercent=" + block.ToString("R", invariant));
        var token = await service.CreateTokenAsync("admin");
        await service.StartAsync();
        await using var admin = await service.ConnectAsync(token);

        JsonElement result = default;
        await service.WaitUntilAsync(async () => (result = await admin.ResultAsync("get_status")).GetProperty("status").GetString() == status, $"get_status {status}");
        var (_, body) = await service.HealthAsync();
        var metrics = MetricsText.Parse(await service.ScrapeAsync());

        Assert.True(used > 0, "the temp file system reports no use at all");
        Assert.Contains(result.GetProperty("alerts").EnumerateArray(), a => a.GetString()!.StartsWith("storage", StringComparison.Ordinal) && a.GetString()!.Contains(reason, StringComparison.Ordinal));
        Assert.Equal(health, body.GetProperty("status").GetString());
        Assert.Contains(body.GetProperty("alerts").EnumerateArray(), a => a.GetString()!.StartsWith("storage", StringComparison.Ordinal));
        Assert.Equal(warn, metrics.Value("camera_service_storage_threshold_percent", ("level", "warn")));
        Assert.Equal(block, metrics.Value("camera_service_storage_threshold_percent", ("level", "block")));
        if (aboveBlock)
        {
            Assert.Equal("DEGRADED", result.GetProperty("components").GetProperty("storage").GetString());
        }
    }

    /// <summary>The JSON log lines with this event id.</summary>
    private static List<JsonElement> LogLines(string output, int eventId)
    {
        var lines = new List<JsonElement>();
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("EventId", out var id) && id.GetInt32() == eventId)
            {
                lines.Add(doc.RootElement.Clone());
            }
        }

        return lines;
    }
}

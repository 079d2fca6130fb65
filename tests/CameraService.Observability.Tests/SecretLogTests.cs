using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CameraService.Observability.Tests;

public sealed class SecretLogTests
{
    [Fact]
    public async Task Logs_FullSessionAtDebugLevel_NeverContainTokensKeysOrSecrets()
    {
        await using var service = ServiceUnderTest.Create(
            "Logging:LogLevel:Default=Debug",
            "Logging:LogLevel:Microsoft=Debug",
            "Logging:LogLevel:System=Debug",
            "Logging:Format=json");
        var jwt = await service.CreateTokenAsync("admin");
        var apiKey = await service.CreateApiKeyAsync("operator");
        await service.StartAsync();
        var secret = (await File.ReadAllTextAsync(Path.Combine(service.StateDirectory, "jwt-secret"))).Trim();

        string downloadToken;
        await using (var admin = await service.ConnectAsync(jwt))
        await using (var operatorSession = await service.ConnectAsync(apiKey))
        {
            await admin.ResultAsync("get_status");
            await admin.CallAsync("authenticate", new { auth_token = jwt[..^4] + "AAAA" });
            await admin.CallAsync("authenticate", new { auth_token = apiKey + "x" });
            var camera = (await operatorSession.ResultAsync("get_camera_list")).GetProperty("cameras").EnumerateArray().First().GetProperty("device").GetString();
            var shot = await operatorSession.ResultAsync("take_snapshot", new { device = camera });
            var url = new Uri(shot.GetProperty("download_url").GetString()!);
            downloadToken = Uri.UnescapeDataString(url.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("token=", StringComparison.Ordinal))["token=".Length..]);

            using var viaLink = await service.Http.GetAsync(url.PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, viaLink.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, url.AbsolutePath);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var viaKey = await service.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, viaKey.StatusCode);
            using var detailed = new HttpRequestMessage(HttpMethod.Get, "/health/detailed");
            detailed.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
            using var detailedAnswer = await service.Http.SendAsync(detailed);
            Assert.Equal(HttpStatusCode.OK, detailedAnswer.StatusCode);
        }

        await service.StopAsync();
        var output = service.Output;

        // The run was really logged (a test that greps an empty output proves nothing) …
        Assert.Contains("authenticated as", output, StringComparison.Ordinal);
        Assert.Contains("failed to authenticate", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), l => l.Contains("authenticated as", StringComparison.Ordinal) && l.Contains("\"RequestId\"", StringComparison.Ordinal) && l.Contains("\"SessionId\"", StringComparison.Ordinal));

        // … and no credential appears anywhere in it.
        Assert.True(jwt.Length > 40 && apiKey.Length > 20 && secret.Length > 20 && downloadToken.Length > 10);
        Assert.DoesNotContain(jwt, output, StringComparison.Ordinal);
        Assert.DoesNotContain(jwt.Split('.')[2], output, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey["csk_".Length..], output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.DoesNotContain(downloadToken, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(downloadToken), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_RequireToken_RefusesAnonymousScrapeAndAcceptsViewer()
    {
        await using var service = ServiceUnderTest.Create("Metrics:RequireToken=true");
        var viewer = await service.CreateTokenAsync("viewer");
        await service.StartAsync();

        using var anonymous = await service.Http.GetAsync("/metrics");
        var scrape = await service.ScrapeAsync(viewer);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var body = JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync());
        Assert.Equal("unauthorized", body.RootElement.GetProperty("error").GetString());
        Assert.Contains("# TYPE camera_service_rpc_requests_total counter", scrape, StringComparison.Ordinal);
    }
}

using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>The plugin's HTTP side without a browser: the page, its assets, headers, and the one-time sign-in codes.</summary>
public sealed class ConsoleEndpointsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly SignInCodes _codes;
    private readonly ConsoleEndpoints _endpoints;

    public ConsoleEndpointsTests()
    {
        _codes = new SignInCodes(_time);
        var root = Path.Combine(Path.GetTempPath(), "cs-webui-unused");
        _endpoints = new ConsoleEndpoints(new ConsoleAssets(), _codes, new TestServiceEnvironment(root) { ApiWebSocketPath = "/api/ws" });
    }

    private async Task<HttpHeadersReply> GetAsync(string pattern, Dictionary<string, string>? route = null, Dictionary<string, string>? headers = null)
    {
        var endpoint = _endpoints.Endpoints.Single(e => e.Pattern == pattern);
        var reply = await endpoint.Handler(
            new HttpRequestData { Method = "GET", Path = pattern, RouteValues = route ?? [], Headers = headers ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) },
            CancellationToken.None);
        return Assert.IsType<HttpHeadersReply>(reply);
    }

    [Fact]
    public async Task Page_IsTheBuiltConsole_WithStrictCsp_AndTheWebSocketPath()
    {
        var page = await GetAsync("/");

        Assert.Equal(200, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        var html = Encoding.UTF8.GetString(page.Body.Span);
        Assert.Contains("<meta name=\"cs-ws-path\" content=\"/api/ws\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("%MAIN_JS%", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal); // no inline script
        var csp = page.Headers["Content-Security-Policy"];
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("no-cache", page.Headers["Cache-Control"]);
        Assert.Equal("nosniff", page.Headers["X-Content-Type-Options"]);
    }

    [Fact]
    public async Task Assets_NamedByThePage_AreServedImmutable_GzipOnRequest_And304OnMatch()
    {
        var html = Encoding.UTF8.GetString((await GetAsync("/")).Body.Span);
        var script = System.Text.RegularExpressions.Regex.Match(html, "/webui/(main-[A-Z0-9]+\\.js)").Groups[1].Value;
        Assert.NotEmpty(script);

        var plain = await GetAsync("/webui/{file}", new() { ["file"] = script });
        Assert.Equal("text/javascript; charset=utf-8", plain.ContentType);
        Assert.Equal("public, max-age=31536000, immutable", plain.Headers["Cache-Control"]);
        Assert.False(plain.Headers.ContainsKey("Content-Encoding"));

        var gzip = await GetAsync("/webui/{file}", new() { ["file"] = script }, new(StringComparer.OrdinalIgnoreCase) { ["Accept-Encoding"] = "gzip, br" });
        Assert.Equal("gzip", gzip.Headers["Content-Encoding"]);
        using (var inflated = new MemoryStream())
        {
            using (var z = new GZipStream(new MemoryStream(gzip.Body.ToArray()), CompressionMode.Decompress))
            {
                z.CopyTo(inflated);
            }

            Assert.Equal(plain.Body.ToArray(), inflated.ToArray());
        }

        var notModified = await GetAsync("/webui/{file}", new() { ["file"] = script }, new(StringComparer.OrdinalIgnoreCase) { ["If-None-Match"] = plain.Headers["ETag"] });
        Assert.Equal(304, notModified.StatusCode);
        Assert.True(notModified.Body.IsEmpty);
    }

    [Fact]
    public async Task WholeConsole_IsWithinTheSizeBudget()
    {
        var html = Encoding.UTF8.GetString((await GetAsync("/")).Body.Span);
        var files = System.Text.RegularExpressions.Regex.Matches(html, "/webui/([A-Za-z0-9.-]+)").Select(m => m.Groups[1].Value).Distinct().ToList();
        long total = (await GetAsync("/", headers: new(StringComparer.OrdinalIgnoreCase) { ["Accept-Encoding"] = "gzip" })).Body.Length;
        foreach (var f in files)
        {
            var reply = await GetAsync("/webui/{file}", new() { ["file"] = f }, new(StringComparer.OrdinalIgnoreCase) { ["Accept-Encoding"] = "gzip" });
            total += reply.Body.Length;
        }

        Assert.Equal(3, files.Count); // favicon, styles, main
        Assert.InRange(total, 10_000, 300 * 1024);
    }

    [Fact]
    public async Task UnknownAsset_NotFound()
    {
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => GetAsync("/webui/{file}", new() { ["file"] = "nope.js" }));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => GetAsync("/webui/{file}", new() { ["file"] = "index.html" }));
    }

    [Fact]
    public async Task SignInCode_RedeemsOnce()
    {
        var link = _codes.CreateSignInLink("the-token", TimeSpan.FromMinutes(15));
        Assert.StartsWith("/#signin=", link, StringComparison.Ordinal);
        var code = link["/#signin=".Length..];
        Assert.True(code.Length >= 40);
        Assert.DoesNotContain("the-token", link, StringComparison.Ordinal);

        var reply = await GetAsync("/webui/signin/{code}", new() { ["code"] = code });
        Assert.Equal("the-token", JsonDocument.Parse(reply.Body).RootElement.GetProperty("token").GetString());
        Assert.Equal("no-store", reply.Headers["Cache-Control"]);

        var again = await Assert.ThrowsAsync<ResourceNotFoundException>(() => GetAsync("/webui/signin/{code}", new() { ["code"] = code }));
        Assert.Contains("already used or has expired", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInCode_ExpiresAndUnknownCodesAreRefused()
    {
        var code = _codes.CreateSignInLink("t", TimeSpan.FromMinutes(15))["/#signin=".Length..];
        _time.Advance(TimeSpan.FromMinutes(16));

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => GetAsync("/webui/signin/{code}", new() { ["code"] = code }));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => GetAsync("/webui/signin/{code}", new() { ["code"] = "guess" }));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => GetAsync("/webui/signin/{code}", new() { ["code"] = new string('a', 500) }));
    }

    [Fact]
    public void SignInCodes_AreBounded()
    {
        var first = _codes.CreateSignInLink("first", TimeSpan.FromMinutes(1))["/#signin=".Length..];
        for (var i = 0; i < SignInCodes.MaxPending + 5; i++)
        {
            _codes.CreateSignInLink("t" + i, TimeSpan.FromMinutes(10));
        }

        Assert.Null(_codes.Redeem(first)); // the oldest made room
    }
}

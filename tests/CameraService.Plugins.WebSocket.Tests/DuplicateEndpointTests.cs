using System.Net;
using System.Text;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.WebSocket.Tests;

public sealed class DuplicateEndpointTests
{
    private sealed class Source(params HttpEndpoint[] endpoints) : IHttpEndpointSource
    {
        public IReadOnlyList<HttpEndpoint> Endpoints => endpoints;
    }

    private static HttpEndpoint Text(string pattern, string body) =>
        new HttpEndpoint { Method = "GET", Pattern = pattern, Handler = (_, _) => ValueTask.FromResult<HttpReply>(new HttpContentReply { StatusCode = 200, ContentType = "text/plain", Body = Encoding.UTF8.GetBytes(body) }) };

    [Fact]
    public async Task StartAsync_DuplicateAndInvalidPatterns_FirstWinsOthersSkippedListenerServes()
    {
        var source = new Source(
            Text("/same", "first"),
            Text("/same", "second"),
            Text("/bad/{", "never"),
            Text("/ws", "steals the websocket path"),
            Text("/other", "other"));
        await using var harness = await TransportHarness.StartAsync(http: source);
        using var http = new HttpClient();
        using var timeout = Wire.Timeout();

        Assert.Equal("first", await http.GetStringAsync(new Uri(harness.HttpBase, "/same"), timeout.Token));
        Assert.Equal("other", await http.GetStringAsync(new Uri(harness.HttpBase, "/other"), timeout.Token));
        using var bad = await http.GetAsync(new Uri(harness.HttpBase, "/bad/x"), timeout.Token);
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);

        // The WebSocket endpoint is still the transport's.
        using var client = await harness.ConnectAsync(timeout.Token);
        await Wire.SendTextAsync(client, "hi", timeout.Token);
        Assert.Equal("echo:hi", await Wire.ReceiveTextAsync(client, timeout.Token));
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CameraService.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>Client behaviours that need a server the emulator does not impersonate (older MediaMTX releases).</summary>
public sealed class ClientTests
{
    private sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add($"{request.Method} {request.RequestUri!.PathAndQuery} {request.Headers.Authorization}");
            }

            return Task.FromResult(respond(request));
        }
    }

    private static MediaMtxClient Client(ScriptedHandler handler, MediaMtxOptions? options = null)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(MediaMtxClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        var factory = services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        return new MediaMtxClient(factory, Options.Create(options ?? new MediaMtxOptions { RetryDelay = TimeSpan.FromMilliseconds(1) }), TimeProvider.System, NullLogger<MediaMtxClient>.Instance);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    [Fact]
    public async Task OldServer_EmptySuccessAndBareErrorShape_Understood()
    {
        var handler = new ScriptedHandler(r => r.RequestUri!.AbsolutePath switch
        {
            "/v3/config/paths/add/cam" => new HttpResponseMessage(HttpStatusCode.OK),
            "/v3/config/paths/patch/cam" => Json(HttpStatusCode.BadRequest, """{"error":"invalid record format 'mkv'"}"""),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("404 page not found") },
        });
        var client = Client(handler);
        await client.AddPathAsync("cam", [], CancellationToken.None);
        var ex = await Assert.ThrowsAsync<MediaMtxApiException>(() => client.PatchPathAsync("cam", new JsonObject { ["recordFormat"] = "mkv" }, CancellationToken.None));
        Assert.Equal("invalid record format 'mkv'", ex.Error);
        var notFound = await Assert.ThrowsAsync<MediaMtxApiException>(() => client.ListRecordingsAsync(CancellationToken.None));
        Assert.Equal("404 page not found", notFound.Error);
    }

    [Fact]
    public async Task BearerToken_SentOnEveryRequest()
    {
        var handler = new ScriptedHandler(_ => Json(HttpStatusCode.OK, """{"version":"v1.20.1","started":"2026-01-01T00:00:00Z"}"""));
        var info = await Client(handler, new MediaMtxOptions { Token = "abc.def.ghi" }).GetInfoAsync(CancellationToken.None);
        Assert.Equal("v1.20.1", info.Version);
        Assert.Equal("GET /v3/info Bearer abc.def.ghi", Assert.Single(handler.Requests));
    }

    [Fact]
    public async Task NonIdempotentAdd_NotRetried_IdempotentReplaceRetried()
    {
        var handler = new ScriptedHandler(_ => Json(HttpStatusCode.InternalServerError, """{"status":"error","error":"terminated"}"""));
        var client = Client(handler, new MediaMtxOptions { RetryCount = 2, RetryDelay = TimeSpan.FromMilliseconds(1), CircuitMinimumThroughput = 100 });
        var add = await Assert.ThrowsAsync<DependencyFailedException>(() => client.AddPathAsync("cam", [], CancellationToken.None));
        Assert.Contains("terminated", add.Detail, StringComparison.Ordinal);
        Assert.Single(handler.Requests);
        handler.Requests.Clear();
        await Assert.ThrowsAsync<DependencyFailedException>(() => client.ReplacePathAsync("cam", [], CancellationToken.None));
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task NestedPathName_SlashesKeptOtherCharactersEscaped()
    {
        var handler = new ScriptedHandler(_ => Json(HttpStatusCode.NotFound, """{"status":"error","error":"path not found"}"""));
        Assert.Null(await Client(handler).GetPathAsync("group/cam 1", CancellationToken.None));
        Assert.StartsWith("GET /v3/paths/get/group/cam%201", Assert.Single(handler.Requests), StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CameraService.Plugins.WebSocket.Tests.Fakes;

namespace CameraService.Plugins.WebSocket.Tests;

public sealed class HttpEndpointTests : IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("ws-http-");
    private readonly byte[] _file = Enumerable.Range(0, 1000).Select(i => (byte)(i % 251)).ToArray();
    private readonly HttpClient _http = new();
    private TransportHarness? _harness;
    private FakeHttpEndpoints? _endpoints;

    private TransportHarness Harness => _harness!;

    public async Task InitializeAsync()
    {
        await File.WriteAllBytesAsync(Path.Combine(_directory.FullName, "clip.mp4"), _file);
        _endpoints = new FakeHttpEndpoints(_directory.FullName);
        _harness = await TransportHarness.StartAsync(http: _endpoints);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Harness.DisposeAsync();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Get_ContentReply_StatusTypeAndBody()
    {
        using var response = await _http.GetAsync(Url("/test/content"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_RequestData_RouteQueryHeadersAndBearerReachHandler()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/test/request/abc%20d?q=1&q=2"));
        request.Headers.Add("X-Test", "yes");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "tok123");

        using var response = await _http.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("GET", json.GetProperty("method").GetString());
        Assert.Equal("/test/request/abc d", json.GetProperty("path").GetString());
        Assert.Equal("abc d", json.GetProperty("id").GetString());
        Assert.Equal("1", json.GetProperty("q").GetString());
        Assert.Equal("yes", json.GetProperty("header").GetString());
        Assert.Equal("tok123", json.GetProperty("bearer").GetString());
    }

    [Fact]
    public async Task Get_FileReply_WholeFileWithHeaders()
    {
        using var response = await _http.GetAsync(Url("/test/files/clip.mp4"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_file, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("\"v1\"", response.Headers.ETag?.Tag);
        Assert.Equal(FakeHttpEndpoints.FileTime, response.Content.Headers.LastModified);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("clip.mp4", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal("bytes", Assert.Single(response.Headers.AcceptRanges));
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData(0L, 9L, 0, 10)]
    [InlineData(500L, 599L, 500, 100)]
    [InlineData(null, 25L, 975, 25)]
    public async Task Get_FileReplyWithRange_206WithThoseBytes(long? from, long? to, int expectedOffset, int expectedLength)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/test/files/clip.mp4"));
        request.Headers.Range = new RangeHeaderValue(from, to);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(_file.AsSpan(expectedOffset, expectedLength).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(expectedOffset, response.Content.Headers.ContentRange?.From);
        Assert.Equal(1000, response.Content.Headers.ContentRange?.Length);
    }

    [Fact]
    public async Task Get_FileReplyWithUnsatisfiableRange_416()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/test/files/clip.mp4"));
        request.Headers.Range = new RangeHeaderValue(5000, 6000);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal(1000, response.Content.Headers.ContentRange?.Length);
    }

    [Fact]
    public async Task Get_FileReplyWithMatchingIfNoneMatch_304WithoutBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/test/files/clip.mp4"));
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"v1\""));

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_FileReplyWithOtherIfNoneMatch_200()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/test/files/clip.mp4"));
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"v0\""));

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_file, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_FileReplyWithOpenedContent_ServesTheStreamWithRangesAndDisposesIt()
    {
        // The download endpoint opens the file it checked (issue 17, hole 8): the transport must serve those bytes,
        // never re-open the reply's path, and close the stream afterwards.
        using var whole = await _http.GetAsync(Url("/test/opened/clip.mp4"));
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/test/opened/clip.mp4"));
        request.Headers.Range = new RangeHeaderValue(500, 599);
        using var partial = await _http.SendAsync(request);
        using var conditional = new HttpRequestMessage(HttpMethod.Get, Url("/test/opened/clip.mp4"));
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"v1\""));
        using var notModified = await _http.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(_file, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(_file.AsSpan(500, 100).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(3, _endpoints!.Opened.Count);

        // The server disposes after the last byte is sent, which may be just after the client has read it.
        using var timeout = Wire.Timeout(10);
        await Poll.UntilAsync(() => !_endpoints.Opened.Any(s => s.CanRead), timeout.Token);

        Assert.All(_endpoints.Opened, s => Assert.False(s.CanRead, "the transport left an opened file stream open"));
    }

    [Fact]
    public async Task Get_HandlerThrowsNotFound_404Json()
    {
        using var response = await _http.GetAsync(Url("/test/files/missing.mp4"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("not_found", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Get_HandlerBug_500JsonWithoutDetails()
    {
        using var response = await _http.GetAsync(Url("/test/bug"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("internal_error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain("/srv/private", body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/nothing/here")]
    [InlineData("/looks/like/a/file.txt")]
    [InlineData("/")]
    public async Task Get_UnknownRoute_404Json(string path)
    {
        using var response = await _http.GetAsync(Url(path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("not_found", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    private Uri Url(string pathAndQuery) => new(Harness.HttpBase, pathAndQuery);
}

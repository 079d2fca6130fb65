using System.Text;
using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.WebSocket.Tests.Fakes;

/// <summary>Endpoints covering every reply kind; files are served from <paramref name="directory"/>.</summary>
internal sealed class FakeHttpEndpoints(string directory) : IHttpEndpointSource
{
    public static readonly DateTimeOffset FileTime = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>The streams handed to the transport by <c>/test/opened/{name}</c> (the transport must dispose them).</summary>
    public System.Collections.Concurrent.ConcurrentBag<FileStream> Opened { get; } = [];

    public IReadOnlyList<HttpEndpoint> Endpoints =>
    [
        new HttpEndpoint { Method = "GET", Pattern = "/test/content", Handler = (_, _) => ValueTask.FromResult<HttpReply>(new HttpContentReply { StatusCode = 201, ContentType = "text/plain", Body = Encoding.UTF8.GetBytes("hello") }) },
        new HttpEndpoint
        {
            Method = "GET",
            Pattern = "/test/request/{id}",
            Handler = (request, _) =>
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
            {
                ["method"] = request.Method,
                ["path"] = request.Path,
                ["id"] = request.RouteValues.GetValueOrDefault("id"),
                ["q"] = request.Query.GetValueOrDefault("q"),
                ["header"] = request.Headers.GetValueOrDefault("x-test"),
                ["bearer"] = request.BearerToken,
            });
            return ValueTask.FromResult<HttpReply>(new HttpContentReply { StatusCode = 200, ContentType = "application/json", Body = json });
        },
        },
        new HttpEndpoint
        {
            Method = "GET",
            Pattern = "/test/files/{name}",
            Handler = (request, _) =>
        {
            var name = request.RouteValues["name"];
            var path = Path.Combine(directory, Path.GetFileName(name));
            if (!File.Exists(path))
            {
                throw new ResourceNotFoundException("recording", name);
            }

            return ValueTask.FromResult<HttpReply>(new HttpFileReply { Path = path, ContentType = "video/mp4", DownloadName = name, ETag = "\"v1\"", LastModified = FileTime, CacheControl = "no-cache" });
        },
        },
        new HttpEndpoint
        {
            Method = "GET",
            Pattern = "/test/opened/{name}",
            Handler = (request, _) =>
        {
            // The endpoint opened the file itself (as the download endpoint does after its checks); the path it names
            // does not exist, so the bytes can only come from the stream.
            var stream = File.OpenRead(Path.Combine(directory, Path.GetFileName(request.RouteValues["name"])));
            Opened.Add(stream);
            return ValueTask.FromResult<HttpReply>(new HttpFileReply { Path = Path.Combine(directory, "not-there"), Content = stream, ContentType = "video/mp4", ETag = "\"v1\"", LastModified = FileTime });
        },
        },
        new HttpEndpoint { Method = "GET", Pattern = "/test/bug", Handler = (_, _) => throw new InvalidOperationException("secret detail /srv/private/path") },
    ];
}

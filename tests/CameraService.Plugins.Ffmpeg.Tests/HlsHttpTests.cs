using CameraService.Abstractions.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>
/// The HLS endpoints behind a real HTTP listener (127.0.0.1, free port) and a real player (ffprobe's HLS demuxer),
/// which fetches segments relative to the playlist URL exactly as a browser player does.
/// </summary>
public sealed class HlsHttpTests
{
    private readonly System.Collections.Concurrent.ConcurrentBag<(string Path, int Status)> _requests = [];

    [Fact]
    public async Task Playlist_FetchedByPlayerWithSignedUrl_SegmentsLoadAndDecode()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
        await using var server = await StartServerAsync(ctx.Endpoints.Endpoints);
        var dir = Path.Combine(ctx.Root.FullName, "hls", "camera0", "index.m3u8");
        await Media.WaitUntilAsync(() => File.Exists(dir) && File.ReadAllLines(dir).Count(l => l.EndsWith(".ts", StringComparison.Ordinal)) >= 3,
            TimeSpan.FromSeconds(20), "3 HLS segments");
        var url = server.Urls.Single() + "/streams/camera0/index.m3u8?token=signed.streams.camera0";

        var (exitCode, errors) = await Media.DecodeAsync(url, frames: 25);

        Assert.Equal((0, string.Empty), (exitCode, errors.Trim()));
        Assert.Contains(_requests, r => r.Path.EndsWith(".ts", StringComparison.Ordinal) && r.Status == 200);
        Assert.DoesNotContain(_requests, r => r.Status != 200);
        using var http = new HttpClient();
        Assert.Equal(401, (int)(await http.GetAsync(server.Urls.Single() + "/streams/camera0/index.m3u8")).StatusCode);
    }

    private async Task<WebApplication> StartServerAsync(IReadOnlyList<HttpEndpoint> endpoints)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        foreach (var endpoint in endpoints)
        {
            app.MapMethods(endpoint.Pattern, [endpoint.Method], async (HttpContext http) =>
            {
                var auth = http.Request.Headers.Authorization.ToString();
                var request = new HttpRequestData
                {
                    Method = http.Request.Method,
                    Path = http.Request.Path,
                    RouteValues = http.Request.RouteValues.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? string.Empty),
                    Query = http.Request.Query.ToDictionary(kv => kv.Key, kv => kv.Value.ToString()),
                    Headers = http.Request.Headers.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                    BearerToken = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : null,
                };
                var reply = await endpoint.Handler(request, http.RequestAborted);
                _requests.Add((request.Path, reply.StatusCode));
                http.Response.StatusCode = reply.StatusCode;
                switch (reply)
                {
                    case HttpContentReply content:
                        http.Response.ContentType = content.ContentType;
                        await http.Response.Body.WriteAsync(content.Body, http.RequestAborted);
                        break;
                    case HttpFileReply file:
                        http.Response.ContentType = file.ContentType;
                        await http.Response.SendFileAsync(file.Path, http.RequestAborted);
                        break;
                }
            });
        }

        await app.StartAsync();
        return app;
    }
}

using System.Text;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class HlsTests
{
    private static HttpRequestData Request(string cameraId, string file, string? bearer = null, string? token = null) =>
        new HttpRequestData
        {
            Method = "GET",
            Path = $"/streams/{cameraId}/{file}",
            RouteValues = new Dictionary<string, string> { ["cameraId"] = cameraId, ["segment"] = file },
            Query = token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["token"] = token },
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
            BearerToken = bearer,
        };

    private static async Task<HttpReply> GetAsync(FfmpegTestContext ctx, HttpRequestData request)
    {
        var endpoint = request.Path.EndsWith("/index.m3u8", StringComparison.Ordinal)
            ? ctx.Endpoints.Endpoints.Single(e => e.Pattern == "/streams/{cameraId}/index.m3u8")
            : ctx.Endpoints.Endpoints.Single(e => e.Pattern == "/streams/{cameraId}/{segment}");
        return await endpoint.Handler(request, CancellationToken.None);
    }

    private static async Task WaitForSegmentsAsync(FfmpegTestContext ctx, int count)
    {
        var dir = Path.Combine(ctx.Root.FullName, "hls", "camera0");
        await Media.WaitUntilAsync(
            () => File.Exists(Path.Combine(dir, "index.m3u8"))
                && File.ReadAllLines(Path.Combine(dir, "index.m3u8")).Count(l => l.EndsWith(".ts", StringComparison.Ordinal)) >= count,
            TimeSpan.FromSeconds(20), $"{count} HLS segments");
    }

    [Fact]
    public async Task StartStreamingAsync_HlsPlaylistValidAndSegmentsDecode()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();

        var info = await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
        await WaitForSegmentsAsync(ctx, 2);

        Assert.Equal(StreamState.Active, info.State);
        Assert.True(info.Ready);
        var reply = Assert.IsType<HttpContentReply>(await GetAsync(ctx, Request("camera0", "index.m3u8", token: "signed.streams.camera0")));
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("application/vnd.apple.mpegurl", reply.ContentType);
        var lines = Encoding.UTF8.GetString(reply.Body.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#EXTM3U", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-TARGETDURATION:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal));
        var uris = lines.Where(l => !l.StartsWith('#')).ToList();
        Assert.True(uris.Count >= 2);
        Assert.All(uris, u => Assert.Matches(@"^index\d+\.ts\?token=signed\.streams\.camera0$", u));

        var segmentName = uris[0].Split('?')[0];
        var segment = Assert.IsType<HttpFileReply>(await GetAsync(ctx, Request("camera0", segmentName, token: "signed.streams.camera0")));
        Assert.Equal("video/mp2t", segment.ContentType);
        var (codec, frames, _) = await Media.ProbeAsync(segment.Path);
        Assert.Equal("h264", codec);
        Assert.True(frames > 0);

        var stopped = await ctx.Backend.StopStreamingAsync("camera0", CancellationToken.None);
        Assert.Equal(StreamState.Inactive, stopped.State);
        Assert.Equal(404, (await GetAsync(ctx, Request("camera0", "index.m3u8", token: "signed.streams.camera0"))).StatusCode);
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task HlsEndpoints_Auth_RejectsMissingAndBadCredentialsAndAcceptsGoodOnes()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
        await WaitForSegmentsAsync(ctx, 1);

        Assert.Equal(401, (await GetAsync(ctx, Request("camera0", "index.m3u8"))).StatusCode);
        Assert.Equal(401, (await GetAsync(ctx, Request("camera0", "index.m3u8", token: "forged"))).StatusCode);
        Assert.Equal(401, (await GetAsync(ctx, Request("camera0", "index.m3u8", token: "signed.streams.camera1"))).StatusCode);
        Assert.Equal(401, (await GetAsync(ctx, Request("camera0", "index.m3u8", bearer: "wrong"))).StatusCode);
        // An expired link does not lock out a caller that also sends a valid Bearer header.
        Assert.Equal(200, (await GetAsync(ctx, Request("camera0", "index.m3u8", bearer: FfmpegTestContext.ViewerToken, token: "expired"))).StatusCode);

        var byBearer = Assert.IsType<HttpContentReply>(await GetAsync(ctx, Request("camera0", "index.m3u8", bearer: FfmpegTestContext.ViewerToken)));
        Assert.Equal(200, byBearer.StatusCode);
        var segmentUri = Encoding.UTF8.GetString(byBearer.Body.Span).Split('\n').First(l => l.Contains(".ts", StringComparison.Ordinal));
        // A Bearer caller's playlist carries a freshly signed token, so a plain player can fetch the segments.
        Assert.EndsWith("?token=signed.streams.camera0", segmentUri, StringComparison.Ordinal);
        var name = segmentUri.Split('?')[0];
        Assert.Equal(401, (await GetAsync(ctx, Request("camera0", name))).StatusCode);
        Assert.Equal(401, (await GetAsync(ctx, Request("camera0", name, token: "forged"))).StatusCode);
        Assert.IsType<HttpFileReply>(await GetAsync(ctx, Request("camera0", name, token: "signed.streams.camera0")));
        Assert.IsType<HttpFileReply>(await GetAsync(ctx, Request("camera0", name, bearer: FfmpegTestContext.ViewerToken)));
        Assert.Equal(404, (await GetAsync(ctx, Request("camera0", "live.jpg", bearer: FfmpegTestContext.ViewerToken))).StatusCode);
        Assert.Equal(404, (await GetAsync(ctx, Request("camera0", "..%2Findex.m3u8", bearer: FfmpegTestContext.ViewerToken))).StatusCode);
        Assert.Equal(404, (await GetAsync(ctx, Request("camera7", "index.m3u8", bearer: FfmpegTestContext.ViewerToken))).StatusCode);
    }

    [Fact]
    public async Task StopStreamingAsync_WhileRecording_KeepsRecordingAndReportsActive()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        var pid = ctx.Backend.Find("camera0")!.ProcessId;

        var info = await ctx.Backend.StopStreamingAsync("camera0", CancellationToken.None);

        Assert.Equal(StreamState.Active, info.State);
        Assert.Equal(pid, ctx.Backend.Find("camera0")!.ProcessId);
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);
        Assert.NotEmpty(stopped.Files);
        Assert.Empty(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task StartStreamingAsync_WhileRecording_RestartsWithHlsAndRecordingContinuesInNewSegment()
    {
        await using var ctx = new FfmpegTestContext();
        await ctx.PublishAsync();
        await ctx.Backend.StartRecordingAsync(ctx.Recording(), CancellationToken.None);
        var pipeline = ctx.Backend.Find("camera0")!;
        await Media.WaitUntilAsync(() => pipeline.ActiveRecording!.Files.Any(f => f.Size > 40_000), TimeSpan.FromSeconds(15), "the first fragments");

        await ctx.Backend.StartStreamingAsync("camera0", CancellationToken.None);
        await WaitForSegmentsAsync(ctx, 1);
        var stopped = await ctx.Backend.StopRecordingAsync("camera0", CancellationToken.None);

        Assert.Equal(2, stopped.Files.Count);
        foreach (var file in stopped.Files)
        {
            var (codec, frames, _) = await Media.ProbeAsync(file.Path);
            Assert.Equal("h264", codec);
            Assert.True(frames > 0);
        }

        // The live stream goes on without the recording.
        Assert.Equal(StreamState.Active, (await ctx.Backend.GetStreamAsync("camera0", CancellationToken.None)).State);
        Assert.Equal(200, (await GetAsync(ctx, Request("camera0", "index.m3u8", token: "signed.streams.camera0"))).StatusCode);
        Assert.Single(ctx.OwnFfmpegChildren());
    }

    [Fact]
    public async Task Endpoints_OtherBackendActive_ServesNothing()
    {
        await using var ctx = new FfmpegTestContext(new() { ["CameraService:StreamBackend"] = "mediamtx" });

        Assert.Empty(ctx.Endpoints.Endpoints);
    }

    [Fact]
    public async Task HlsEndpoints_NoAccessControlRegistered_RefusesWith503()
    {
        await using var ctx = new FfmpegTestContext(withAccessControl: false);
        await ctx.PublishAsync();

        var reply = await GetAsync(ctx, Request("camera0", "index.m3u8", bearer: FfmpegTestContext.ViewerToken));

        Assert.Equal(503, reply.StatusCode);
    }

    [Fact]
    public void RewritePlaylist_AppendsTokenToUriLinesOnly()
    {
        var text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nindex5.ts\n#EXTINF:1.0,\r\nindex6.ts\n";

        var rewritten = HlsEndpointSource.RewritePlaylist(text, "a+b/c");

        Assert.Equal("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nindex5.ts?token=a%2Bb%2Fc\n#EXTINF:1.0,\nindex6.ts?token=a%2Bb%2Fc\n", rewritten);
    }

    [Fact]
    public async Task GetStreamUrls_UsesTheServiceEnvironmentsPublicBaseUrl()
    {
        await using var withBase = new FfmpegTestContext(publicBaseUrl: "https://cams.example.org/");
        await using var withHost = new FfmpegTestContext(publicBaseUrl: "http://box.local:9000");

        Assert.Equal(new StreamUrls { Hls = "https://cams.example.org/streams/camera0/index.m3u8" }, withBase.Backend.GetStreamUrls("camera0"));
        Assert.Equal("http://box.local:9000/streams/camera1/index.m3u8", withHost.Backend.GetStreamUrls("camera1").Hls);
    }
}

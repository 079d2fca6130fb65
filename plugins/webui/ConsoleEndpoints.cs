using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;

namespace CameraService.Plugins.WebUi;

/// <summary>
/// <c>GET /</c> (the page), <c>GET /webui/{file}</c> (its scripts, styles, icon) and <c>GET /webui/signin/{code}</c>
/// (a one-time sign-in code exchanged for its credential). Every answer carries a strict Content-Security-Policy:
/// scripts and styles only from this origin, no inline script, no framing.
/// </summary>
internal sealed class ConsoleEndpoints(ConsoleAssets assets, SignInCodes codes, IServiceEnvironment environment) : IHttpEndpointSource
{
    /// <summary>
    /// Scripts, styles and fonts only from the console itself. Media, images and XHR may also come from the stream
    /// and download URLs the API hands out, which can be another host or port (MediaMTX's HLS/WebRTC ports,
    /// <c>Api:PublicBaseUrl</c>), never from anywhere the page chose itself.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data: blob: http: https:; " +
        "media-src 'self' blob: http: https:; connect-src 'self' ws: wss: http: https:; worker-src 'self' blob:; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private readonly Lazy<ConsoleAsset?> _index = new(() => assets.Index(environment.ApiWebSocketPath));

    public IReadOnlyList<HttpEndpoint> Endpoints =>
    [
        new HttpEndpoint { Method = "GET", Pattern = "/", Handler = (request, _) => ValueTask.FromResult(Page(request)) },
        new HttpEndpoint { Method = "GET", Pattern = "/webui/signin/{code}", Handler = (request, _) => ValueTask.FromResult<HttpReply>(SignIn(request.RouteValues["code"])) },
        new HttpEndpoint { Method = "GET", Pattern = "/webui/{file}", Handler = (request, _) => ValueTask.FromResult(Asset(request)) },
    ];

    private HttpReply Page(HttpRequestData request)
    {
        var index = _index.Value ?? throw new DependencyFailedException(
            "webui", "The web console was not built into this plugin (Node.js/npm missing at build time); rebuild with npm installed.");

        // Revalidated on every load so a new version is picked up; the assets it names are content-hashed.
        return Reply(request, index, "no-cache");
    }

    private HttpReply Asset(HttpRequestData request)
    {
        var name = request.RouteValues["file"];
        if (name == "index.html" || assets.Find(name) is not { } asset)
        {
            throw new ResourceNotFoundException("file", name, "No such console file.");
        }

        // Hashed names (main-ABCD1234.js) never change content; the icon is short-lived.
        var immutable = name.Contains('-', StringComparison.Ordinal);
        return Reply(request, asset, immutable ? "public, max-age=31536000, immutable" : "public, max-age=3600");
    }

    private HttpHeadersReply SignIn(string code)
    {
        var credential = code.Length is > 0 and <= 128 ? codes.Redeem(code) : null;
        if (credential is null)
        {
            throw new ResourceNotFoundException("sign-in code", "…", "This sign-in link was already used or has expired. Restart the demo for a new link, or paste a token.");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["token"] = credential });
        return new HttpHeadersReply
        {
            ContentType = "application/json",
            Body = body,
            Headers = new Dictionary<string, string>
            {
                ["Cache-Control"] = "no-store",
                ["X-Content-Type-Options"] = "nosniff",
                ["Referrer-Policy"] = "no-referrer",
            },
        };
    }

    internal static HttpReply Reply(HttpRequestData request, ConsoleAsset asset, string cacheControl)
    {
        var gzip = asset.Gzip is not null && request.Headers.TryGetValue("Accept-Encoding", out var accept) && accept.Contains("gzip", StringComparison.OrdinalIgnoreCase);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Security-Policy"] = ContentSecurityPolicy,
            ["X-Content-Type-Options"] = "nosniff",
            ["Referrer-Policy"] = "no-referrer",
            ["X-Frame-Options"] = "DENY",
            ["Cache-Control"] = cacheControl,
            ["ETag"] = asset.ETag,
            ["Vary"] = "Accept-Encoding",
        };
        if (request.Headers.TryGetValue("If-None-Match", out var match) && match.Split(',').Any(t => t.Trim() == asset.ETag))
        {
            return new HttpHeadersReply { StatusCode = 304, ContentType = asset.ContentType, Headers = headers };
        }

        if (gzip)
        {
            headers["Content-Encoding"] = "gzip";
        }

        return new HttpHeadersReply { ContentType = asset.ContentType, Body = gzip ? asset.Gzip : asset.Body, Headers = headers };
    }
}

namespace CameraService.Abstractions.Api;

/// <summary>
/// Contributes HTTP endpoints to the API listener (files, HLS, health, metrics, OpenRPC).
/// Any plugin or the core may register one or more; the HTTP transport serves them all.
/// </summary>
public interface IHttpEndpointSource
{
    /// <summary>The endpoints, fixed once the service starts.</summary>
    IReadOnlyList<HttpEndpoint> Endpoints { get; }
}

/// <summary>An HTTP endpoint.</summary>
/// <param name="Method">HTTP method (<c>GET</c>).</param>
/// <param name="Pattern">Route pattern with parameters in braces, e.g. <c>/files/recordings/{filename}</c>.</param>
/// <param name="Handler">The handler.</param>
public sealed record HttpEndpoint(string Method, string Pattern, HttpEndpointHandler Handler);

/// <summary>Handles an HTTP request.</summary>
/// <param name="request">The request.</param>
/// <param name="cancellationToken">Cancelled when the client goes away.</param>
public delegate ValueTask<HttpReply> HttpEndpointHandler(HttpRequestData request, CancellationToken cancellationToken);

/// <summary>An HTTP request as an endpoint sees it.</summary>
/// <param name="Method">The method.</param>
/// <param name="Path">The decoded path.</param>
/// <param name="RouteValues">Values of the pattern's parameters.</param>
/// <param name="Query">Query parameters (first value of each).</param>
/// <param name="Headers">Request headers, case-insensitive names.</param>
/// <param name="BearerToken">The token of an <c>Authorization: Bearer</c> header, if any.</param>
public sealed record HttpRequestData(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> RouteValues,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    string? BearerToken);

/// <summary>The answer of an endpoint.</summary>
/// <param name="StatusCode">HTTP status code.</param>
public abstract record HttpReply(int StatusCode);

/// <summary>An answer with a body in memory (JSON, text).</summary>
/// <param name="StatusCode">HTTP status code.</param>
/// <param name="ContentType">Content type, e.g. <c>application/json</c>.</param>
/// <param name="Body">The body.</param>
public sealed record HttpContentReply(int StatusCode, string ContentType, ReadOnlyMemory<byte> Body) : HttpReply(StatusCode);

/// <summary>
/// A file streamed from disk, with <c>Range</c>/206, <c>ETag</c>/<c>If-None-Match</c> and <c>Last-Modified</c>
/// handled by the transport.
/// </summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="ContentType">Content type.</param>
/// <param name="DownloadName">When set, sent as <c>Content-Disposition: attachment</c>.</param>
/// <param name="ETag">Entity tag, quoted, or null.</param>
/// <param name="LastModified">Last modification time, or null.</param>
/// <param name="CacheControl">A <c>Cache-Control</c> value, or null.</param>
public sealed record HttpFileReply(string Path, string ContentType, string? DownloadName, string? ETag, DateTimeOffset? LastModified, string? CacheControl = null) : HttpReply(200);

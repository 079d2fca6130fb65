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
public sealed record HttpEndpoint
{
    /// <summary>HTTP method (<c>GET</c>).</summary>
    public required string Method { get; init; }

    /// <summary>Route pattern with parameters in braces, e.g. <c>/files/recordings/{filename}</c>.</summary>
    public required string Pattern { get; init; }

    /// <summary>The handler.</summary>
    public required HttpEndpointHandler Handler { get; init; }
}

/// <summary>Handles an HTTP request.</summary>
/// <param name="request">The request.</param>
/// <param name="cancellationToken">Cancelled when the client goes away.</param>
public delegate ValueTask<HttpReply> HttpEndpointHandler(HttpRequestData request, CancellationToken cancellationToken);

/// <summary>An HTTP request as an endpoint sees it.</summary>
public sealed record HttpRequestData
{
    /// <summary>The method.</summary>
    public required string Method { get; init; }

    /// <summary>The decoded path.</summary>
    public required string Path { get; init; }

    /// <summary>Values of the pattern's parameters.</summary>
    public IReadOnlyDictionary<string, string> RouteValues { get; init; } = EmptyValues;

    /// <summary>Query parameters (first value of each).</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = EmptyValues;

    /// <summary>Request headers, case-insensitive names.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyValues;

    /// <summary>The token of an <c>Authorization: Bearer</c> header, if any.</summary>
    public string? BearerToken { get; init; }

    private static IReadOnlyDictionary<string, string> EmptyValues { get; } = new Dictionary<string, string>();
}

/// <summary>The answer of an endpoint: <see cref="HttpContentReply"/> or <see cref="HttpFileReply"/>.</summary>
public abstract record HttpReply
{
    /// <summary>Only the SDK's reply types derive from it.</summary>
    private protected HttpReply()
    {
    }

    /// <summary>HTTP status code (200 unless set).</summary>
    public int StatusCode { get; init; } = 200;
}

/// <summary>An answer with a body in memory (JSON, text).</summary>
public sealed record HttpContentReply : HttpReply
{
    /// <summary>Content type, e.g. <c>application/json</c>.</summary>
    public required string ContentType { get; init; }

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }
}

/// <summary>
/// A file streamed from disk, with <c>Range</c>/206, <c>ETag</c>/<c>If-None-Match</c> and <c>Last-Modified</c>
/// handled by the transport. Its <see cref="HttpReply.StatusCode"/> is 200 (the transport answers 206/304 itself).
/// </summary>
public sealed record HttpFileReply : HttpReply
{
    /// <summary>Full path of the file.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// The file, already opened by the endpoint, or null to let the transport open <see cref="Path"/>. An endpoint that
    /// checked the file (e.g. that it lies inside a directory, with no symlink swapped in) opens it itself and hands over
    /// the stream, so that the bytes served are those of the file it checked. Seekable (for <c>Range</c>); the
    /// transport disposes it.
    /// </summary>
    public Stream? Content { get; init; }

    /// <summary>Content type.</summary>
    public required string ContentType { get; init; }

    /// <summary>When set, sent as <c>Content-Disposition: attachment</c>.</summary>
    public string? DownloadName { get; init; }

    /// <summary>Entity tag, quoted, or null.</summary>
    public string? ETag { get; init; }

    /// <summary>Last modification time, or null.</summary>
    public DateTimeOffset? LastModified { get; init; }

    /// <summary>A <c>Cache-Control</c> value, or null.</summary>
    public string? CacheControl { get; init; }
}

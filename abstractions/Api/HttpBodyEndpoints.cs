namespace CameraService.Abstractions.Api;

/// <summary>
/// Contributes HTTP endpoints that read the request body (e.g. <c>POST /mediamtx/auth</c>) to the API listener.
/// The transport reads at most <see cref="HttpBodyEndpoint.MaxBodyBytes"/> and answers 413 beyond.
/// </summary>
public interface IHttpBodyEndpointSource
{
    /// <summary>The endpoints, fixed once the service starts.</summary>
    IReadOnlyList<HttpBodyEndpoint> BodyEndpoints { get; }
}

/// <summary>An HTTP endpoint that receives the request body.</summary>
public sealed class HttpBodyEndpoint
{
    /// <summary>HTTP method (<c>POST</c>).</summary>
    public required string Method { get; init; }

    /// <summary>Route pattern, e.g. <c>/mediamtx/auth</c>.</summary>
    public required string Pattern { get; init; }

    /// <summary>The largest body accepted; larger requests get 413 without reaching the handler.</summary>
    public required int MaxBodyBytes { get; init; }

    /// <summary>The handler.</summary>
    public required HttpBodyEndpointHandler Handler { get; init; }
}

/// <summary>Handles an HTTP request with its body.</summary>
/// <param name="request">The request (headers, query, bearer token, and <see cref="HttpRequestData.Headers"/> as usual).</param>
/// <param name="body">The complete body, at most the endpoint's <see cref="HttpBodyEndpoint.MaxBodyBytes"/>.</param>
/// <param name="cancellationToken">Cancelled when the client goes away.</param>
public delegate ValueTask<HttpReply> HttpBodyEndpointHandler(HttpRequestData request, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

/// <summary>
/// The credential the service's own components present to an external media server (MediaMTX): Control API calls,
/// the publisher it starts for each camera and the snapshotter's reads. Implemented by the core, derived from the
/// service's secret, so no password has to be written into the media server's configuration; the core's
/// <c>POST /mediamtx/auth</c> grants <c>publish</c>, <c>api</c>, <c>metrics</c> and <c>pprof</c> only to it.
/// </summary>
public interface IServiceCredentials
{
    /// <summary>The user name.</summary>
    string User { get; }

    /// <summary>The password.</summary>
    string Password { get; }
}

/// <summary>
/// Credential checks that also apply the credential's camera scope (api-contract §8.5) to a resource. Implemented
/// by the core's <see cref="IAccessControl"/>; endpoints serving one camera's data (downloads, HLS) use it when
/// available so a credential limited to some cameras cannot fetch another camera's files or stream.
/// </summary>
public interface IScopedAccessControl
{
    /// <summary>
    /// Checks a credential against a minimum role and the resource's camera: <c>streams/&lt;camera&gt;</c>,
    /// <c>recordings/&lt;file&gt;</c> or <c>snapshots/&lt;file&gt;</c> (the file name's <c>camera&lt;N&gt;_</c> prefix names
    /// the camera). Outside the scope: not allowed, status 404, reason <c>camera_not_allowed</c> (the other camera
    /// does not exist for this credential).
    /// </summary>
    /// <param name="credential">The token, or null when none was presented.</param>
    /// <param name="minimumRole">The role needed.</param>
    /// <param name="resource">The resource asked for.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AccessResult> AuthorizeResourceAsync(string? credential, ApiRole minimumRole, string resource, CancellationToken cancellationToken);
}

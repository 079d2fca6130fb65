namespace CameraService.Abstractions.Api;

/// <summary>API roles, ordered.</summary>
public enum ApiRole
{
    /// <summary>Read-only access.</summary>
    Viewer = 1,

    /// <summary>Read and control (record, snapshot, stream).</summary>
    Operator = 2,

    /// <summary>Everything, including storage and system administration.</summary>
    Admin = 3,
}

/// <summary>
/// Credentials and signed URLs, for endpoints outside the JSON-RPC session (downloads, HLS, metrics).
/// Implemented by the core.
/// </summary>
public interface IAccessControl
{
    /// <summary>Checks a credential (JWT or API key) against a minimum role.</summary>
    /// <param name="credential">The token, or null when none was presented.</param>
    /// <param name="minimumRole">The role needed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AccessResult> AuthorizeAsync(string? credential, ApiRole minimumRole, CancellationToken cancellationToken);

    /// <summary>Signs a resource (e.g. <c>recordings/camera0_….mp4</c>) for a limited time; the result goes in a URL's <c>token</c>.</summary>
    /// <param name="resource">The resource the signature is bound to.</param>
    /// <param name="lifetime">How long it stays valid.</param>
    string SignResource(string resource, TimeSpan lifetime);

    /// <summary>Whether <paramref name="signature"/> was made by <see cref="SignResource"/> for this resource and has not expired.</summary>
    /// <param name="resource">The resource asked for.</param>
    /// <param name="signature">The signature from the URL.</param>
    bool VerifyResource(string resource, string signature);
}

/// <summary>The outcome of an authorization.</summary>
public sealed record AccessResult
{
    /// <summary>Whether access is granted.</summary>
    public required bool Allowed { get; init; }

    /// <summary>200 when allowed, 401 for missing/invalid/expired credentials, 403 for a role too low.</summary>
    public required int StatusCode { get; init; }

    /// <summary>Why not, e.g. <c>token_expired</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The credential's role, when valid.</summary>
    public ApiRole? Role { get; init; }

    /// <summary>The credential's user, when valid.</summary>
    public string? UserId { get; init; }
}

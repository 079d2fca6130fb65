namespace CameraService.Abstractions.Api;

/// <summary>
/// A caller that an in-process transport vouches for without a token: the MQTT bridge acting with the role
/// its configuration gives it, a fleet node serving a request that a gateway signed with the fleet credential.
/// The transport is responsible for having authenticated the caller by its own means.
/// </summary>
public sealed class TrustedPrincipal
{
    /// <summary>Who acts, for logs and the audit trail (e.g. <c>mqtt</c>, <c>fleet:gateway-1:alice</c>).</summary>
    public required string UserId { get; init; }

    /// <summary>The role the calls run with.</summary>
    public required ApiRole Role { get; init; }

    /// <summary>The cameras the caller may see and use (<c>camera&lt;N&gt;</c> ids); null = every camera.</summary>
    public IReadOnlyList<string>? Cameras { get; init; }
}

/// <summary>
/// Opens JSON-RPC sessions that are authenticated from the start with a <see cref="TrustedPrincipal"/>.
/// Implemented by the core next to <see cref="IRpcEndpoint"/>; resolve it from the service provider.
/// Such a session behaves like any other (method table, roles, rate limit, notifications) except that it
/// needs no <c>authenticate</c> call and its principal never expires.
/// </summary>
public interface ITrustedRpcEndpoint
{
    /// <summary>Opens an authenticated session for a connection of an in-process transport.</summary>
    /// <param name="connection">The transport's side of the connection.</param>
    /// <param name="principal">Who the calls of this session run as.</param>
    IRpcSession OpenTrustedSession(IRpcConnection connection, TrustedPrincipal principal);
}

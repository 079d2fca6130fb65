using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Auth;

/// <summary>
/// Who the JSON-RPC call running on this async flow acts for. Set by the RPC endpoint around each handler, so a
/// signed URL minted during the call (<see cref="IAccessControl.SignResource"/>, called by the core's methods or a
/// plugin) is bound to the caller's credential without threading it through every signature.
/// </summary>
internal static class CallerContext
{
    private static readonly AsyncLocal<AuthPrincipal?> s_current = new();

    public static AuthPrincipal? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }
}

/// <summary>
/// The core's <see cref="IAccessControl"/>: credentials for HTTP endpoints and HMAC-signed, expiring resource
/// tokens bound to one resource and, when minted during a call, to the credential that asked
/// (<c>v2.&lt;unix-expiry&gt;.&lt;base64url credential&gt;.&lt;base64url HMAC-SHA256(resource, expiry, credential)&gt;</c>).
/// A bound token stops working as soon as its credential is revoked (API key revoked, JWT revoked by id or user),
/// and never outlives the credential's own expiry. Tokens minted outside a call (a plugin re-signing after it
/// checked a bearer itself) are unbound: <c>&lt;unix-expiry&gt;.&lt;base64url HMAC&gt;</c>.
/// </summary>
internal sealed class AccessControl(CredentialValidator validator, ApiKeyStore apiKeys, TokenRevocations revocations, JwtSecret secret, TimeProvider timeProvider) : IAccessControl, IScopedAccessControl
{
    private const string BoundPrefix = "v2.";

    // Longest accepted token: a bound credential carries a user id, which is bounded by the JWT's size.
    private const int MaxTokenLength = 4096;

    public async ValueTask<AccessResult> AuthorizeAsync(string? credential, ApiRole minimumRole, CancellationToken cancellationToken)
    {
        var check = await validator.ValidateAsync(credential).ConfigureAwait(false);
        if (check.Principal is not { } principal)
        {
            return new AccessResult { Allowed = false, StatusCode = 401, Reason = check.FailureReason };
        }

        return principal.Role < minimumRole
            ? new AccessResult { Allowed = false, StatusCode = 403, Reason = "insufficient_role", Role = principal.Role, UserId = principal.UserId }
            : new AccessResult { Allowed = true, StatusCode = 200, Role = principal.Role, UserId = principal.UserId };
    }

    public async ValueTask<AccessResult> AuthorizeResourceAsync(string? credential, ApiRole minimumRole, string resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var check = await validator.ValidateAsync(credential).ConfigureAwait(false);
        if (check.Principal is not { } principal)
        {
            return new AccessResult { Allowed = false, StatusCode = 401, Reason = check.FailureReason };
        }

        var slash = resource.IndexOf('/', StringComparison.Ordinal);
        var kind = slash < 0 ? string.Empty : resource[..slash];
        var name = slash < 0 ? resource : resource[(slash + 1)..];
        var inScope = kind == "streams" ? principal.Scope.Allows(name) : principal.Scope.AllowsFile(name);
        if (!inScope)
        {
            return new AccessResult { Allowed = false, StatusCode = 404, Reason = "camera_not_allowed", Role = principal.Role, UserId = principal.UserId };
        }

        return principal.Role < minimumRole
            ? new AccessResult { Allowed = false, StatusCode = 403, Reason = "insufficient_role", Role = principal.Role, UserId = principal.UserId }
            : new AccessResult { Allowed = true, StatusCode = 200, Role = principal.Role, UserId = principal.UserId };
    }

    /// <summary>Checks a credential and returns its principal (the MediaMTX auth endpoint needs role and scope).</summary>
    public ValueTask<CredentialCheck> ValidateAsync(string? credential) => validator.ValidateAsync(credential);

    public string SignResource(string resource, TimeSpan lifetime) => SignFor(CallerContext.Current, resource, lifetime);

    /// <summary>Signs a resource for a principal (bound to its credential), or unbound when <paramref name="principal"/> is null.</summary>
    public string SignFor(AuthPrincipal? principal, string resource, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var until = timeProvider.GetUtcNow() + lifetime;
        if (principal?.ExpiresAt is { } credentialExpiry && credentialExpiry < until)
        {
            until = credentialExpiry;
        }

        var expiry = until.ToUnixTimeSeconds();
        var expiryText = expiry.ToString(CultureInfo.InvariantCulture);
        if (principal is null)
        {
            return expiryText + "." + Base64Url.EncodeToString(Mac(resource, expiry, null));
        }

        var binding = Binding(principal);
        return BoundPrefix + expiryText + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(binding)) + "." + Base64Url.EncodeToString(Mac(resource, expiry, binding));
    }

    public bool VerifyResource(string resource, string signature) => Verify(resource, signature) is null;

    /// <summary>Null when the token is valid for the resource now, else why not (<c>invalid_signature</c>, <c>expired</c>, <c>credential_revoked</c>).</summary>
    public string? Verify(string resource, string? signature)
    {
        if (string.IsNullOrEmpty(resource) || string.IsNullOrEmpty(signature) || signature.Length > MaxTokenLength)
        {
            return "invalid_signature";
        }

        var bound = signature.StartsWith(BoundPrefix, StringComparison.Ordinal);
        var parts = (bound ? signature[BoundPrefix.Length..] : signature).Split('.');
        if (parts.Length != (bound ? 3 : 2)
            || parts[0].Length is 0 or > 12
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
        {
            return "invalid_signature";
        }

        byte[] presented;
        string? binding = null;
        try
        {
            presented = Base64Url.DecodeFromChars(parts[^1]);
            if (bound)
            {
                binding = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
            }
        }
        catch (FormatException)
        {
            return "invalid_signature";
        }

        if (!CryptographicOperations.FixedTimeEquals(presented, Mac(resource, expiry, binding)))
        {
            return "invalid_signature";
        }

        if (timeProvider.GetUtcNow().ToUnixTimeSeconds() >= expiry)
        {
            return "expired";
        }

        return binding is null || StillValid(binding) ? null : "credential_revoked";
    }

    // k:<api key id> | j:<iat>:<jti>:<user id> | t:<user id> (trusted principal: the transport ends its sessions itself).
    private static string Binding(AuthPrincipal principal)
    {
        if (principal.ApiKeyId is { } keyId)
        {
            return "k:" + keyId;
        }

        if (principal.Trusted)
        {
            return "t:" + principal.UserId;
        }

        var iat = principal.IssuedAt?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) ?? string.Empty;
        return "j:" + iat + ":" + (principal.TokenId ?? string.Empty) + ":" + principal.UserId;
    }

    private bool StillValid(string binding)
    {
        if (binding.StartsWith("k:", StringComparison.Ordinal))
        {
            return apiKeys.CheckStillValid(binding[2..]) is null;
        }

        if (binding.StartsWith("t:", StringComparison.Ordinal))
        {
            return true;
        }

        var fields = binding.Split(':', 4);
        if (fields.Length != 4 || fields[0] != "j")
        {
            return false;
        }

        DateTimeOffset? issuedAt = long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iat) && iat <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(iat)
            : null;
        return !revocations.IsRevoked(fields[2].Length == 0 ? null : fields[2], fields[3], issuedAt);
    }

    private byte[] Mac(string resource, long expiry, string? binding)
    {
        var text = resource + "\n" + expiry.ToString(CultureInfo.InvariantCulture) + (binding is null ? string.Empty : "\n" + binding);
        return HMACSHA256.HashData(secret.ResourceKey, Encoding.UTF8.GetBytes(text));
    }
}

using System.Security.Cryptography;
using System.Text;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Auth;

/// <summary>Checks JWTs and API keys, and keeps checking a session's credential on every call.</summary>
internal sealed class CredentialValidator(JwtTokenService tokens, ApiKeyStore apiKeys)
{
    public ValueTask<CredentialCheck> ValidateAsync(string? credential)
    {
        if (string.IsNullOrWhiteSpace(credential))
        {
            return ValueTask.FromResult(CredentialCheck.Fail("auth_required"));
        }

        credential = credential.Trim();
        return credential.StartsWith(ApiKeyStore.Prefix, StringComparison.Ordinal)
            ? ValueTask.FromResult(apiKeys.Validate(credential))
            : tokens.ValidateAsync(credential);
    }

    /// <summary>Null while the principal may still call, else the reason (<c>token_expired</c>, <c>api_key_revoked</c>).</summary>
    public string? CheckStillValid(AuthPrincipal principal)
    {
        if (tokens.IsExpired(principal.ExpiresAt))
        {
            return "token_expired";
        }

        return principal.ApiKeyId is { } id ? apiKeys.CheckStillValid(id) : null;
    }
}

/// <summary>
/// The core's <see cref="IAccessControl"/>: credentials for HTTP endpoints and HMAC-signed, expiring resource
/// tokens bound to one resource (<c>&lt;unix-expiry&gt;.&lt;base64url HMAC-SHA256(resource, expiry)&gt;</c>).
/// </summary>
internal sealed class AccessControl(CredentialValidator validator, JwtSecret secret, TimeProvider timeProvider) : IAccessControl
{
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

    public string SignResource(string resource, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var expiry = (timeProvider.GetUtcNow() + lifetime).ToUnixTimeSeconds();
        return expiry.ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + System.Buffers.Text.Base64Url.EncodeToString(Mac(resource, expiry));
    }

    public bool VerifyResource(string resource, string signature)
    {
        if (string.IsNullOrEmpty(resource) || string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var dot = signature.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0
            || !long.TryParse(signature.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expiry))
        {
            return false;
        }

        byte[] presented;
        try
        {
            presented = System.Buffers.Text.Base64Url.DecodeFromChars(signature.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return false;
        }

        if (timeProvider.GetUtcNow().ToUnixTimeSeconds() >= expiry)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, Mac(resource, expiry));
    }

    private byte[] Mac(string resource, long expiry) =>
        HMACSHA256.HashData(secret.ResourceKey, Encoding.UTF8.GetBytes(resource + "\n" + expiry.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}

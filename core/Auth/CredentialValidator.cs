namespace CameraService.Core.Auth;

/// <summary>Checks JWTs and API keys, and keeps checking a session's credential on every call.</summary>
internal sealed class CredentialValidator(JwtTokenService tokens, ApiKeyStore apiKeys, TokenRevocations revocations)
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
            : ValidateJwtAsync(credential);
    }

    private async ValueTask<CredentialCheck> ValidateJwtAsync(string credential)
    {
        var check = await tokens.ValidateAsync(credential).ConfigureAwait(false);
        return check.Principal is { } p && revocations.IsRevoked(p.TokenId, p.UserId, p.IssuedAt)
            ? CredentialCheck.Fail("token_revoked")
            : check;
    }

    /// <summary>Null while the principal may still call, else the reason (<c>token_expired</c>, <c>api_key_revoked</c>).</summary>
    public string? CheckStillValid(AuthPrincipal principal)
    {
        if (tokens.IsExpired(principal.ExpiresAt))
        {
            return "token_expired";
        }

        if (principal.ApiKeyId is { } id)
        {
            return apiKeys.CheckStillValid(id);
        }

        return principal.Trusted || !revocations.IsRevoked(principal.TokenId, principal.UserId, principal.IssuedAt) ? null : "token_revoked";
    }
}


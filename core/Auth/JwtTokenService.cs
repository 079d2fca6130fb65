using CameraService.Abstractions.Api;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CameraService.Core.Auth;

/// <summary>
/// Mints and validates HS256 JWTs with Microsoft.IdentityModel.JsonWebTokens. Only HS256 is accepted
/// (<c>alg: none</c> and every other algorithm are refused); <c>exp</c> is required and checked against the
/// injected <see cref="TimeProvider"/> so expiry is testable and identical for every call.
/// </summary>
internal sealed class JwtTokenService
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly SymmetricSecurityKey _key;
    private readonly TokenValidationParameters _parameters;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _clockSkew;

    public JwtTokenService(JwtSecret secret, TimeProvider timeProvider, IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(options);
        _timeProvider = timeProvider;
        _clockSkew = options.Value.ClockSkew;
        _key = new SymmetricSecurityKey(secret.Key);
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidateIssuer = false,
            ValidateAudience = false,

            // Lifetime is checked below with the injected clock (the library would use the wall clock).
            ValidateLifetime = false,
            RequireExpirationTime = false,
        };
    }

    /// <summary>Creates a signed token with the claims <c>user_id</c>, <c>role</c>, <c>iat</c>, <c>exp</c>.</summary>
    public string Create(string userId, ApiRole role, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var now = _timeProvider.GetUtcNow();
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["user_id"] = userId,
                ["role"] = Roles.Name(role),
            },
            IssuedAt = now.UtcDateTime,
            Expires = now.Add(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        };
        return Handler.CreateToken(descriptor);
    }

    /// <summary>Validates a token; the failure reason is one of <c>malformed_token</c>, <c>algorithm_not_allowed</c>, <c>invalid_signature</c>, <c>exp_required</c>, <c>token_expired</c>, <c>invalid_role</c>, <c>user_id_required</c>.</summary>
    public async ValueTask<CredentialCheck> ValidateAsync(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return CredentialCheck.Fail("malformed_token");
        }
        catch (SecurityTokenException)
        {
            return CredentialCheck.Fail("malformed_token");
        }

        if (!string.Equals(jwt.Alg, SecurityAlgorithms.HmacSha256, StringComparison.Ordinal))
        {
            return CredentialCheck.Fail("algorithm_not_allowed");
        }

        var result = await Handler.ValidateTokenAsync(jwt, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return CredentialCheck.Fail(result.Exception is SecurityTokenInvalidAlgorithmException ? "algorithm_not_allowed" : "invalid_signature");
        }

        if (!jwt.TryGetPayloadValue<long>("exp", out var exp))
        {
            return CredentialCheck.Fail("exp_required");
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (IsExpired(expiresAt))
        {
            return CredentialCheck.Fail("token_expired");
        }

        if (!jwt.TryGetPayloadValue<string>("role", out var roleText) || !Roles.TryParse(roleText, out var role))
        {
            return CredentialCheck.Fail("invalid_role");
        }

        if (!jwt.TryGetPayloadValue<string>("user_id", out var userId) || string.IsNullOrWhiteSpace(userId))
        {
            return CredentialCheck.Fail("user_id_required");
        }

        return new CredentialCheck(new AuthPrincipal(userId, role, expiresAt, null), null);
    }

    /// <summary>Whether a credential that expires at <paramref name="expiresAt"/> is expired now (with <c>Auth:ClockSkew</c>).</summary>
    public bool IsExpired(DateTimeOffset? expiresAt) =>
        expiresAt is { } e && _timeProvider.GetUtcNow() >= e + _clockSkew;
}

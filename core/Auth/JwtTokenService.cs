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
    private readonly TimeSpan _maxLifetime;

    public JwtTokenService(JwtSecret secret, TimeProvider timeProvider, IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(options);
        _timeProvider = timeProvider;
        _clockSkew = options.Value.ClockSkew;
        _maxLifetime = options.Value.MaxTokenLifetime;
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

    /// <summary>The longest lifetime a token may have (<c>Auth:MaxTokenLifetime</c>).</summary>
    public TimeSpan MaxLifetime => _maxLifetime;

    /// <summary>Creates a signed token with the claims <c>user_id</c>, <c>role</c>, <c>jti</c>, <c>iat</c>, <c>exp</c> and, when scoped, <c>cameras</c>.</summary>
    public string Create(string userId, ApiRole role, TimeSpan lifetime, IReadOnlyList<string>? cameras = null) => CreateWithId(userId, role, lifetime, cameras).Token;

    /// <summary>Like <see cref="Create"/>, also returning the token's <c>jti</c> (for <c>token revoke</c>).</summary>
    public (string Token, string Jti) CreateWithId(string userId, ApiRole role, TimeSpan lifetime, IReadOnlyList<string>? cameras = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        if (lifetime > _maxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, $"longer than Auth:MaxTokenLifetime ({_maxLifetime})");
        }

        var now = _timeProvider.GetUtcNow();
        var jti = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["user_id"] = userId,
            ["role"] = Roles.Name(role),
            ["jti"] = jti,
        };
        if (cameras is not null)
        {
            claims["cameras"] = cameras.ToArray();
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            Expires = now.Add(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        };
        return (Handler.CreateToken(descriptor), jti);
    }

    /// <summary>Validates a token; the failure reason is one of <c>malformed_token</c>, <c>algorithm_not_allowed</c>, <c>invalid_signature</c>, <c>exp_required</c>, <c>token_expired</c>, <c>token_not_yet_valid</c>, <c>token_lifetime_too_long</c>, <c>invalid_role</c>, <c>user_id_required</c>, <c>invalid_cameras_claim</c>.</summary>
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

        if (exp is < -62135596800 or > 253402300799)
        {
            return CredentialCheck.Fail("malformed_token");
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (IsExpired(expiresAt))
        {
            return CredentialCheck.Fail("token_expired");
        }

        var now = _timeProvider.GetUtcNow();
        if (jwt.TryGetPayloadValue<long>("nbf", out var nbf) && nbf > (now + _clockSkew).ToUnixTimeSeconds())
        {
            return CredentialCheck.Fail("token_not_yet_valid");
        }

        // API keys are the long-lived credential: a JWT living longer than Auth:MaxTokenLifetime is refused,
        // measured from iat (or from now when it has none, so leaving iat out does not help).
        DateTimeOffset? issuedAt = null;
        if (jwt.TryGetPayloadValue<long>("iat", out var iat) && iat is >= 0 and <= 253402300799)
        {
            issuedAt = DateTimeOffset.FromUnixTimeSeconds(iat);
        }

        if (expiresAt - (issuedAt is { } from && from <= now ? from : now) > _maxLifetime + _clockSkew)
        {
            return CredentialCheck.Fail("token_lifetime_too_long");
        }

        if (!jwt.TryGetPayloadValue<string>("role", out var roleText) || !Roles.TryParse(roleText, out var role))
        {
            return CredentialCheck.Fail("invalid_role");
        }

        if (!jwt.TryGetPayloadValue<string>("user_id", out var userId) || string.IsNullOrWhiteSpace(userId))
        {
            return CredentialCheck.Fail("user_id_required");
        }

        if (!TryReadCameras(jwt, out var scope))
        {
            return CredentialCheck.Fail("invalid_cameras_claim");
        }

        jwt.TryGetPayloadValue<string>("jti", out var jti);
        return new CredentialCheck(
            new AuthPrincipal(userId, role, expiresAt, null) { TokenId = string.IsNullOrEmpty(jti) ? null : jti, IssuedAt = issuedAt, Scope = scope },
            null);
    }

    // The optional "cameras" claim: an array of camera ids. Anything else is refused rather than read as "every camera".
    private static bool TryReadCameras(JsonWebToken jwt, out CameraScope scope)
    {
        scope = CameraScope.All;
        System.Text.Json.JsonDocument payload;
        try
        {
            payload = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.EncodedPayload));
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            return false;
        }

        using (payload)
        {
            if (payload.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !payload.RootElement.TryGetProperty("cameras", out var claim))
            {
                return true;
            }

            if (claim.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return false;
            }

            var ids = new List<string>();
            foreach (var item in claim.EnumerateArray())
            {
                if (item.ValueKind != System.Text.Json.JsonValueKind.String || !CameraScope.IsValidId(item.GetString()))
                {
                    return false;
                }

                ids.Add(item.GetString()!);
            }

            scope = CameraScope.Of(ids);
            return true;
        }
    }

    /// <summary>Whether a credential that expires at <paramref name="expiresAt"/> is expired now (with <c>Auth:ClockSkew</c>).</summary>
    public bool IsExpired(DateTimeOffset? expiresAt) =>
        expiresAt is { } e && _timeProvider.GetUtcNow() >= e + _clockSkew;
}

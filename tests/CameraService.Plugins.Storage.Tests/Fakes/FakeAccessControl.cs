using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Storage.Tests.Fakes;

/// <summary>
/// An access control that really checks: bearer tokens from a table, and signed resources as
/// <c>&lt;expiry unix seconds&gt;.&lt;HMAC-SHA256 of resource and expiry&gt;</c> checked against the (fake) clock.
/// </summary>
internal sealed class FakeAccessControl(TimeProvider time) : IAccessControl
{
    public const string ViewerToken = "viewer-token";
    public const string AdminToken = "admin-token";
    public const string ExpiredToken = "expired-token";
    public const string NoRoleToken = "no-role-token";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public List<string> VerifiedResources { get; } = [];

    public ValueTask<AccessResult> AuthorizeAsync(string? credential, ApiRole minimumRole, CancellationToken cancellationToken)
    {
        var result = credential switch
        {
            null or "" => new AccessResult { Allowed = false, StatusCode = 401, Reason = "auth_required" },
            ViewerToken => Check(ApiRole.Viewer, minimumRole),
            AdminToken => Check(ApiRole.Admin, minimumRole),
            NoRoleToken => new AccessResult { Allowed = false, StatusCode = 403, Reason = "insufficient_role", UserId = "nobody" },
            ExpiredToken => new AccessResult { Allowed = false, StatusCode = 401, Reason = "token_expired" },
            _ => new AccessResult { Allowed = false, StatusCode = 401, Reason = "invalid_token" },
        };
        return ValueTask.FromResult(result);
    }

    public string SignResource(string resource, TimeSpan lifetime)
    {
        var expiry = (time.GetUtcNow() + lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expiry}.{Mac(resource, expiry)}";
    }

    public bool VerifyResource(string resource, string signature)
    {
        VerifiedResources.Add(resource);
        var dot = signature.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(signature.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Mac(resource, signature[..dot]));
        var given = Encoding.ASCII.GetBytes(signature[(dot + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given)
            && time.GetUtcNow().ToUnixTimeSeconds() < expiry;
    }

    private static AccessResult Check(ApiRole role, ApiRole minimum) =>
        role >= minimum ? new AccessResult { Allowed = true, StatusCode = 200, Role = role, UserId = "user" } : new AccessResult { Allowed = false, StatusCode = 403, Reason = "insufficient_role", Role = role, UserId = "user" };

    private string Mac(string resource, string expiry) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{resource}\n{expiry}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

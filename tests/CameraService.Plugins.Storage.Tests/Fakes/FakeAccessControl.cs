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
            null or "" => new AccessResult(false, 401, "auth_required", null, null),
            ViewerToken => Check(ApiRole.Viewer, minimumRole),
            AdminToken => Check(ApiRole.Admin, minimumRole),
            NoRoleToken => new AccessResult(false, 403, "insufficient_role", null, "nobody"),
            ExpiredToken => new AccessResult(false, 401, "token_expired", null, null),
            _ => new AccessResult(false, 401, "invalid_token", null, null),
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
        role >= minimum ? new AccessResult(true, 200, null, role, "user") : new AccessResult(false, 403, "insufficient_role", role, "user");

    private string Mac(string resource, string expiry) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{resource}\n{expiry}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NATS.Client.Core;

namespace CameraService.Fleet.Tests;

/// <summary>Signs a request the way docs/fleet.md specifies (the test's own implementation of the documented format).</summary>
internal static class Signed
{
    public static NatsHeaders Headers(string node, string secret, byte[] body, string user = "test", string role = "viewer")
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var canonical = Encoding.UTF8.GetBytes($"fleet-v1\n{node}\n{ts}\n{nonce}\n{user}\n{role}\n").Concat(body).ToArray();
        return new NatsHeaders
        {
            ["Fleet-Ts"] = ts,
            ["Fleet-Nonce"] = nonce,
            ["Fleet-User"] = user,
            ["Fleet-Role"] = role,
            ["Fleet-Gateway"] = "test",
            ["Fleet-Sig"] = Convert.ToBase64String(hmac.ComputeHash(canonical)),
        };
    }
}

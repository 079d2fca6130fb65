using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Signs gateway requests with the fleet credential and verifies them on the node: HMAC-SHA256 over the target
/// node, timestamp, nonce, user, role and body, so a request cannot be redirected to another node, replayed after
/// <c>Fleet:ReplayWindow</c>, replayed inside it (nonces are remembered), or given a higher role. NATS itself
/// authenticates connections (user/NKey/TLS); this makes a node independent of who else may publish on NATS.
/// </summary>
internal sealed class FleetSigner
{
    private readonly byte[] _key;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private long _lastPrune;

    public FleetSigner(IOptions<FleetOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _key = options.Value.SecretBytes();
        _window = options.Value.ReplayWindowValue;
        _time = time;
    }

    /// <summary>The signed headers for a request to <paramref name="nodeId"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Sign(string nodeId, string gatewayId, string user, string role, ReadOnlySpan<byte> body)
    {
        var ts = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var signature = Convert.ToBase64String(Compute(nodeId, ts, nonce, user, role, body));
        return
        [
            new(FleetSubjects.HeaderTimestamp, ts),
            new(FleetSubjects.HeaderNonce, nonce),
            new(FleetSubjects.HeaderUser, user),
            new(FleetSubjects.HeaderRole, role),
            new(FleetSubjects.HeaderGateway, gatewayId),
            new(FleetSubjects.HeaderSignature, signature),
        ];
    }

    /// <summary>Null when the request is genuine, fresh and new; otherwise the reason it is refused.</summary>
    public string? Verify(string nodeId, string? ts, string? nonce, string? user, string? role, string? signature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(ts) || string.IsNullOrEmpty(nonce) || user is null || role is null)
        {
            return "fleet_signature_missing";
        }

        if (_key.Length == 0)
        {
            return "fleet_credential_not_configured";
        }

        byte[] given;
        try
        {
            given = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return "fleet_signature_invalid";
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Compute(nodeId, ts, nonce, user, role, body)))
        {
            return "fleet_signature_invalid";
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var sent) || Math.Abs(now - sent) > (long)_window.TotalMilliseconds)
        {
            return "fleet_request_expired";
        }

        Prune(now);
        return _seen.TryAdd(nonce, sent) ? null : "fleet_request_replayed";
    }

    private void Prune(long now)
    {
        var last = Interlocked.Read(ref _lastPrune);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastPrune, now, last) != last)
        {
            return;
        }

        var oldest = now - (2 * (long)_window.TotalMilliseconds);
        foreach (var (nonce, sent) in _seen)
        {
            if (sent < oldest)
            {
                _seen.TryRemove(nonce, out _);
            }
        }
    }

    private byte[] Compute(string nodeId, string ts, string nonce, string user, string role, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"fleet-v1\n{nodeId}\n{ts}\n{nonce}\n{user}\n{role}\n"));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}

using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.WebUi;

/// <summary>
/// One-time sign-in codes: 256 random bits mapped to a credential in memory, redeemed once (removed on the first
/// attempt) and only before they expire. A restart forgets every code, which is what a one-time link should do.
/// </summary>
internal sealed class SignInCodes(TimeProvider timeProvider) : IConsoleSignIn
{
    /// <summary>At most this many codes wait at once; older ones are dropped first.</summary>
    internal const int MaxPending = 64;

    private readonly ConcurrentDictionary<string, (string Credential, DateTimeOffset ExpiresAt)> _codes = new(StringComparer.Ordinal);

    public string CreateSignInLink(string credential, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(credential);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var now = timeProvider.GetUtcNow();
        foreach (var (code, entry) in _codes)
        {
            if (entry.ExpiresAt <= now)
            {
                _codes.TryRemove(code, out _);
            }
        }

        while (_codes.Count >= MaxPending && _codes.MinBy(kv => kv.Value.ExpiresAt) is { Key: { } oldest })
        {
            _codes.TryRemove(oldest, out _);
        }

        var newCode = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _codes[newCode] = (credential, now + lifetime);
        return "/#signin=" + newCode;
    }

    /// <summary>The credential of a valid, unused code; null otherwise. A code is gone after the first attempt.</summary>
    public string? Redeem(string code) =>
        _codes.TryRemove(code, out var entry) && entry.ExpiresAt > timeProvider.GetUtcNow() ? entry.Credential : null;
}

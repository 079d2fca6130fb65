using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Core.Hosting;

namespace CameraService.Core.Auth;

/// <summary>One revoked JWT (by its <c>jti</c>).</summary>
/// <param name="Jti">The token id.</param>
/// <param name="RevokedAt">When it was revoked.</param>
internal sealed record RevokedToken(string Jti, DateTimeOffset RevokedAt);

/// <summary>Every JWT of a user issued before <paramref name="RevokedBefore"/> is revoked.</summary>
/// <param name="UserId">The <c>user_id</c> claim.</param>
/// <param name="RevokedBefore">Tokens with an <c>iat</c> before this instant (or without <c>iat</c>) are refused.</param>
internal sealed record RevokedUser(string UserId, DateTimeOffset RevokedBefore);

/// <summary>The file format of <c>revoked-tokens.json</c>.</summary>
internal sealed record RevocationFile(IReadOnlyList<RevokedToken> Tokens, IReadOnlyList<RevokedUser> Users);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(RevocationFile))]
internal sealed partial class SecurityJsonContext : JsonSerializerContext;

/// <summary>
/// Revoked JWTs (<c>camera-service token revoke &lt;jti&gt;</c> / <c>--user</c>), kept in the state directory
/// (<c>revoked-tokens.json</c>, mode 0600). Like the API key file, the service re-reads it when it changed, at most
/// once a second on the per-call check, so a revocation reaches live sessions within a second. A damaged or
/// unreadable file keeps the last good list (revocations never silently disappear) and is reported by
/// <see cref="Problem"/>.
/// </summary>
internal sealed class TokenRevocations
{
    public const string FileName = "revoked-tokens.json";

    private readonly StateDirectory _state;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private Dictionary<string, DateTimeOffset> _users = new(StringComparer.Ordinal);
    private HashSet<string> _tokens = new(StringComparer.Ordinal);
    private (DateTime Stamp, long Length) _stamp = (DateTime.MinValue, -2);
    private long _lastCheck;
    private bool _loadedOnce;

    public TokenRevocations(StateDirectory state, TimeProvider timeProvider)
    {
        _state = state;
        _timeProvider = timeProvider;
    }

    /// <summary>Why the file could not be read the last time (the last good list is in use), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>Revokes one token by id; false when it was already revoked.</summary>
    public bool RevokeToken(string jti)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jti);
        lock (_gate)
        {
            var file = LoadStrict();
            if (file.Tokens.Any(t => string.Equals(t.Jti, jti, StringComparison.Ordinal)))
            {
                return false;
            }

            Save(file with { Tokens = [.. file.Tokens, new RevokedToken(jti, _timeProvider.GetUtcNow())] });
            return true;
        }
    }

    /// <summary>Revokes every token of a user issued before now.</summary>
    public DateTimeOffset RevokeUser(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        lock (_gate)
        {
            var file = LoadStrict();
            var now = _timeProvider.GetUtcNow();
            var users = file.Users.Where(u => !string.Equals(u.UserId, userId, StringComparison.Ordinal)).Append(new RevokedUser(userId, now)).ToList();
            Save(file with { Users = users });
            return now;
        }
    }

    /// <summary>The current list (for the command line).</summary>
    public RevocationFile List()
    {
        lock (_gate)
        {
            return LoadStrict();
        }
    }

    /// <summary>Whether a JWT with this id, user and issue time is revoked. Cheap: stats the file at most once a second.</summary>
    public bool IsRevoked(string? jti, string userId, DateTimeOffset? issuedAt)
    {
        Dictionary<string, DateTimeOffset> users;
        HashSet<string> tokens;
        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            if (!_loadedOnce || _timeProvider.GetElapsedTime(_lastCheck, now) >= TimeSpan.FromSeconds(1))
            {
                _lastCheck = now;
                Refresh();
            }

            users = _users;
            tokens = _tokens;
        }

        if (jti is not null && tokens.Contains(jti))
        {
            return true;
        }

        // A token without iat cannot prove it was issued after the cut-off.
        return users.TryGetValue(userId, out var before) && (issuedAt is not { } iat || iat < before);
    }

    /// <summary>The revocation file's problem now (re-read at most once a second), for health.</summary>
    public string? CurrentProblem()
    {
        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            if (!_loadedOnce || _timeProvider.GetElapsedTime(_lastCheck, now) >= TimeSpan.FromSeconds(1))
            {
                _lastCheck = now;
                Refresh();
            }

            return Problem;
        }
    }

    // Runtime path: never throws; a bad file keeps the last good list.
    private void Refresh()
    {
        try
        {
            var info = new FileInfo(_state.PathOf(FileName));
            var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
            if (_loadedOnce && stamp == _stamp && Problem is null)
            {
                return;
            }

            Apply(Read(), stamp);
            Problem = null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            Problem = $"cannot read {_state.PathOf(FileName)} ({ex.GetType().Name}: {ex.Message}); the last good revocation list stays in force";
        }

        _loadedOnce = true;
    }

    private RevocationFile LoadStrict()
    {
        try
        {
            return Read();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The revocation file '{_state.PathOf(FileName)}' is damaged; fix it by hand (deleting it un-revokes every token).", ex);
        }
    }

    private RevocationFile Read()
    {
        if (_state.ReadOrNull(FileName) is not { } bytes)
        {
            return new RevocationFile([], []);
        }

        var file = JsonSerializer.Deserialize(bytes, SecurityJsonContext.Default.RevocationFile) ?? throw new JsonException("the file holds null");
        return new RevocationFile(file.Tokens ?? [], file.Users ?? []);
    }

    private void Apply(RevocationFile file, (DateTime, long) stamp)
    {
        _tokens = file.Tokens.Select(t => t.Jti).ToHashSet(StringComparer.Ordinal);
        _users = file.Users.GroupBy(u => u.UserId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Max(u => u.RevokedBefore), StringComparer.Ordinal);
        _stamp = stamp;
    }

    private void Save(RevocationFile file)
    {
        _state.WriteAtomic(FileName, JsonSerializer.SerializeToUtf8Bytes(file, SecurityJsonContext.Default.RevocationFile), privateFile: true);
        Apply(file, (DateTime.MinValue, -2));
        _loadedOnce = false;
    }
}

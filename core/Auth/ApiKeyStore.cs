using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Hosting;

namespace CameraService.Core.Auth;

/// <summary>A stored API key. The key itself is never stored, only its SHA-256 (the keys are 256-bit random, so a plain hash is enough).</summary>
/// <param name="Id">Public id used by <c>apikey list</c>/<c>revoke</c>.</param>
/// <param name="Name">A label given at creation.</param>
/// <param name="Role">Role name.</param>
/// <param name="Hash">Lower-case hex SHA-256 of the key.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">When it expires, or null.</param>
/// <param name="RevokedAt">When it was revoked, or null.</param>
/// <param name="Cameras">The cameras the key is limited to (<c>apikey create --cameras</c>), or null for every camera.</param>
internal sealed record ApiKeyRecord(string Id, string? Name, string Role, string Hash, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, IReadOnlyList<string>? Cameras = null);

/// <summary>The file format of <c>api-keys.json</c>.</summary>
internal sealed record ApiKeyFile(IReadOnlyList<ApiKeyRecord> Keys);

/// <summary>
/// API keys (<c>csk_…</c>) in the state directory (<c>api-keys.json</c>, mode 0600). The service re-reads the
/// file when it changed (the <c>apikey</c> command writes it while the service runs), at most once a second on
/// the per-call revocation check.
/// </summary>
internal sealed partial class ApiKeyStore
{
    public const string FileName = "api-keys.json";
    public const string Prefix = "csk_";

    private readonly StateDirectory _state;
    private readonly TimeProvider _timeProvider;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly Lock _gate = new();
    private Snapshot _snapshot = new([], DateTime.MinValue, -1);
    private long _lastCheck;
    private bool _loadedOnce;

    public ApiKeyStore(StateDirectory state, TimeProvider timeProvider, Microsoft.Extensions.Logging.ILogger<ApiKeyStore>? logger = null)
    {
        _state = state;
        _timeProvider = timeProvider;
        _logger = (Microsoft.Extensions.Logging.ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>
    /// Why the key file could not be read on the last check (damaged, or unreadable e.g. written by root with mode
    /// 0600), while the last good snapshot stays in use; null when it was read fine. Reported as DEGRADED.
    /// </summary>
    public string? Problem { get; private set; }

    /// <summary>Creates a key; the plain key is returned once and never stored.</summary>
    public (ApiKeyRecord Record, string Key) Create(ApiRole role, TimeSpan? lifetime, string? name, IReadOnlyList<string>? cameras = null)
    {
        var key = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = _timeProvider.GetUtcNow();
        var record = new ApiKeyRecord(
            "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            name,
            Roles.Name(role),
            Hash(key),
            now,
            lifetime is { } l ? now + l : null,
            null,
            cameras);
        lock (_gate)
        {
            var keys = Load(force: true).Keys.Append(record).ToList();
            Save(keys);
        }

        return (record, key);
    }

    /// <summary>Every key, revoked ones included.</summary>
    public IReadOnlyList<ApiKeyRecord> List()
    {
        lock (_gate)
        {
            return Load(force: true).Keys;
        }
    }

    /// <summary>Revokes a key; false when no key has that id.</summary>
    public bool Revoke(string id)
    {
        lock (_gate)
        {
            var keys = Load(force: true).Keys.ToList();
            var index = keys.FindIndex(k => string.Equals(k.Id, id, StringComparison.Ordinal));
            if (index < 0)
            {
                return false;
            }

            if (keys[index].RevokedAt is null)
            {
                keys[index] = keys[index] with { RevokedAt = _timeProvider.GetUtcNow() };
                Save(keys);
            }

            return true;
        }
    }

    /// <summary>Checks a presented key.</summary>
    public CredentialCheck Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Snapshot snapshot;
        lock (_gate)
        {
            snapshot = LoadKeepingLastGood(statFile: true);
        }

        var hash = Hash(key);
        var record = snapshot.Keys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(k.Hash), Encoding.ASCII.GetBytes(hash)));
        if (record is null)
        {
            return CredentialCheck.Fail("unknown_api_key");
        }

        var state = Check(record);
        if (state is not null)
        {
            return CredentialCheck.Fail(state);
        }

        if (!Roles.TryParse(record.Role, out var role))
        {
            return CredentialCheck.Fail("invalid_role");
        }

        return new CredentialCheck(new AuthPrincipal("apikey:" + record.Id, role, record.ExpiresAt, record.Id) { Scope = CameraScope.Of(record.Cameras) }, null);
    }

    /// <summary>Null when the key is still valid, else <c>api_key_revoked</c>, <c>token_expired</c> or <c>unknown_api_key</c>. Cheap: reads the file at most once a second.</summary>
    public string? CheckStillValid(string id)
    {
        Snapshot snapshot;
        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            var due = !_loadedOnce || _timeProvider.GetElapsedTime(_lastCheck, now) >= TimeSpan.FromSeconds(1);
            snapshot = LoadKeepingLastGood(statFile: due);
            if (due)
            {
                _lastCheck = now;
            }
        }

        var record = snapshot.Keys.FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.Ordinal));
        return record is null ? "unknown_api_key" : Check(record);
    }

    /// <summary>
    /// The key file's problem now (re-read at most once a second, as <see cref="CheckStillValid"/> does), for health:
    /// a damaged or unreadable file shows as DEGRADED even when no key is being checked.
    /// </summary>
    public string? CurrentProblem()
    {
        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            if (!_loadedOnce || _timeProvider.GetElapsedTime(_lastCheck, now) >= TimeSpan.FromSeconds(1))
            {
                LoadKeepingLastGood(statFile: true);
                _lastCheck = now;
            }

            return Problem;
        }
    }

    private string? Check(ApiKeyRecord record)
    {
        if (record.RevokedAt is not null)
        {
            return "api_key_revoked";
        }

        return record.ExpiresAt is { } e && _timeProvider.GetUtcNow() >= e ? "token_expired" : null;
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    // The service's path: a damaged or unreadable file must not close every API-key session nor stop notification
    // delivery (both run this check); the last good snapshot stays in force, the problem is logged once and
    // reported as DEGRADED until the file is readable again.
    private Snapshot LoadKeepingLastGood(bool statFile)
    {
        try
        {
            var snapshot = Load(force: false, statFile);
            if (Problem is not null)
            {
                Problem = null;
                LogKeyFileRecovered(_logger, _state.PathOf(FileName));
            }

            return snapshot;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            if (Problem is null)
            {
                LogKeyFileUnreadable(_logger, ex, _state.PathOf(FileName));
            }

            Problem = $"the API key file {_state.PathOf(FileName)} cannot be read ({(ex is UnauthorizedAccessException ? "permission denied: fix its owner to the service's user" : ex.Message)}); the last good set of keys stays in use";
            _loadedOnce = true;
            return _snapshot;
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1120, Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "The API key file {Path} cannot be read; the last good set of keys stays in use until it is fixed")]
    private static partial void LogKeyFileUnreadable(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string path);

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1121, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "The API key file {Path} is readable again")]
    private static partial void LogKeyFileRecovered(Microsoft.Extensions.Logging.ILogger logger, string path);

    private Snapshot Load(bool force, bool statFile = true)
    {
        if (!statFile && _loadedOnce)
        {
            return _snapshot;
        }

        var path = _state.PathOf(FileName);
        var info = new FileInfo(path);
        var stamp = info.Exists ? info.LastWriteTimeUtc : DateTime.MinValue;
        var length = info.Exists ? info.Length : -1;
        if (!force && _loadedOnce && stamp == _snapshot.Stamp && length == _snapshot.Length)
        {
            return _snapshot;
        }

        IReadOnlyList<ApiKeyRecord> keys = [];
        if (_state.ReadOrNull(FileName) is { } bytes)
        {
            try
            {
                keys = JsonSerializer.Deserialize(bytes, CoreJsonContext.Default.ApiKeyFile)?.Keys ?? [];
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"The API key file '{path}' is damaged; fix or delete it (all keys are lost when deleted).", ex);
            }
        }

        _snapshot = new Snapshot(keys, stamp, length);
        _loadedOnce = true;
        return _snapshot;
    }

    private void Save(List<ApiKeyRecord> keys)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new ApiKeyFile(keys), CoreJsonContext.Default.ApiKeyFile);
        _state.WriteAtomic(FileName, bytes, privateFile: true);
        _loadedOnce = false;
    }

    private sealed record Snapshot(IReadOnlyList<ApiKeyRecord> Keys, DateTime Stamp, long Length);
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using CameraService.Core.Auth;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary>
/// <c>list_api_keys</c>, <c>create_api_key</c>, <c>revoke_api_key</c> (admin): the CLI's <c>apikey</c> commands over
/// the API, so a browser console can manage keys. They use <see cref="ApiKeyStore"/>'s public surface only; the
/// plain key is returned once by <c>create_api_key</c> and never stored. A camera-scoped admin (api-contract §8.5)
/// sees and revokes only keys limited to cameras it may use, and creates only such keys: a scope cannot be widened
/// by minting a key, and the other cameras' existence does not leak through the key list.
/// </summary>
internal sealed class ApiKeyMethods(ApiKeyStore store, TimeProvider timeProvider) : IRpcMethodProvider
{
    /// <summary>Longest lifetime a key created over the API may have (10 years); absent = no expiry.</summary>
    private const long MaxLifetimeSeconds = 10L * 366 * 24 * 3600;

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "list_api_keys",
            RpcRole.Admin,
            "Every API key (revoked and expired ones included), oldest first; never the key itself.",
            [],
            ApiKeyJsonContext.Default.ApiKeyListResult,
            [],
            (c, _, _) => ValueTask.FromResult(RpcResult.From(List(ScopeOf(c)), ApiKeyJsonContext.Default.ApiKeyListResult)));

        yield return new RpcMethod(
            "create_api_key",
            RpcRole.Admin,
            "Creates an API key (csk_…); the key is in this answer only and cannot be shown again.",
            [
                new RpcParam("role", RpcParamType.String, "The key's role.", Required: true) { Enum = ["viewer", "operator", "admin"] },
                new RpcParam("name", RpcParamType.String, "A label (e.g. kiosk).") { MaxLength = 100, Pattern = @"^[^\u0000-\u001f\u007f]*$" },
                new RpcParam("expires_in_seconds", RpcParamType.Integer, "Lifetime in seconds; absent = no expiry.") { Minimum = 60, Maximum = MaxLifetimeSeconds },
                new RpcParam("cameras", RpcParamType.StringArray, "Limit the key to these cameras (camera<N> ids); absent = every camera (a camera-scoped caller's own cameras).") { Pattern = "^camera[0-9]{1,6}$", Minimum = 1 },
            ],
            ApiKeyJsonContext.Default.ApiKeyCreatedResult,
            [],
            (c, p, _) => ValueTask.FromResult(RpcResult.From(Create(p, ScopeOf(c)), ApiKeyJsonContext.Default.ApiKeyCreatedResult)));

        yield return new RpcMethod(
            "revoke_api_key",
            RpcRole.Admin,
            "Revokes an API key by id (key_…); sessions using it are refused from their next call. Revoking twice is not an error.",
            [new RpcParam("id", RpcParamType.String, "The key's id from list_api_keys.", Required: true) { Pattern = "^key_[0-9a-f]{1,64}$" }],
            ApiKeyJsonContext.Default.ApiKeyRevokedResult,
            [RpcErrorCodes.NotFound],
            (c, p, _) => ValueTask.FromResult(RpcResult.From(Revoke(p.GetRequiredString("id"), ScopeOf(c)), ApiKeyJsonContext.Default.ApiKeyRevokedResult)));
    }

    private static CameraScope ScopeOf(RpcCallContext context) => context.Session.Principal?.Scope ?? CameraScope.All;

    // A key is visible to a scoped caller only when every camera it may use is one of the caller's.
    private static bool Visible(ApiKeyRecord record, CameraScope scope) =>
        !scope.IsLimited || (record.Cameras is { Count: > 0 } cameras && cameras.All(scope.Allows));

    private ApiKeyListResult List(CameraScope scope)
    {
        var keys = store.List().Where(k => Visible(k, scope)).Select(Describe).ToList();
        return new ApiKeyListResult(keys, keys.Count);
    }

    private ApiKeyCreatedResult Create(RpcParams p, CameraScope scope)
    {
        if (!Roles.TryParse(p.GetRequiredString("role"), out var role))
        {
            throw new InvalidParameterException("role", "must be viewer, operator or admin");
        }

        var name = p.GetString("name") is { Length: > 0 } n ? n.Trim() : null;
        TimeSpan? lifetime = p.GetInt64("expires_in_seconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        IReadOnlyList<string>? cameras = p.GetStringArray("cameras") is { } asked ? [.. asked.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] : scope.Cameras;
        if (cameras is not null && !cameras.All(scope.Allows))
        {
            throw SessionGuard.CameraNotAllowed();
        }

        var (record, key) = store.Create(role, lifetime, name, cameras);
        return new ApiKeyCreatedResult(key, Describe(record));
    }

    private ApiKeyRevokedResult Revoke(string id, CameraScope scope)
    {
        if (store.List().FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.Ordinal)) is { } existing && !Visible(existing, scope))
        {
            throw new ResourceNotFoundException("api key", id, $"No API key has the id '{id}'; list_api_keys shows the ids.");
        }

        if (!store.Revoke(id))
        {
            throw new ResourceNotFoundException("api key", id, $"No API key has the id '{id}'; list_api_keys shows the ids.");
        }

        var record = store.List().First(k => string.Equals(k.Id, id, StringComparison.Ordinal));
        return new ApiKeyRevokedResult(true, Describe(record));
    }

    private ApiKeyInfo Describe(ApiKeyRecord record)
    {
        var status = record.RevokedAt is not null ? "REVOKED"
            : record.ExpiresAt is { } e && timeProvider.GetUtcNow() >= e ? "EXPIRED"
            : "ACTIVE";
        return new ApiKeyInfo(
            record.Id,
            record.Name,
            record.Role,
            record.Cameras,
            RpcJson.Timestamp(record.CreatedAt),
            record.ExpiresAt is { } x ? RpcJson.Timestamp(x) : null,
            record.RevokedAt is { } r ? RpcJson.Timestamp(r) : null,
            status);
    }
}

/// <summary>One key as <c>list_api_keys</c> shows it.</summary>
internal sealed record ApiKeyInfo(
    string Id,
    string? Name,
    [property: AllowedValues("viewer", "operator", "admin")] string Role,
    [property: Description("the cameras the key is limited to; null = every camera")] IReadOnlyList<string>? Cameras,
    [property: DataType(DataType.DateTime)] string CreatedAt,
    [property: DataType(DataType.DateTime)] string? ExpiresAt,
    [property: DataType(DataType.DateTime)] string? RevokedAt,
    [property: AllowedValues("ACTIVE", "EXPIRED", "REVOKED")] string Status);

/// <summary>The result of <c>list_api_keys</c>.</summary>
internal sealed record ApiKeyListResult(IReadOnlyList<ApiKeyInfo> Keys, int Total);

/// <summary>The result of <c>create_api_key</c>.</summary>
internal sealed record ApiKeyCreatedResult([property: Description("the secret, shown once")] string Key, ApiKeyInfo ApiKey);

/// <summary>The result of <c>revoke_api_key</c>.</summary>
internal sealed record ApiKeyRevokedResult([property: AllowedValues(true)] bool Revoked, ApiKeyInfo ApiKey);

/// <summary>Source-generated JSON metadata of the API-key results (kept beside them rather than in CoreJsonContext).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ApiKeyListResult))]
[JsonSerializable(typeof(ApiKeyCreatedResult))]
[JsonSerializable(typeof(ApiKeyRevokedResult))]
internal sealed partial class ApiKeyJsonContext : JsonSerializerContext;

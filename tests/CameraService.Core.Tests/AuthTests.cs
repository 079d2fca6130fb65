using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using CameraService.Core.Hosting;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CameraService.Core.Tests;

public sealed class AuthTests : IAsyncLifetime
{
    private CoreHarness _core = null!;

    public Task InitializeAsync()
    {
        _core = new CoreHarness();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Theory]
    [InlineData(ApiRole.Viewer, "viewer", new[] { "view" })]
    [InlineData(ApiRole.Operator, "operator", new[] { "view", "control" })]
    [InlineData(ApiRole.Admin, "admin", new[] { "view", "control", "admin" })]
    public async Task Authenticate_ValidJwt_ReturnsRolePermissionsExpiryAndSession(ApiRole role, string roleName, string[] permissions)
    {
        var (session, _) = _core.Open();

        var result = (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(role, TimeSpan.FromHours(2))}}"}""")).Result();

        Assert.True(result.GetProperty("authenticated").GetBoolean());
        Assert.Equal(roleName, result.Str("role"));
        Assert.Equal(permissions, result.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("2026-11-27T12:00:00.000Z", result.Str("expires_at"));
        Assert.Equal(session.SessionId, result.Str("session_id"));
    }

    [Theory]
    [InlineData("garbage", "malformed_token")]
    [InlineData("a.b.c", "malformed_token")]
    [InlineData("csk_doesnotexist", "unknown_api_key")]
    [InlineData("", "auth_required")]
    public async Task Authenticate_InvalidCredential_Returns32001WithReason(string token, string reason)
    {
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""");

        Assert.Equal(reason, response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.False(response.TryGetProperty("result", out _));
    }

    [Fact]
    public async Task Authenticate_TokenSignedWithOtherSecret_Returns32001InvalidSignature()
    {
        var other = Sign(Encoding.UTF8.GetBytes(new string('x', 40)), new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "admin" }, _core.Time.GetUtcNow().AddHours(1));
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{other}}"}""");

        Assert.Equal("invalid_signature", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task Authenticate_AlgNone_Refused()
    {
        var header = B64("""{"alg":"none","typ":"JWT"}""");
        var exp = _core.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        var payload = B64($$"""{"user_id":"mallory","role":"admin","exp":{{exp}}}""");
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{header}}.{{payload}}."}""");

        Assert.Equal("algorithm_not_allowed", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        (await CoreHarness.CallAsync(session, "get_status")).Error(RpcErrorCodes.AuthenticationFailed);
    }

    [Fact]
    public async Task Authenticate_Rs256HeaderWithHmacSignature_Refused()
    {
        // The classic confusion attack: an RS256 header, signed with HMAC over the shared secret.
        var secret = _core.Services.GetRequiredService<JwtSecret>().Key;
        var header = B64("""{"alg":"RS256","typ":"JWT"}""");
        var exp = _core.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        var payload = B64($$"""{"user_id":"mallory","role":"admin","exp":{{exp}}}""");
        var signature = Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(header + "." + payload)));
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{header}}.{{payload}}.{{signature}}"}""");

        Assert.Equal("algorithm_not_allowed", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task Authenticate_Hs256WithoutExp_Refused()
    {
        var token = Sign(_core.Services.GetRequiredService<JwtSecret>().Key, new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "admin" }, null);
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""");

        Assert.Equal("exp_required", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Theory]
    [InlineData("superuser", "invalid_role")]
    [InlineData(null, "invalid_role")]
    public async Task Authenticate_BadRoleClaim_Refused(string? role, string reason)
    {
        var claims = new Dictionary<string, object> { ["user_id"] = "u" };
        if (role is not null)
        {
            claims["role"] = role;
        }

        var token = Sign(_core.Services.GetRequiredService<JwtSecret>().Key, claims, _core.Time.GetUtcNow().AddHours(1));
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""");

        Assert.Equal(reason, response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task Authenticate_AlreadyExpiredToken_Returns32001TokenExpired()
    {
        var token = _core.Token(ApiRole.Admin, TimeSpan.FromSeconds(10));
        _core.Time.Advance(TimeSpan.FromSeconds(10));
        var (session, _) = _core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""");

        Assert.Equal("token_expired", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task Call_TokenExpiresMidSession_Returns32001ThenReauthenticateWorks()
    {
        var (session, _) = _core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Viewer, TimeSpan.FromMinutes(1))}}"}""")).Result();
        (await CoreHarness.CallAsync(session, "get_camera_list")).Result();

        _core.Time.Advance(TimeSpan.FromSeconds(59));
        (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        _core.Time.Advance(TimeSpan.FromSeconds(1));
        var expired = await CoreHarness.CallAsync(session, "get_camera_list");
        var stillExpired = await CoreHarness.CallAsync(session, "get_server_info");
        var ping = await CoreHarness.CallAsync(session, "ping");
        var again = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Viewer, TimeSpan.FromMinutes(1))}}"}""");
        var after = await CoreHarness.CallAsync(session, "get_camera_list");

        Assert.Equal("token_expired", expired.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Equal("token_expired", stillExpired.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Equal("pong", ping.Result().GetString());
        again.Result();
        after.Result();
    }

    [Fact]
    public async Task Call_ClockSkewConfigured_ToleratesFewSeconds()
    {
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["Auth:ClockSkew"] = "00:00:05" });
        var (session, _) = core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{core.Token(ApiRole.Viewer, TimeSpan.FromMinutes(1))}}"}""")).Result();

        core.Time.Advance(TimeSpan.FromSeconds(63));
        var within = await CoreHarness.CallAsync(session, "get_camera_list");
        core.Time.Advance(TimeSpan.FromSeconds(2));
        var beyond = await CoreHarness.CallAsync(session, "get_camera_list");

        within.Result();
        Assert.Equal("token_expired", beyond.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task Authenticate_NewTokenOnSameSession_ReplacesRole()
    {
        var (session, _) = _core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Admin)}}"}""")).Result();
        var asAdmin = await CoreHarness.CallAsync(session, "get_status");

        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Viewer)}}"}""")).Result();
        var asViewer = await CoreHarness.CallAsync(session, "get_status");

        asAdmin.Result();
        var data = asViewer.Error(RpcErrorCodes.PermissionDenied);
        Assert.Equal("admin", data.Str("required_role"));
        Assert.Equal("viewer", data.Str("role"));
    }

    [Fact]
    public async Task ApiKey_CreateUseRevoke_RefusedAfterRevocation()
    {
        var store = _core.Services.GetRequiredService<ApiKeyStore>();
        var (record, key) = store.Create(ApiRole.Operator, null, "ci");
        var (session, _) = _core.Open();

        var auth = (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{key}}"}""")).Result();
        var before = await CoreHarness.CallAsync(session, "get_camera_list");
        Assert.True(store.Revoke(record.Id));
        _core.Time.Advance(TimeSpan.FromSeconds(2));
        var after = await CoreHarness.CallAsync(session, "get_camera_list");
        var (fresh, _) = _core.Open();
        var reauth = await CoreHarness.CallAsync(fresh, "authenticate", $$"""{"auth_token":"{{key}}"}""");

        Assert.Equal("operator", auth.Str("role"));
        Assert.Equal(JsonValueKind.Null, auth.GetProperty("expires_at").ValueKind);
        before.Result();
        Assert.Equal("api_key_revoked", after.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Equal("api_key_revoked", reauth.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public void ApiKey_Create_StoresOnlyHashWithPrivateMode()
    {
        var store = _core.Services.GetRequiredService<ApiKeyStore>();

        var (record, key) = store.Create(ApiRole.Viewer, TimeSpan.FromDays(1), "ro");

        var path = Path.Combine(_core.StateDirectory, ApiKeyStore.FileName);
        var text = File.ReadAllText(path);
        Assert.StartsWith("csk_", key, StringComparison.Ordinal);
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(key["csk_".Length..], text, StringComparison.Ordinal);
        Assert.Contains(record.Hash, text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(store.List());
    }

    [Fact]
    public async Task ApiKey_Expired_Refused()
    {
        var store = _core.Services.GetRequiredService<ApiKeyStore>();
        var (_, key) = store.Create(ApiRole.Viewer, TimeSpan.FromMinutes(5), null);
        var (session, _) = _core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{key}}"}""")).Result();

        _core.Time.Advance(TimeSpan.FromMinutes(5));
        var response = await CoreHarness.CallAsync(session, "get_camera_list");

        Assert.Equal("token_expired", response.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public void ApiKey_RevokeUnknownId_ReturnsFalseAndChangesNothing()
    {
        var store = _core.Services.GetRequiredService<ApiKeyStore>();
        store.Create(ApiRole.Viewer, null, null);
        var before = File.ReadAllText(Path.Combine(_core.StateDirectory, ApiKeyStore.FileName));

        Assert.False(store.Revoke("key_nope"));

        Assert.Equal(before, File.ReadAllText(Path.Combine(_core.StateDirectory, ApiKeyStore.FileName)));
    }

    [Fact]
    public async Task OpenSession_BearerCredential_AuthenticatesSession()
    {
        var (session, _) = _core.Open(bearer: _core.Token(ApiRole.Operator));
        var (anonymous, _) = _core.Open(bearer: "not-a-token");

        var list = await CoreHarness.CallAsync(session, "get_camera_list");
        var refused = await CoreHarness.CallAsync(anonymous, "get_camera_list");

        list.Result();
        Assert.Equal("auth_required", refused.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task OpenTrustedSession_ViewerPrincipal_CallsWithThatRoleWithoutAuthenticate()
    {
        var trusted = _core.Services.GetRequiredService<ITrustedRpcEndpoint>();
        var session = trusted.OpenTrustedSession(new FakeRpcConnection(), new TrustedPrincipal { UserId = "mqtt", Role = ApiRole.Viewer });

        var list = await CoreHarness.CallAsync(session, "get_camera_list");
        var record = await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""");

        list.Result();
        Assert.Equal(RpcErrorCodes.PermissionDenied, record.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task OpenTrustedSession_CameraScope_OtherCameraRefusedAsNotAllowed()
    {
        var trusted = _core.Services.GetRequiredService<ITrustedRpcEndpoint>();
        var session = trusted.OpenTrustedSession(
            new FakeRpcConnection(),
            new TrustedPrincipal { UserId = "mqtt", Role = ApiRole.Admin, Cameras = ["camera0"] });

        var other = await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera1"}""");
        var own = await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera0"}""");

        Assert.Equal("camera_not_allowed", other.Error(RpcErrorCodes.PermissionDenied).Str("reason"));
        Assert.Equal(RpcErrorCodes.NotFound, own.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public void JwtSecret_Unconfigured_GeneratedOnceWithPrivateMode()
    {
        var first = _core.Services.GetRequiredService<JwtSecret>();
        var state = new Core.Hosting.StateDirectory(_core.StateDirectory);
        var second = new JwtSecret(Options.Create(new AuthOptions()), state);

        var path = Path.Combine(_core.StateDirectory, JwtSecret.FileName);
        Assert.True(first.Generated);
        Assert.Equal(first.Key, second.Key);
        Assert.True(first.Key.Length >= 32);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task JwtSecret_Configured_UsedAndNoFileWritten()
    {
        var secret = new string('k', 48);
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["Auth:JwtSecret"] = secret });
        var token = Sign(Encoding.UTF8.GetBytes(secret), new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "viewer" }, core.Time.GetUtcNow().AddHours(1));
        var (session, _) = core.Open();

        var response = await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""");

        response.Result();
        Assert.False(File.Exists(Path.Combine(core.StateDirectory, JwtSecret.FileName)));
    }

    [Fact]
    public async Task JwtSecret_ConfiguredTooShort_FailsValidationWithKeyName()
    {
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["Auth:JwtSecret"] = "short" });

        var ex = Assert.Throws<OptionsValidationException>(() => core.Services.GetRequiredService<IOptions<AuthOptions>>().Value);

        Assert.Contains("Auth:JwtSecret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessControl_Authorize_Returns401And403AndAllowed()
    {
        var access = _core.Services.GetRequiredService<IAccessControl>();

        var none = await access.AuthorizeAsync(null, ApiRole.Viewer, CancellationToken.None);
        var bad = await access.AuthorizeAsync("nope", ApiRole.Viewer, CancellationToken.None);
        var low = await access.AuthorizeAsync(_core.Token(ApiRole.Viewer), ApiRole.Operator, CancellationToken.None);
        var ok = await access.AuthorizeAsync(_core.Token(ApiRole.Admin, user: "alice"), ApiRole.Operator, CancellationToken.None);

        Assert.Equal((false, 401, "auth_required"), (none.Allowed, none.StatusCode, none.Reason));
        Assert.Equal((false, 401), (bad.Allowed, bad.StatusCode));
        Assert.Equal((false, 403, ApiRole.Viewer), (low.Allowed, low.StatusCode, low.Role));
        Assert.Equal((true, 200, ApiRole.Admin, "alice"), (ok.Allowed, ok.StatusCode, ok.Role, ok.UserId));
    }

    [Fact]
    public void AccessControl_SignedResource_BoundToResourceAndExpires()
    {
        var access = _core.Services.GetRequiredService<IAccessControl>();
        var token = access.SignResource("recordings/camera0_a.mp4", TimeSpan.FromMinutes(5));

        var valid = access.VerifyResource("recordings/camera0_a.mp4", token);
        var otherFile = access.VerifyResource("recordings/camera0_b.mp4", token);
        var tampered = access.VerifyResource("recordings/camera0_a.mp4", token[..^2] + (token[^2] == 'A' ? "BB" : "AA"));
        var extended = access.VerifyResource("recordings/camera0_a.mp4", "9999999999" + token[token.IndexOf('.', StringComparison.Ordinal)..]);
        _core.Time.Advance(TimeSpan.FromMinutes(5));
        var expired = access.VerifyResource("recordings/camera0_a.mp4", token);

        Assert.True(valid);
        Assert.False(otherFile);
        Assert.False(tampered);
        Assert.False(extended);
        Assert.False(expired);
        Assert.False(access.VerifyResource("recordings/camera0_a.mp4", "garbage"));
    }

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Sign(byte[] key, Dictionary<string, object> claims, DateTimeOffset? expires)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Expires = expires?.UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
    }
}

using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Core.Rpc;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary><c>list_api_keys</c>, <c>create_api_key</c>, <c>revoke_api_key</c> and <c>get_retention_policy</c> (added for the web console).</summary>
public sealed class ApiKeyMethodsTests
{
    [Fact]
    public async Task CreateListRevoke_KeyWorksUntilRevoked_AndIsNeverListed()
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);

        var created = (await CoreHarness.CallAsync(admin, "create_api_key", """{"role":"viewer","name":"kiosk"}""")).Result();
        var key = created.Str("key")!;
        var id = created.GetProperty("api_key").Str("id")!;
        Assert.StartsWith("csk_", key, StringComparison.Ordinal);
        Assert.Equal("ACTIVE", created.GetProperty("api_key").Str("status"));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("api_key").GetProperty("expires_at").ValueKind);

        // The new key signs a session in with its role.
        var (kiosk, _) = core.Open();
        var auth = (await CoreHarness.CallAsync(kiosk, "authenticate", JsonSerializer.Serialize(new { auth_token = key }))).Result();
        Assert.Equal("viewer", auth.Str("role"));

        var list = (await CoreHarness.CallAsync(admin, "list_api_keys")).Result();
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        var listed = list.GetProperty("keys")[0];
        Assert.Equal((id, "kiosk", "viewer", "ACTIVE"), (listed.Str("id"), listed.Str("name"), listed.Str("role"), listed.Str("status")));
        Assert.DoesNotContain(key, list.GetRawText(), StringComparison.Ordinal);
        Assert.False(listed.TryGetProperty("hash", out _));

        var revoked = (await CoreHarness.CallAsync(admin, "revoke_api_key", JsonSerializer.Serialize(new { id }))).Result();
        Assert.True(revoked.GetProperty("revoked").GetBoolean());
        Assert.Equal("REVOKED", revoked.GetProperty("api_key").Str("status"));
        Assert.Equal("REVOKED", (await CoreHarness.CallAsync(admin, "list_api_keys")).Result().GetProperty("keys")[0].Str("status"));

        // Revoking twice is not an error; the revoked key no longer signs in.
        (await CoreHarness.CallAsync(admin, "revoke_api_key", JsonSerializer.Serialize(new { id }))).Result();
        var (again, _) = core.Open();
        var refused = (await CoreHarness.CallAsync(again, "authenticate", JsonSerializer.Serialize(new { auth_token = key }))).Error(RpcErrorCodes.AuthenticationFailed);
        Assert.Equal("api_key_revoked", refused.Str("reason"));
    }

    [Fact]
    public async Task CreateApiKey_WithLifetime_ExpiresAndIsListedAsExpired()
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);

        var created = (await CoreHarness.CallAsync(admin, "create_api_key", """{"role":"operator","expires_in_seconds":3600}""")).Result();
        Assert.Equal(core.Time.GetUtcNow().AddHours(1), DateTimeOffset.Parse(created.GetProperty("api_key").Str("expires_at")!, System.Globalization.CultureInfo.InvariantCulture));

        core.Time.Advance(TimeSpan.FromHours(2));
        var admin2 = await core.AuthenticatedAsync(ApiRole.Admin);
        var listed = (await CoreHarness.CallAsync(admin2, "list_api_keys")).Result().GetProperty("keys")[0];
        Assert.Equal("EXPIRED", listed.Str("status"));
    }

    [Theory]
    [InlineData("""{"role":"root"}""", "role")]
    [InlineData("""{"role":"viewer","expires_in_seconds":5}""", "expires_in_seconds")]
    [InlineData("""{"role":"viewer","name":"a\u0001b"}""", "name")]
    [InlineData("""{}""", "role")]
    public async Task CreateApiKey_BadParams_Refused_NothingStored(string paramsJson, string param)
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);

        var data = (await CoreHarness.CallAsync(admin, "create_api_key", paramsJson)).Error(RpcErrorCodes.InvalidParams);

        Assert.Contains(param, data.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(0, (await CoreHarness.CallAsync(admin, "list_api_keys")).Result().GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task CreateApiKey_WithCameras_KeyIsScoped_AndListShowsTheScope()
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);

        var created = (await CoreHarness.CallAsync(admin, "create_api_key", """{"role":"viewer","cameras":["camera2","camera0","camera2"]}""")).Result();
        var unscoped = (await CoreHarness.CallAsync(admin, "create_api_key", """{"role":"viewer"}""")).Result();

        Assert.Equal(["camera0", "camera2"], created.GetProperty("api_key").GetProperty("cameras").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(JsonValueKind.Null, unscoped.GetProperty("api_key").GetProperty("cameras").ValueKind);
        var listed = (await CoreHarness.CallAsync(admin, "list_api_keys")).Result().GetProperty("keys");
        Assert.Equal(["camera0", "camera2"], listed[0].GetProperty("cameras").EnumerateArray().Select(c => c.GetString()));

        // The key is limited to those cameras: a call on another one is refused as for any scoped credential.
        var (kiosk, _) = core.Open();
        (await CoreHarness.CallAsync(kiosk, "authenticate", JsonSerializer.Serialize(new { auth_token = created.Str("key") }))).Result();
        var other = (await CoreHarness.CallAsync(kiosk, "get_camera_status", """{"device":"camera1"}""")).Error(RpcErrorCodes.PermissionDenied);
        Assert.Equal("camera_not_allowed", other.Str("reason"));
    }

    [Theory]
    [InlineData("""{"role":"viewer","cameras":["front"]}""")]
    [InlineData("""{"role":"viewer","cameras":[]}""")]
    [InlineData("""{"role":"viewer","cameras":"camera0"}""")]
    public async Task CreateApiKey_BadCameras_Refused_NothingStored(string paramsJson)
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);

        var data = (await CoreHarness.CallAsync(admin, "create_api_key", paramsJson)).Error(RpcErrorCodes.InvalidParams);

        Assert.Contains("cameras", data.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(0, (await CoreHarness.CallAsync(admin, "list_api_keys")).Result().GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task ScopedAdmin_CannotWidenItsScope_NorSeeOrRevokeOtherKeys()
    {
        // Issue 17, hole 4: an admin limited to camera1 must not mint an unlimited key nor learn of other cameras' keys.
        await using var core = new CoreHarness();
        var store = core.Services.GetRequiredService<CameraService.Core.Auth.ApiKeyStore>();
        var (other, _) = store.Create(ApiRole.Viewer, null, "everything");
        var (_, scopedKey) = store.Create(ApiRole.Admin, null, "cam1 admin", ["camera1"]);
        var (scoped, _) = core.Open();
        (await CoreHarness.CallAsync(scoped, "authenticate", JsonSerializer.Serialize(new { auth_token = scopedKey }))).Result();

        var widened = (await CoreHarness.CallAsync(scoped, "create_api_key", """{"role":"viewer","cameras":["camera0"]}""")).Error(RpcErrorCodes.PermissionDenied);
        var implicitScope = (await CoreHarness.CallAsync(scoped, "create_api_key", """{"role":"viewer"}""")).Result();
        var listed = (await CoreHarness.CallAsync(scoped, "list_api_keys")).Result();
        var revokeOther = (await CoreHarness.CallAsync(scoped, "revoke_api_key", JsonSerializer.Serialize(new { id = other.Id }))).Error(RpcErrorCodes.NotFound);

        Assert.Equal("camera_not_allowed", widened.Str("reason"));
        Assert.Equal(["camera1"], implicitScope.GetProperty("api_key").GetProperty("cameras").EnumerateArray().Select(c => c.GetString()));
        Assert.DoesNotContain(other.Id, listed.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(2, listed.GetProperty("total").GetInt32());
        Assert.Null(store.List().Single(k => k.Id == other.Id).RevokedAt);
        Assert.Contains(other.Id, revokeOther.Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeApiKey_UnknownId_NotFound()
    {
        await using var core = new CoreHarness();
        var admin = await core.AuthenticatedAsync(ApiRole.Admin);

        var data = (await CoreHarness.CallAsync(admin, "revoke_api_key", """{"id":"key_0123456789ab"}""")).Error(RpcErrorCodes.NotFound);

        Assert.Contains("key_0123456789ab", data.Str("message"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ApiRole.Viewer)]
    [InlineData(ApiRole.Operator)]
    public async Task ApiKeyMethods_NeedAdmin(ApiRole role)
    {
        await using var core = new CoreHarness();
        var session = await core.AuthenticatedAsync(role);

        (await CoreHarness.CallAsync(session, "list_api_keys")).Error(RpcErrorCodes.PermissionDenied);
        (await CoreHarness.CallAsync(session, "create_api_key", """{"role":"admin"}""")).Error(RpcErrorCodes.PermissionDenied);
    }

    [Fact]
    public async Task GetRetentionPolicy_ReturnsTheStoresPolicy_OrUnsupportedWithoutStore()
    {
        await using (var none = new CoreHarness())
        {
            var admin = await none.AuthenticatedAsync(ApiRole.Admin);
            (await CoreHarness.CallAsync(admin, "get_retention_policy")).Error(RpcErrorCodes.Unsupported);
        }

        var store = Substitute.For<IMediaStore>();
        store.Name.Returns("storage");
        store.GetRetentionPolicy().Returns(new RetentionPolicy { PolicyType = "age", Enabled = true, MaxAgeDays = 7, MinFreePercent = 10 });
        await using var core = new CoreHarness(configure: s => s.AddSingleton(store));
        var session = await core.AuthenticatedAsync(ApiRole.Admin);

        var result = (await CoreHarness.CallAsync(session, "get_retention_policy")).Result();

        Assert.Equal(("age", true, 7.0, 10.0), (result.Str("policy_type"), result.GetProperty("enabled").GetBoolean(), result.GetProperty("max_age_days").GetDouble(), result.GetProperty("min_free_percent").GetDouble()));
        Assert.Equal(JsonValueKind.Null, result.GetProperty("max_size_gb").ValueKind);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Core.Auth;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NSubstitute;

namespace CameraService.Core.Tests;

/// <summary>
/// The attacks of issue 17 (api-contract §8.5) against the real core: each test performs the attack and fails on
/// a core without the fix.
/// </summary>
public sealed class SecurityTests : IAsyncLifetime
{
    private readonly FakeCameraSource _source = new();
    private readonly CategoryLogs _logs = new();
    private CoreHarness _core = null!;

    public async Task InitializeAsync()
    {
        _core = new CoreHarness(configure: s => s.AddLogging(b => b.AddProvider(_logs)), sources: _source);
        await _core.StartAsync();
        _source.Plug(FakeCameraSource.Camera("usb-0", "Front", "/dev/video0"));
        _source.Plug(FakeCameraSource.Camera("usb-1", "Back", "/dev/video2"));
        _source.Plug(FakeCameraSource.Camera("usb-2", "Side", "/dev/video4"));
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    private JwtTokenService Tokens => _core.Services.GetRequiredService<JwtTokenService>();

    private TokenRevocations Revocations => _core.Services.GetRequiredService<TokenRevocations>();

    // Hole 5: a failed re-authentication kept the admin role of the earlier credential.
    [Fact]
    public async Task Authenticate_FailsOnAuthenticatedSession_DropsToUnauthenticated()
    {
        var (session, _) = _core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Admin)}}"}""")).Result();

        (await CoreHarness.CallAsync(session, "authenticate", """{"auth_token":"forged.token.value"}""")).Error(RpcErrorCodes.AuthenticationFailed);
        var after = await CoreHarness.CallAsync(session, "get_status");

        Assert.Equal("auth_required", after.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    // Hole 2: an unauthenticated session never timed out.
    [Fact]
    public async Task UnauthenticatedSession_ClosedAfterTimeout_AuthenticatedOneStays()
    {
        var (_, idle) = _core.Open();
        var authenticated = new FakeRpcConnection();
        await _core.AuthenticatedAsync(ApiRole.Viewer, authenticated);

        _core.Time.Advance(TimeSpan.FromSeconds(9));
        var before = idle.ClosedReason;
        _core.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(before);
        Assert.Contains("authentication timeout", idle.ClosedReason, StringComparison.Ordinal);
        Assert.Null(authenticated.ClosedReason);
    }

    [Fact]
    public async Task UnauthenticatedTimeout_RestartsWhenAFailedReauthenticateDropsTheSession()
    {
        var (session, connection) = _core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Viewer)}}"}""")).Result();
        _core.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(connection.ClosedReason);

        await CoreHarness.CallAsync(session, "authenticate", """{"auth_token":"nope"}""");
        _core.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.NotNull(connection.ClosedReason);
    }

    [Fact]
    public async Task Authenticated_UnauthenticatedTimeoutTimerIsReleasedAtOnce()
    {
        // Issue 26: an authenticated session keeps no timer of its own (the timeout's timer stopped at authentication).
        var time = new TimerCountingTimeProvider(_core.Time.GetUtcNow());
        await using var core = new CoreHarness(time: time);
        var (session, connection) = core.Open();
        var armed = time.LiveTimers;

        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{core.Token(ApiRole.Viewer)}}"}""")).Result();
        var afterAuthentication = time.LiveTimers;
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(armed - 1, afterAuthentication);
        Assert.Null(connection.ClosedReason);
    }

    private sealed class TimerCountingTimeProvider(DateTimeOffset start) : Microsoft.Extensions.Time.Testing.FakeTimeProvider(start)
    {
        private int _live;

        public int LiveTimers => Volatile.Read(ref _live);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _live);
            return new Counted(base.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class Counted(ITimer inner, TimerCountingTimeProvider owner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }

    // Hole 3: JWTs could not be revoked.
    [Fact]
    public async Task RevokedJti_LiveSessionRefusedOnNextCallAndStopsReceivingNotifications()
    {
        var (token, jti) = Tokens.CreateWithId("alice", ApiRole.Viewer, TimeSpan.FromHours(1));
        var connection = new FakeRpcConnection();
        var session = _core.Endpoint.OpenSession(connection);
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""")).Result();
        (await CoreHarness.CallAsync(session, "get_camera_list")).Result();

        Assert.True(Revocations.RevokeToken(jti));
        _core.Time.Advance(TimeSpan.FromSeconds(1));
        var refused = await CoreHarness.CallAsync(session, "get_camera_list");
        _source.Unplug("usb-0");
        var (fresh, _) = _core.Open();
        var again = await CoreHarness.CallAsync(fresh, "authenticate", $$"""{"auth_token":"{{token}}"}""");

        Assert.Equal("token_revoked", refused.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Empty(connection.Notifications);
        Assert.Equal("token_revoked", again.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task RevokeUser_RefusesEveryEarlierTokenOfThatUserOnly()
    {
        var old = Tokens.Create("bob", ApiRole.Operator, TimeSpan.FromHours(1));
        var other = Tokens.Create("carol", ApiRole.Operator, TimeSpan.FromHours(1));
        _core.Time.Advance(TimeSpan.FromSeconds(5));

        Revocations.RevokeUser("bob");
        _core.Time.Advance(TimeSpan.FromSeconds(5));
        var newer = Tokens.Create("bob", ApiRole.Operator, TimeSpan.FromHours(1));

        Assert.Equal("token_revoked", (await Authenticate(old)).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        (await Authenticate(other)).Result();
        (await Authenticate(newer)).Result();
    }

    [Fact]
    public void Revocation_PersistedInStateDirectoryWithPrivateMode()
    {
        Revocations.RevokeToken("abc");
        var fresh = new TokenRevocations(new Core.Hosting.StateDirectory(_core.StateDirectory), _core.Time);

        Assert.True(fresh.IsRevoked("abc", "anyone", null));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_core.StateDirectory, TokenRevocations.FileName)));
    }

    [Fact]
    public void CreatedToken_CarriesUniqueJti()
    {
        var a = Tokens.CreateWithId("u", ApiRole.Viewer, TimeSpan.FromHours(1));
        var b = Tokens.CreateWithId("u", ApiRole.Viewer, TimeSpan.FromHours(1));

        Assert.NotEqual(a.Jti, b.Jti);
        Assert.Equal(a.Jti, new JsonWebToken(a.Token).Id);
    }

    [Fact]
    public async Task TenYearJwt_RefusedAtAuthenticate_AndCannotBeMinted()
    {
        var now = _core.Time.GetUtcNow();
        var token = Sign(new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "admin", ["iat"] = now.ToUnixTimeSeconds() }, now.AddYears(10));
        var noIat = Sign(new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "admin" }, now.AddDays(31));

        Assert.Equal("token_lifetime_too_long", (await Authenticate(token)).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Equal("token_lifetime_too_long", (await Authenticate(noIat)).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokens.Create("u", ApiRole.Admin, TimeSpan.FromDays(3650)));
        (await Authenticate(Tokens.Create("u", ApiRole.Admin, TimeSpan.FromDays(30)))).Result();
    }

    // Hole 8: nbf was ignored.
    [Fact]
    public async Task TokenNotYetValid_Refused()
    {
        var now = _core.Time.GetUtcNow();
        var token = Sign(new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "admin", ["iat"] = now.ToUnixTimeSeconds(), ["nbf"] = now.AddHours(1).ToUnixTimeSeconds() }, now.AddHours(2));

        Assert.Equal("token_not_yet_valid", (await Authenticate(token)).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    // Hole 3: signed URLs outlived a revoked credential.
    [Fact]
    public async Task SignedUrl_BoundToApiKey_StopsWorkingWhenKeyRevoked()
    {
        var keys = _core.Services.GetRequiredService<ApiKeyStore>();
        var (record, key) = keys.Create(ApiRole.Viewer, null, "player");
        var access = _core.Services.GetRequiredService<AccessControl>();
        var principal = (await access.ValidateAsync(key)).Principal!;
        var token = access.SignFor(principal, "streams/camera0", TimeSpan.FromMinutes(5));
        var before = access.VerifyResource("streams/camera0", token);

        keys.Revoke(record.Id);
        _core.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(before);
        Assert.Equal("credential_revoked", access.Verify("streams/camera0", token));
    }

    [Fact]
    public async Task SignedResource_MintedDuringACall_BoundToTheCallersJwt()
    {
        string? minted = null;
        AccessControl? access = null;
        var probe = new RpcMethod("probe_sign", RpcRole.Viewer, "test", [], CoreJsonContext.Default.PingReply, [], (c, p, ct) =>
        {
            minted = access!.SignResource("streams/camera0", TimeSpan.FromMinutes(5));
            return ValueTask.FromResult(RpcResult.Pong);
        });
        await using var core = new CoreHarness(configure: s => s.AddSingleton<IRpcMethodProvider>(new Provider(probe)));
        access = core.Services.GetRequiredService<AccessControl>();
        var (jwt, jti) = core.Services.GetRequiredService<JwtTokenService>().CreateWithId("dave", ApiRole.Viewer, TimeSpan.FromHours(1));
        var (session, _) = core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{jwt}}"}""")).Result();
        (await CoreHarness.CallAsync(session, "probe_sign")).Result();

        var before = access.Verify("streams/camera0", minted!);
        core.Services.GetRequiredService<TokenRevocations>().RevokeToken(jti);
        core.Time.Advance(TimeSpan.FromSeconds(1));
        var after = access.Verify("streams/camera0", minted!);

        Assert.StartsWith("v2.", minted, StringComparison.Ordinal);
        Assert.Null(before);
        Assert.Equal("credential_revoked", after);
        Assert.Null(CallerContext.Current);
    }

    // Hole 4: per-camera scope.
    [Fact]
    public async Task ScopedJwt_SeesOnlyItsCamerasInListsAndNotifications()
    {
        var token = Tokens.Create("eve", ApiRole.Operator, TimeSpan.FromHours(1), ["camera0", "camera2"]);
        var connection = new FakeRpcConnection();
        var session = _core.Endpoint.OpenSession(connection);
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""")).Result();

        var list = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        var other = await CoreHarness.CallAsync(session, "get_camera_status", """{"device":"camera1"}""");
        var otherFile = await CoreHarness.CallAsync(session, "get_recording_info", """{"filename":"camera1_2026-01-01_00-00-00.mp4"}""");
        _source.Unplug("usb-1");
        _source.Unplug("usb-2");

        Assert.Equal(["camera0", "camera2"], list.GetProperty("cameras").EnumerateArray().Select(c => c.Str("device")));
        Assert.Equal(2, list.GetProperty("total").GetInt32());
        Assert.Equal("camera_not_allowed", other.Error(RpcErrorCodes.PermissionDenied).Str("reason"));
        Assert.Equal("camera_not_allowed", otherFile.Error(RpcErrorCodes.PermissionDenied).Str("reason"));
        var devices = connection.Parsed.Select(n => n.GetProperty("params").Str("device")).ToList();
        Assert.Equal(["camera2"], devices);
    }

    [Fact]
    public async Task ScopedSession_FileListsShowAndCountOnlyItsCamerasFiles()
    {
        // Lists: a scoped client's list_recordings/list_snapshots must neither show nor count other cameras' files.
        var (backend, store) = SubstituteMedia.Create();
        store.DownloadUrlLifetime.Returns(TimeSpan.FromHours(1));
        var start = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
        var files = Enumerable.Range(0, 5).Select(i => new MediaFile
        {
            Kind = MediaKind.Recording,
            CameraId = i < 2 ? "camera0" : "camera1",
            FileName = $"{(i < 2 ? "camera0" : "camera1")}_2026-11-27_09-0{i}-00.mp4",
            Path = "/media/recordings/x.mp4",
            Created = start.AddMinutes(i),
            Modified = start.AddMinutes(i),
            ContentType = "video/mp4",
        }).ToList();
        store.ListAsync(Arg.Any<MediaKind>(), Arg.Any<MediaQuery>(), Arg.Any<CancellationToken>()).Returns(ci =>
        {
            var query = ci.Arg<MediaQuery>();
            var matching = files.Where(f => query.CameraId is null || f.CameraId == query.CameraId).OrderByDescending(f => f.Modified).ToList();
            return Task.FromResult(new MediaPage { Files = [.. matching.Skip(query.Offset).Take(query.Limit)], Total = matching.Count });
        });
        await using var core = new CoreHarness(configure: s => s.AddSingleton(backend).AddSingleton(store), sources: new FakeCameraSource());
        await core.StartAsync();
        var session = core.Endpoint.OpenSession(new FakeRpcConnection());
        var token = core.Services.GetRequiredService<JwtTokenService>().Create("eve", ApiRole.Viewer, TimeSpan.FromHours(1), ["camera0"]);
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""")).Result();

        var list = (await CoreHarness.CallAsync(session, "list_recordings", """{"limit":1}""")).Result();

        Assert.Equal(2, list.GetProperty("total").GetInt32());
        Assert.Equal(["camera0_2026-11-27_09-01-00.mp4"], list.GetProperty("files").EnumerateArray().Select(f => f.Str("filename")));
    }

    [Fact]
    public async Task ScopedApiKey_RefusedOtherCamera()
    {
        var (_, key) = _core.Services.GetRequiredService<ApiKeyStore>().Create(ApiRole.Viewer, null, "cam1 only", ["camera1"]);
        var session = _core.Endpoint.OpenSession(new FakeRpcConnection());
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{key}}"}""")).Result();

        var list = (await CoreHarness.CallAsync(session, "get_camera_list")).Result();
        var other = await CoreHarness.CallAsync(session, "get_camera_capabilities", """{"device":"camera0"}""");

        Assert.Equal(["camera1"], list.GetProperty("cameras").EnumerateArray().Select(c => c.Str("device")));
        Assert.Equal("camera_not_allowed", other.Error(RpcErrorCodes.PermissionDenied).Str("reason"));
    }

    [Fact]
    public async Task ScopedCredential_BearerDownloadOrStreamOfAnotherCamera_NotFound()
    {
        var scoped = _core.Services.GetRequiredService<IScopedAccessControl>();
        var token = Tokens.Create("s", ApiRole.Viewer, TimeSpan.FromHours(1), ["camera1"]);

        var otherFile = await scoped.AuthorizeResourceAsync(token, ApiRole.Viewer, "recordings/camera0_2026-01-01_00-00-00.mp4", CancellationToken.None);
        var otherStream = await scoped.AuthorizeResourceAsync(token, ApiRole.Viewer, "streams/camera0", CancellationToken.None);
        var ownFile = await scoped.AuthorizeResourceAsync(token, ApiRole.Viewer, "snapshots/camera1_2026-01-01_00-00-00.jpg", CancellationToken.None);
        var ownStream = await scoped.AuthorizeResourceAsync(token, ApiRole.Viewer, "streams/camera1", CancellationToken.None);

        Assert.Equal((false, 404, "camera_not_allowed"), (otherFile.Allowed, otherFile.StatusCode, otherFile.Reason));
        Assert.Equal((false, 404), (otherStream.Allowed, otherStream.StatusCode));
        Assert.True(ownFile.Allowed);
        Assert.True(ownStream.Allowed);
    }

    [Theory]
    [InlineData("\"camera0\"")]
    [InlineData("[1]")]
    [InlineData("[\"../camera0\"]")]
    public async Task MalformedCamerasClaim_RefusedRatherThanReadAsEveryCamera(string claim)
    {
        var now = _core.Time.GetUtcNow();
        var token = Sign(new Dictionary<string, object> { ["user_id"] = "u", ["role"] = "admin", ["iat"] = now.ToUnixTimeSeconds(), ["cameras"] = JsonDocument.Parse(claim).RootElement }, now.AddHours(1));

        Assert.Equal("invalid_cameras_claim", (await Authenticate(token)).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    // Hole 6: a damaged api-keys.json closed every API-key session.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DamagedOrUnreadableKeyFile_KeepsLastGoodKeysAndReportsProblem(bool unreadable)
    {
        var keys = _core.Services.GetRequiredService<ApiKeyStore>();
        var (_, key) = keys.Create(ApiRole.Viewer, null, "ci");
        var session = _core.Endpoint.OpenSession(new FakeRpcConnection());
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{key}}"}""")).Result();
        var path = Path.Combine(_core.StateDirectory, ApiKeyStore.FileName);

        if (unreadable)
        {
            if (Environment.UserName == "root")
            {
                // root reads mode-0000 files anyway: simulate "not readable" with a directory in its place.
                File.Delete(path);
                Directory.CreateDirectory(path);
            }
            else
            {
                File.SetUnixFileMode(path, UnixFileMode.None);
            }
        }
        else
        {
            File.WriteAllText(path, "{\"keys\":[{\"id\":");
        }

        _core.Time.Advance(TimeSpan.FromSeconds(2));
        var during = await CoreHarness.CallAsync(session, "get_camera_list");
        var (fresh, _) = _core.Open();
        var login = await CoreHarness.CallAsync(fresh, "authenticate", $$"""{"auth_token":"{{key}}"}""");

        during.Result();
        login.Result();
        Assert.NotNull(keys.Problem);
        Assert.Single(_logs.Entries, e => e.Category.EndsWith("ApiKeyStore", StringComparison.Ordinal) && e.Level == LogLevel.Error);
    }

    // Hole 6: the damaged key file must be visible to operators in health (get_status, /health), not only in the log.
    [Fact]
    public async Task DamagedKeyFile_ApiComponentDegradedInGetStatus_UntilFixed()
    {
        var transport = Substitute.For<IApiTransport>();
        transport.Name.Returns("websocket");
        transport.GetHealth().Returns(CameraService.Abstractions.ComponentStatus.Running);
        await using var core = new CoreHarness(configure: s => s.AddSingleton(transport));
        await core.StartAsync();
        var keys = core.Services.GetRequiredService<ApiKeyStore>();
        var (_, key) = keys.Create(ApiRole.Admin, null, "ops");
        var (session, _) = core.Open();
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{key}}"}""")).Result();
        var path = Path.Combine(core.StateDirectory, ApiKeyStore.FileName);
        var good = await File.ReadAllTextAsync(path);

        var before = (await CoreHarness.CallAsync(session, "get_status")).Result();
        await File.WriteAllTextAsync(path, "{\"keys\":[{\"id\":");
        core.Time.Advance(TimeSpan.FromSeconds(2));
        var damaged = (await CoreHarness.CallAsync(session, "get_status")).Result();
        await File.WriteAllTextAsync(path, good);
        core.Time.Advance(TimeSpan.FromSeconds(2));
        var fixedAgain = (await CoreHarness.CallAsync(session, "get_status")).Result();

        // (The harness has no stream backend or store, so the overall status is DEGRADED throughout; the API component tells.)
        Assert.Equal("RUNNING", before.GetProperty("components").Str("api"));
        Assert.Equal("DEGRADED", damaged.GetProperty("components").Str("api"));
        Assert.Equal("DEGRADED", damaged.Str("status"));
        Assert.Equal("RUNNING", fixedAgain.GetProperty("components").Str("api"));
    }

    // Hole 9: audit log.
    [Fact]
    public async Task StateChangingCall_WrittenToAuditCategoryWithUserRoleSessionMethodTargetOutcome()
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);
        var admin = await _core.AuthenticatedAsync(ApiRole.Admin);

        await CoreHarness.CallAsync(session, "start_recording", """{"device":"camera0"}""");
        await CoreHarness.CallAsync(admin, "get_camera_list");

        var audit = Assert.Single(_logs.Entries, e => e.Category == SessionGuard.AuditCategory);
        Assert.Contains("user=tester", audit.Text, StringComparison.Ordinal);
        Assert.Contains("role=viewer", audit.Text, StringComparison.Ordinal);
        Assert.Contains("session=" + session.SessionId, audit.Text, StringComparison.Ordinal);
        Assert.Contains("method=start_recording", audit.Text, StringComparison.Ordinal);
        Assert.Contains("target=camera0", audit.Text, StringComparison.Ordinal);
        Assert.Contains("outcome=denied", audit.Text, StringComparison.Ordinal);
    }

    // Hole 9: the counter per method and outcome (camera_service.audit.events, exported at /metrics).
    [Fact]
    public async Task StateChangingCalls_CountedPerMethodAndOutcome_ReadsNotCounted()
    {
        var counted = new ConcurrentQueue<(string? Method, string? Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SessionGuard.MeterName && instrument.Name == "camera_service.audit.events")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            counted.Enqueue((all.FirstOrDefault(t => t.Key == "method").Value as string, all.FirstOrDefault(t => t.Key == "outcome").Value as string));
        });
        listener.Start();
        var viewer = await _core.AuthenticatedAsync(ApiRole.Viewer);
        var admin = await _core.AuthenticatedAsync(ApiRole.Admin);

        await CoreHarness.CallAsync(viewer, "start_recording", """{"device":"camera0"}""");
        (await CoreHarness.CallAsync(admin, "create_api_key", """{"role":"viewer","name":"counted"}""")).Result();
        (await CoreHarness.CallAsync(admin, "list_api_keys")).Result();

        // Other tests' cores may count in parallel (one meter name per process); these two must be among the counts.
        Assert.Contains(("start_recording", "denied"), counted);
        Assert.Contains(("create_api_key", "ok"), counted);
        Assert.DoesNotContain(counted, c => c.Method == "list_api_keys");
    }

    [Fact]
    public async Task RpcDiscover_CountsAgainstTheRateLimit()
    {
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["Api:RateLimit:Burst"] = "3", ["Api:RateLimit:RequestsPerSecond"] = "1" });
        var (session, _) = core.Open();
        for (var i = 0; i < 3; i++)
        {
            (await CoreHarness.CallAsync(session, "rpc.discover")).Result();
        }

        var limited = await CoreHarness.CallAsync(session, "rpc.discover");

        Assert.Equal(RpcErrorCodes.RateLimited, limited.GetProperty("error").GetProperty("code").GetInt32());
    }

    // Hole 8: -32050 data.detail leaked ffmpeg paths and the MediaMTX URL (with its credential).
    [Fact]
    public async Task DependencyFailedDetail_CarriesNoUrlsCredentialsAddressesOrPaths()
    {
        var probe = new RpcMethod("probe_fail", RpcRole.Viewer, "test", [], CoreJsonContext.Default.PingReply, [], (c, p, ct) =>
            throw new CameraService.Abstractions.DependencyFailedException("ffmpeg", "rtsp://camera-service:s3cret@127.0.0.1:8554/camera0: Connection refused; /usr/bin/ffmpeg exited 1 writing /var/lib/camera-service/media/snapshots/camera0/x.jpg (MediaMTX at http://10.1.2.3:9997)"));
        await using var core = new CoreHarness(configure: s => s.AddSingleton<IRpcMethodProvider>(new Provider(probe)));
        var session = await core.AuthenticatedAsync(ApiRole.Viewer);

        var detail = (await CoreHarness.CallAsync(session, "probe_fail")).Error(RpcErrorCodes.DependencyFailed).Str("detail");

        Assert.Contains("Connection refused", detail, StringComparison.Ordinal);
        foreach (var secret in new[] { "s3cret", "127.0.0.1", "10.1.2.3", "/usr/bin", "/var/lib", "rtsp://", "9997" })
        {
            Assert.DoesNotContain(secret, detail, StringComparison.Ordinal);
        }
    }

    // Hole 1: the MediaMTX HTTP auth endpoint's decisions (the emulator drives it end to end in EndToEnd.Tests).
    [Fact]
    public async Task MediaMtxAuth_DecidesPerActionCredentialAndScope()
    {
        var auth = _core.Services.GetRequiredService<MediaMtxAuthEndpoint>();
        var own = _core.Services.GetRequiredService<ServiceCredentials>();
        var viewer = _core.Token(ApiRole.Viewer);
        var scoped = Tokens.Create("s", ApiRole.Viewer, TimeSpan.FromHours(1), ["camera1"]);
        var access = _core.Services.GetRequiredService<AccessControl>();
        var streamToken = access.SignFor(new AuthPrincipal("k", ApiRole.Viewer, null, null), "streams/camera0", TimeSpan.FromMinutes(5));

        async Task<bool> Decide(string action, string path, string? user = null, string? password = null, string? token = null, string? query = null) =>
            (await auth.DecideAsync(new MediaMtxAuthEndpoint.AuthRequest(user, password, token, "192.0.2.7", action, path, "rtsp", query))).Allowed;

        Assert.False(await Decide("read", "camera0"));
        Assert.False(await Decide("read", "camera0", "any", string.Empty));
        Assert.False(await Decide("playback", "camera0"));
        Assert.True(await Decide("read", "camera0", password: viewer));
        Assert.True(await Decide("read", "camera0", token: viewer));
        Assert.True(await Decide("read", "camera0", query: "token=" + Uri.EscapeDataString(viewer)));
        Assert.True(await Decide("read", "camera0", query: "a=1&token=" + Uri.EscapeDataString(streamToken)));
        Assert.False(await Decide("read", "camera1", query: "token=" + Uri.EscapeDataString(streamToken)));
        Assert.True(await Decide("read", "camera1", token: scoped));
        Assert.False(await Decide("read", "camera0", token: scoped));
        Assert.False(await Decide("publish", "camera0", token: _core.Token(ApiRole.Admin)));
        Assert.False(await Decide("api", string.Empty, "camera-service", "guess"));
        Assert.False(await Decide("metrics", string.Empty, token: _core.Token(ApiRole.Admin)));
        Assert.True(await Decide("publish", "camera0", own.User, own.Password));
        Assert.True(await Decide("api", string.Empty, own.User, own.Password));
        Assert.False(MediaMtxAuthEndpoint.TryParse("not json"u8, out _));
        Assert.True(MediaMtxAuthEndpoint.TryParse("""{"user":"","password":"","token":"","ip":"127.0.0.1","action":"read","path":"camera0","protocol":"hls","id":null,"query":"","userAgent":"x","extra":{"a":[1]}}"""u8, out var parsed));
        Assert.Equal(("read", "camera0", "hls"), (parsed.Action, parsed.Path, parsed.Protocol));
    }

    private async Task<JsonElement> Authenticate(string token)
    {
        var (session, _) = _core.Open();
        return await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{token}}"}""");
    }

    private string Sign(Dictionary<string, object> claims, DateTimeOffset expires)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_core.Services.GetRequiredService<JwtSecret>().Key), SecurityAlgorithms.HmacSha256),
        });
    }

    private sealed class Provider(RpcMethod method) : IRpcMethodProvider
    {
        public IEnumerable<RpcMethod> GetMethods() => [method];
    }

    internal sealed record LogEntry(string Category, LogLevel Level, string Text);

    private sealed class CategoryLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<LogEntry> _entries = new();

        public IReadOnlyList<LogEntry> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CategoryLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception)));
        }
    }
}

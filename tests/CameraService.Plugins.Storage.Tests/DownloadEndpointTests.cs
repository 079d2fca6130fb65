using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Plugins.Storage.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace CameraService.Plugins.Storage.Tests;

public sealed class DownloadEndpointTests : IAsyncLifetime
{
    private const string Recording = "camera0_2026-11-27_10-15-00-123456.mp4";
    private const string Snapshot = "camera0_2026-11-27_10-15-02.jpg";
    private readonly StoreHarness _h = new();
    private readonly FakeAccessControl _access;
    private readonly FileDownloadEndpoints _endpoints;
    private string _recordingPath = string.Empty;

    public DownloadEndpointTests()
    {
        _access = new FakeAccessControl(_h.Time);
        _endpoints = new FileDownloadEndpoints(_h.Store, _access, NullLogger<FileDownloadEndpoints>.Instance);
    }

    public static TheoryData<string> HostileNames => new()
    {
        "../../state/storage-retention.json",
        "..",
        "/etc/passwd",
        "camera0/" + Recording,
        "x\0.mp4",
        new string('a', 300) + ".mp4",
        "evil.mp4", // symlink to a file outside the media root
    };

    public async Task InitializeAsync()
    {
        _recordingPath = _h.WriteFile(_h.Recordings, "camera0", Recording, TimeSpan.FromHours(1), 1234);
        _h.WriteFile(_h.Snapshots, "camera0", Snapshot, TimeSpan.FromHours(1), 10);
        var secret = Path.Combine(_h.Directory.FullName, "secret.txt");
        await File.WriteAllTextAsync(secret, "secret");
        File.CreateSymbolicLink(Path.Combine(_h.Recordings, "camera0", "evil.mp4"), secret);
        await _h.Store.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public void Endpoints_TwoGetRoutes()
    {
        Assert.Equal(
            ["GET /files/recordings/{filename}", "GET /files/snapshots/{filename}"],
            _endpoints.Endpoints.Select(e => $"{e.Method} {e.Pattern}"));
    }

    [Fact]
    public async Task Handle_BearerViewer_FileReplyWithMetadata()
    {
        var reply = await CallAsync("/files/recordings/{filename}", Recording, bearer: FakeAccessControl.ViewerToken);

        var file = Assert.IsType<HttpFileReply>(reply);
        await using var content = file.Content;
        Assert.Equal(200, file.StatusCode);
        Assert.Equal(_recordingPath, file.Path);
        Assert.Equal("video/mp4", file.ContentType);
        Assert.Equal(Recording, file.DownloadName);
        Assert.Equal(new DateTimeOffset(File.GetLastWriteTimeUtc(_recordingPath)), file.LastModified);
        Assert.Matches("^\"[0-9a-f]+-[0-9a-f]+\"$", file.ETag);
    }

    [Fact]
    public async Task Handle_Snapshot_ImageJpeg()
    {
        var reply = await CallAsync("/files/snapshots/{filename}", Snapshot, bearer: FakeAccessControl.AdminToken);

        Assert.Equal("image/jpeg", Assert.IsType<HttpFileReply>(reply).ContentType);
    }

    [Fact]
    public async Task Handle_ETag_ChangesWhenFileChanges()
    {
        var first = Assert.IsType<HttpFileReply>(await CallAsync("/files/recordings/{filename}", Recording, bearer: FakeAccessControl.ViewerToken));
        await File.AppendAllTextAsync(_recordingPath, "more");
        File.SetLastWriteTimeUtc(_recordingPath, _h.Time.GetUtcNow().AddMinutes(-30).UtcDateTime);

        var second = Assert.IsType<HttpFileReply>(await CallAsync("/files/recordings/{filename}", Recording, bearer: FakeAccessControl.ViewerToken));

        Assert.NotEqual(first.ETag, second.ETag);
    }

    [Fact]
    public async Task Handle_NoCredentials_401Json()
    {
        var reply = await CallAsync("/files/recordings/{filename}", Recording);

        AssertJsonError(reply, 401, "auth_required");
    }

    [Fact]
    public async Task Handle_NoCredentialsForMissingFile_401NotLeaking404()
    {
        var reply = await CallAsync("/files/recordings/{filename}", "camera0_missing.mp4");

        AssertJsonError(reply, 401, "auth_required");
    }

    [Theory]
    [InlineData("garbage", 401, "invalid_token")]
    [InlineData(FakeAccessControl.ExpiredToken, 401, "token_expired")]
    [InlineData(FakeAccessControl.NoRoleToken, 403, "insufficient_role")]
    public async Task Handle_BadBearer_RefusedWithAccessStatus(string token, int status, string reason)
    {
        var reply = await CallAsync("/files/recordings/{filename}", Recording, bearer: token);

        AssertJsonError(reply, status, reason);
    }

    [Fact]
    public async Task Handle_SignedToken_ServesAndBindsToResource()
    {
        var token = _access.SignResource("recordings/" + Recording, TimeSpan.FromHours(1));

        var reply = await CallAsync("/files/recordings/{filename}", Recording, token: token);

        Assert.IsType<HttpFileReply>(reply);
        Assert.Equal(["recordings/" + Recording], _access.VerifiedResources);
    }

    [Fact]
    public async Task Handle_SignedTokenExpired_403()
    {
        var token = _access.SignResource("recordings/" + Recording, TimeSpan.FromHours(1));
        _h.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        var reply = await CallAsync("/files/recordings/{filename}", Recording, token: token);

        AssertJsonError(reply, 403, "invalid_signature");
    }

    [Fact]
    public async Task Handle_SignedTokenTampered_403()
    {
        var token = _access.SignResource("recordings/" + Recording, TimeSpan.FromHours(1));
        var tampered = token[..^2] + (token[^2] == 'A' ? "BB" : "AA");
        var extended = "9999999999" + token[token.IndexOf('.', StringComparison.Ordinal)..];

        AssertJsonError(await CallAsync("/files/recordings/{filename}", Recording, token: tampered), 403, "invalid_signature");
        AssertJsonError(await CallAsync("/files/recordings/{filename}", Recording, token: extended), 403, "invalid_signature");
    }

    [Fact]
    public async Task Handle_SignedTokenForOtherFileOrKind_403()
    {
        var forSnapshot = _access.SignResource("snapshots/" + Snapshot, TimeSpan.FromHours(1));
        var sameNameOtherKind = _access.SignResource("snapshots/" + Recording, TimeSpan.FromHours(1));

        AssertJsonError(await CallAsync("/files/recordings/{filename}", Recording, token: forSnapshot), 403, "invalid_signature");
        AssertJsonError(await CallAsync("/files/recordings/{filename}", Recording, token: sameNameOtherKind), 403, "invalid_signature");
    }

    [Fact]
    public async Task Handle_InvalidBearerButValidSignedToken_Serves()
    {
        var token = _access.SignResource("recordings/" + Recording, TimeSpan.FromHours(1));

        var reply = await CallAsync("/files/recordings/{filename}", Recording, bearer: "stale", token: token);

        Assert.IsType<HttpFileReply>(reply);
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task Handle_HostileNameWithValidBearer_400NeverAFile(string name)
    {
        var reply = await CallAsync("/files/recordings/{filename}", name, bearer: FakeAccessControl.ViewerToken);

        AssertJsonError(reply, 400, "invalid_filename");
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task Handle_HostileNameWithSignedTokenForIt_NeverAFile(string name)
    {
        // Even a correctly signed token for a hostile name must not reach a file outside the media root.
        var token = _access.SignResource("recordings/" + name, TimeSpan.FromHours(1));

        var reply = await CallAsync("/files/recordings/{filename}", name, token: token);

        Assert.IsType<HttpContentReply>(reply);
        Assert.Equal(400, reply.StatusCode);
    }

    [Theory]
    [InlineData("%2e%2e%2f%2e%2e%2fetc%2fpasswd")]
    [InlineData("camera0_2026-01-01_00-00-00-000000.mp4")]
    public async Task Handle_ValidButAbsentName_404(string name)
    {
        var reply = await CallAsync("/files/recordings/{filename}", name, bearer: FakeAccessControl.ViewerToken);

        AssertJsonError(reply, 404, "not_found");
    }

    [Fact]
    public async Task Handle_NoAccessControlRegistered_503()
    {
        var endpoints = new FileDownloadEndpoints(_h.Store, null, NullLogger<FileDownloadEndpoints>.Instance);
        var handler = endpoints.Endpoints[0].Handler;

        var reply = await handler(Request(Recording, FakeAccessControl.ViewerToken, null), CancellationToken.None);

        AssertJsonError(reply, 503, "access_control_missing");
    }

    private static HttpRequestData Request(string fileName, string? bearer, string? token)
    {
        var query = new Dictionary<string, string>();
        if (token is not null)
        {
            query["token"] = token;
        }

        return new HttpRequestData
        {
            Method = "GET",
            Path = "/files/x/" + fileName,
            RouteValues = new Dictionary<string, string> { ["filename"] = fileName },
            Query = query,
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
            BearerToken = bearer,
        };
    }

    private static void AssertJsonError(HttpReply reply, int status, string reason)
    {
        var content = Assert.IsType<HttpContentReply>(reply);
        Assert.Equal(status, content.StatusCode);
        Assert.Equal("application/json", content.ContentType);
        using var json = JsonDocument.Parse(content.Body);
        Assert.Equal(status, json.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(reason, json.RootElement.GetProperty("reason").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("message").GetString()));
        Assert.DoesNotContain("/tmp", json.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_FileSwappedForSymlinkAfterTheStoresCheck_NotFollowedOutside()
    {
        // Issue 17, hole 8: the store checks the resolved path, then the file is replaced by a symlink to a secret
        // before the endpoint resolves and opens it. The secret's bytes must not be served.
        var secret = Path.Combine(_h.Directory.FullName, "secret.txt");
        var swapping = new SwappingStore(_h.Store, file =>
        {
            File.Delete(file.Path);
            File.CreateSymbolicLink(file.Path, secret);
        });
        var endpoints = new FileDownloadEndpoints(swapping, _access, NullLogger<FileDownloadEndpoints>.Instance);

        var reply = await endpoints.Endpoints.Single(e => e.Pattern == "/files/recordings/{filename}")
            .Handler(Request(Recording, FakeAccessControl.ViewerToken, null), CancellationToken.None);

        AssertNotServed(reply, "secret");
    }

    [Fact]
    public async Task Handle_FileSwappedForSymlinkBetweenCheckAndOpen_404NotTheSecret()
    {
        // Issue 17, hole 8: the race itself. The endpoint has resolved and checked the file; before it opens it, the
        // file is replaced on disk by a symlink to a secret outside the media root.
        var secret = Path.Combine(_h.Directory.FullName, "secret.txt");
        _endpoints.BeforeOpen = checkedPath =>
        {
            File.Delete(checkedPath);
            File.CreateSymbolicLink(checkedPath, secret);
        };

        var reply = await CallAsync("/files/recordings/{filename}", Recording, bearer: FakeAccessControl.ViewerToken);

        AssertNotServed(reply, "secret");
        AssertJsonError(reply, 404, "not_found");
    }

    [Fact]
    public async Task Handle_CameraDirectorySwappedForSymlinkBetweenCheckAndOpen_404NotTheSecret()
    {
        // The same race one level up: the camera directory becomes a symlink to a directory outside the root that
        // holds a file of the same name. O_NOFOLLOW alone (last component) would follow it; the opened descriptor's
        // name must still be the checked path.
        var outside = Directory.CreateDirectory(Path.Combine(_h.Directory.FullName, "outside"));
        await File.WriteAllTextAsync(Path.Combine(outside.FullName, Recording), "secret-in-a-directory");
        _endpoints.BeforeOpen = checkedPath =>
        {
            var cameraDirectory = Path.GetDirectoryName(checkedPath)!;
            Directory.Move(cameraDirectory, cameraDirectory + ".moved");
            Directory.CreateSymbolicLink(cameraDirectory, outside.FullName);
        };

        var reply = await CallAsync("/files/recordings/{filename}", Recording, bearer: FakeAccessControl.ViewerToken);

        AssertNotServed(reply, "secret-in-a-directory");
        AssertJsonError(reply, 404, "not_found");
    }

    [Fact]
    public async Task Handle_NoSwap_ServesTheOpenedFilesBytes()
    {
        var reply = Assert.IsType<HttpFileReply>(await CallAsync("/files/recordings/{filename}", Recording, bearer: FakeAccessControl.ViewerToken));

        await using var content = reply.Content;
        Assert.NotNull(content);
        Assert.True(content.CanSeek);
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        Assert.Equal(await File.ReadAllBytesAsync(_recordingPath), copy.ToArray());
    }

    private static void AssertNotServed(HttpReply reply, string secret)
    {
        if (reply is HttpFileReply file)
        {
            // Whatever the transport would send: the opened stream, or else the file at the named path.
            using var content = file.Content ?? File.OpenRead(file.Path);
            using var reader = new StreamReader(content);
            Assert.NotEqual(secret, reader.ReadToEnd());
        }
        else
        {
            Assert.Equal(404, reply.StatusCode);
        }
    }

    private sealed class SwappingStore(IMediaStore inner, Action<MediaFile> afterGet) : IMediaStore
    {
        public event EventHandler<StorageStatusChangedEventArgs>? StatusChanged
        {
            add => inner.StatusChanged += value;
            remove => inner.StatusChanged -= value;
        }

        public string Name => inner.Name;

        public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

        public string GetRecordingDirectory(string cameraId) => inner.GetRecordingDirectory(cameraId);

        public string AllocateSnapshotPath(string cameraId, string? fileName, string extension) => inner.AllocateSnapshotPath(cameraId, fileName, extension);

        public Task<MediaFile> AddAsync(MediaKind kind, string path, CancellationToken cancellationToken) => inner.AddAsync(kind, path, cancellationToken);

        public Task<MediaPage> ListAsync(MediaKind kind, MediaQuery query, CancellationToken cancellationToken) => inner.ListAsync(kind, query, cancellationToken);

        public async Task<MediaFile> GetAsync(MediaKind kind, string fileName, CancellationToken cancellationToken)
        {
            var file = await inner.GetAsync(kind, fileName, cancellationToken);
            afterGet(file);
            return file;
        }

        public Task<MediaFile> DeleteAsync(MediaKind kind, string fileName, CancellationToken cancellationToken) => inner.DeleteAsync(kind, fileName, cancellationToken);

        public void SetRecordingActive(string cameraId, bool active) => inner.SetRecordingActive(cameraId, active);

        public StorageStatus GetStatus() => inner.GetStatus();

        public void EnsureSpaceForWrite() => inner.EnsureSpaceForWrite();

        public RetentionPolicy GetRetentionPolicy() => inner.GetRetentionPolicy();

        public Task<RetentionPolicy> SetRetentionPolicyAsync(RetentionPolicy policy, CancellationToken cancellationToken) => inner.SetRetentionPolicyAsync(policy, cancellationToken);

        public Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken) => inner.CleanupAsync(cancellationToken);
    }

    private async Task<HttpReply> CallAsync(string pattern, string fileName, string? bearer = null, string? token = null)
    {
        var endpoint = _endpoints.Endpoints.Single(e => e.Pattern == pattern);
        return await endpoint.Handler(Request(fileName, bearer, token), CancellationToken.None);
    }
}

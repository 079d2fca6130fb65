using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace MediaMtxEmulator.Tests;

public sealed class ApiConventionTests : EmulatorTestBase
{
    [Fact]
    public async Task Info_Get_ReturnsExactlyStartedAndVersion()
    {
        var (status, body) = await Get("/v3/info");
        Assert.Equal(200, status);
        Assert.Equal(["started", "version"], body!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("v1.20.1", body["version"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(body["started"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Preflight_Options_Returns204WithCorsHeadersAndEmptyBody()
    {
        using var req = new HttpRequestMessage(HttpMethod.Options, "/");
        req.Headers.Add("Access-Control-Request-Method", "GET");
        using var resp = await Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.NoContent, resp.StatusCode);
        Assert.Equal("*", resp.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("OPTIONS, GET, POST, PATCH, DELETE", resp.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("Authorization, Content-Type", resp.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Empty(await resp.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Responses_CarryServerAndEmulatorHeaders()
    {
        using var resp = await Http.GetAsync("/v3/info");
        Assert.Equal("mediamtx", resp.Headers.Server.ToString());
        Assert.Equal("1", resp.Headers.GetValues("X-MediaMTX-Emulator").Single());
        Assert.Equal("application/json; charset=utf-8", resp.Content.Headers.ContentType!.ToString());
        Assert.Equal("*", resp.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Theory]
    [InlineData("GET", "/v3/nonexisting")]
    [InlineData("POST", "/v3/info")]
    [InlineData("GET", "/v3/moqsessions/list")]
    [InlineData("PATCH", "/v3/config/paths/add/x")]
    public async Task UnknownRouteOrMethod_Returns404PlainText(string method, string path)
    {
        using var resp = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") });
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("text/plain", resp.Content.Headers.ContentType!.MediaType);
        Assert.Equal("404 page not found", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task JwksRefresh_Post_ReturnsOk() => AssertOk(await Post("/v3/auth/jwks/refresh", string.Empty));

    [Fact]
    public async Task Pagination_UpstreamCases_MatchPaginateTest()
    {
        foreach (var i in Enumerable.Range(0, 5))
        {
            AssertOk(await Post($"/v3/config/paths/add/p{i}", "{}"));
        }

        var (_, b) = await Get("/v3/config/paths/list?itemsPerPage=1&page=1");
        Assert.Equal(5, b!["itemCount"]!.GetValue<int>());
        Assert.Equal(5, b["pageCount"]!.GetValue<int>());
        Assert.Equal("p1", b["items"]!.AsArray().Single()!["name"]!.GetValue<string>());

        (_, b) = await Get("/v3/config/paths/list?itemsPerPage=3&page=2");
        Assert.Equal(2, b!["pageCount"]!.GetValue<int>());
        Assert.Empty(b["items"]!.AsArray());

        AssertError(await Get("/v3/config/paths/list?itemsPerPage=0"), 400, "invalid items per page");
        AssertError(await Get("/v3/config/paths/list?itemsPerPage=x"), 400, "strconv.ParseUint: parsing \"x\": invalid syntax");
        AssertError(await Get("/v3/paths/list?page=-1"), 400, "strconv.ParseUint: parsing \"-1\": invalid syntax");
    }

    [Fact]
    public async Task Pagination_Empty_PageCountZeroItemsArray()
    {
        var (_, b) = await Get("/v3/recordings/list?itemsPerPage=1");
        Assert.Equal("""{"itemCount":0,"pageCount":0,"items":[]}""", b!.ToJsonString());
    }

    [Fact]
    public async Task ApiFalse_Patch_RepliesOkThenStopsListening()
    {
        AssertOk(await Patch("/v3/config/global/patch", """{"api":false}"""));
        await WaitUntil(() => !Emu.IsRunning, TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<HttpRequestException>(() => Http.GetAsync("/v3/info"));
    }
}

public sealed class AuthTests : EmulatorTestBase
{
    protected override void Configure(EmulatorOptions options)
    {
        options.AuthInternalUsersJson = """[{"user":"camsvc","pass":"secret","ips":[],"permissions":[{"action":"api","path":""}]},{"user":"hashed","pass":"sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w=","ips":[],"permissions":[{"action":"api","path":""}]},{"user":"reader","pass":"pw","ips":[],"permissions":[{"action":"read","path":""}]}]""";
        options.ApiTokens = ["good-token"];
    }

    private async Task<HttpResponseMessage> GetInfo(AuthenticationHeaderValue? auth)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v3/info");
        req.Headers.Authorization = auth;
        return await Http.SendAsync(req);
    }

    private static AuthenticationHeaderValue Basic(string user, string pass) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + pass)));

    [Fact]
    public async Task NoCredentials_401WithBasicRealm()
    {
        using var resp = await GetInfo(null);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Equal("Basic realm=\"mediamtx\"", resp.Headers.WwwAuthenticate.ToString());
        Assert.Equal("""{"status":"error","error":"authentication error"}""", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WrongCredentials_401WithoutWwwAuthenticate()
    {
        using var resp = await GetInfo(Basic("myuser", "mypass"));
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Empty(resp.Headers.WwwAuthenticate);
        Assert.Equal("""{"status":"error","error":"authentication error"}""", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UserWithoutApiPermission_401()
    {
        using var resp = await GetInfo(Basic("reader", "pw"));
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
    }

    [Fact]
    public async Task ValidCredentials_BasicBearerPairSha256AndToken_200()
    {
        using (var r = await GetInfo(Basic("camsvc", "secret")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using (var r = await GetInfo(new AuthenticationHeaderValue("Bearer", "camsvc:secret")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using (var r = await GetInfo(Basic("hashed", "testpass")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using (var r = await GetInfo(new AuthenticationHeaderValue("Bearer", "good-token")))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
    }

    [Fact]
    public async Task UnknownRoute_Unauthenticated_401BeforeRouting()
    {
        using var resp = await Http.GetAsync("/v3/nonexisting");
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
    }

    [Fact]
    public async Task GlobalGet_RedactsPasswords()
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v3/config/global/get");
        req.Headers.Authorization = Basic("camsvc", "secret");
        using var resp = await Http.SendAsync(req);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.True(body["api"]!.GetValue<bool>());
        Assert.All(body["authInternalUsers"]!.AsArray(), u => Assert.Equal("<redacted>", u!["pass"]!.GetValue<string>()));
    }
}

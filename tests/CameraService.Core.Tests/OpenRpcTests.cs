using System.Text.Json;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Tests;

public sealed class OpenRpcTests
{
    [Fact]
    public async Task Discover_WithoutSession_ListsEveryMethodWithParamsAndRoles()
    {
        await using var core = new CoreHarness();
        var (session, _) = core.Open();

        var doc = (await CoreHarness.CallAsync(session, "rpc.discover")).Result();

        Assert.StartsWith("1.", doc.Str("openrpc"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(doc.GetProperty("info").Str("version")));
        var methods = doc.GetProperty("methods").EnumerateArray().ToDictionary(m => m.Str("name")!);
        Assert.Equal(core.Methods.Methods.Select(m => m.Name).Order(), methods.Keys.Order());
        foreach (var method in core.Methods.Methods)
        {
            var described = methods[method.Name];
            Assert.Equal(method.MinRole.ToString().ToLowerInvariant(), described.Str("x-min-role"));
            Assert.Equal("by-name", described.Str("paramStructure"));
            Assert.Equal(JsonValueKind.Object, described.GetProperty("result").GetProperty("schema").ValueKind);
            var parameters = described.GetProperty("params").EnumerateArray().ToList();
            Assert.Equal(method.Params.Select(p => p.Name), parameters.Select(p => p.Str("name")));
            Assert.Equal(method.Params.Select(p => p.Required), parameters.Select(p => p.GetProperty("required").GetBoolean()));
        }

        var device = methods["get_camera_status"].GetProperty("params")[0].GetProperty("schema");
        Assert.Equal("^camera[0-9]+$", device.Str("pattern"));
    }

    [Fact]
    public async Task HttpEndpoint_OpenRpcJson_ServesSameDocument()
    {
        await using var core = new CoreHarness();
        var (session, _) = core.Open();
        var viaRpc = (await CoreHarness.CallAsync(session, "rpc.discover")).Result().GetRawText();
        var source = core.Services.GetServices<IHttpEndpointSource>().SelectMany(s => s.Endpoints).Single(e => e.Pattern == "/openrpc.json");
        var request = new HttpRequestData { Method = "GET", Path = "/openrpc.json", RouteValues = new Dictionary<string, string>(), Query = new Dictionary<string, string>(), Headers = new Dictionary<string, string>() };

        var reply = Assert.IsType<HttpContentReply>(await source.Handler(request, CancellationToken.None));

        Assert.Equal("GET", source.Method);
        Assert.Equal(200, reply.StatusCode);
        Assert.Equal("application/json", reply.ContentType);
        Assert.Equal(viaRpc, System.Text.Encoding.UTF8.GetString(reply.Body.Span));
    }
}

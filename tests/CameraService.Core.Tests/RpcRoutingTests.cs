using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Tests;

/// <summary>The SDK's routing hook (abstractions/Api/RpcRouting.cs) as a fleet gateway uses it.</summary>
public sealed class RpcRoutingTests : IAsyncDisposable
{
    private readonly RecordingRouter _router = new();
    private readonly CoreHarness _core;

    public RpcRoutingTests()
    {
        _core = new CoreHarness(configure: s => s.AddSingleton<IRpcCallRouter>(_router));
    }

    public ValueTask DisposeAsync() => _core.DisposeAsync();

    [Fact]
    public async Task Router_AnswersAfterAuthRoleAndParamChecks_WithItsResultOrError()
    {
        var viewer = _core.Services.GetRequiredService<ITrustedRpcEndpoint>().OpenTrustedSession(new FakeRpcConnection(), new TrustedPrincipal { UserId = "alice", Role = ApiRole.Viewer });

        var status = await CoreHarness.CallAsync(viewer, "get_camera_status", """{"device":"camera7"}""");
        var denied = await CoreHarness.CallAsync(viewer, "start_recording", """{"device":"camera7"}""");
        var invalid = await CoreHarness.CallAsync(viewer, "get_camera_status", """{"device":"../x"}""");
        var failed = await CoreHarness.CallAsync(viewer, "get_camera_status", """{"device":"camera8"}""");

        Assert.Equal("routed camera7", status.Result().Str("device"));
        Assert.Equal(RpcErrorCodes.PermissionDenied, denied.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(RpcErrorCodes.InvalidParams, invalid.GetProperty("error").GetProperty("code").GetInt32());
        var error = failed.Error(RpcErrorCodes.DependencyFailed);
        Assert.Equal("fleet node n1", error.Str("dependency"));
        Assert.Equal(2, error.GetProperty("attempts").GetInt32());

        // Only the calls that passed the core's checks reached the router, with the caller's identity.
        Assert.Equal(["get_camera_status alice viewer {\"device\":\"camera7\"}", "get_camera_status alice viewer {\"device\":\"camera8\"}"], _router.Calls);
    }

    [Fact]
    public async Task Router_ReturningNull_LetsTheLocalHandlerAnswer()
    {
        var (session, _) = _core.Open();

        var pong = await CoreHarness.CallAsync(session, "ping");

        Assert.Equal("pong", pong.Result().GetString());
        Assert.Equal(["ping anonymous "], _router.Calls.Select(c => c.TrimEnd('{', '}')));
    }

    [Fact]
    public async Task NotificationPublisher_DeliversToSessionsByTopicAndDeviceFilter()
    {
        var endpoint = _core.Services.GetRequiredService<ITrustedRpcEndpoint>();
        var all = new FakeRpcConnection();
        var filtered = new FakeRpcConnection();
        var a = endpoint.OpenTrustedSession(all, new TrustedPrincipal { UserId = "a", Role = ApiRole.Viewer });
        var f = endpoint.OpenTrustedSession(filtered, new TrustedPrincipal { UserId = "f", Role = ApiRole.Viewer });
        await CoreHarness.CallAsync(a, "subscribe_events", """{"topics":["snapshot.taken"]}""");
        await CoreHarness.CallAsync(f, "subscribe_events", """{"topics":["snapshot.taken"],"filters":{"device":"camera2"}}""");
        var publisher = _core.Services.GetRequiredService<IRpcNotificationPublisher>();

        var delivered = publisher.Publish(["snapshot.taken"], "snapshot_taken", "camera5", Encoding.UTF8.GetBytes("""{"device":"camera5","filename":"camera5_x.jpg","file_size":1,"timestamp":"t"}"""));

        Assert.Equal(1, delivered);
        var message = JsonDocument.Parse(Assert.Single(all.Notifications)).RootElement;
        Assert.Equal("snapshot_taken", message.GetProperty("method").GetString());
        Assert.Equal("camera5_x.jpg", message.GetProperty("params").GetProperty("filename").GetString());
        Assert.Empty(filtered.Notifications);
        Assert.Throws<ArgumentException>(() => publisher.Publish(["no.such.topic"], "x", null, "{}"u8.ToArray()));
    }

    private sealed class RecordingRouter : IRpcCallRouter
    {
        public List<string> Calls { get; } = [];

        public ValueTask<RoutedRpcResponse?> RouteAsync(RoutedRpcCall request, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add($"{request.Method} {request.UserId} {(request.Method == "ping" ? string.Empty : Name(request.Role))} {Encoding.UTF8.GetString(request.Params.Span)}".Replace("  ", " ", StringComparison.Ordinal));
            }

            if (request.Method != "get_camera_status")
            {
                return ValueTask.FromResult<RoutedRpcResponse?>(null);
            }

            using var p = JsonDocument.Parse(request.Params);
            var device = p.RootElement.GetProperty("device").GetString();
            return ValueTask.FromResult<RoutedRpcResponse?>(device == "camera7"
                ? RoutedRpcResponse.FromResult(Encoding.UTF8.GetBytes("""{"device":"routed camera7"}"""))
                : RoutedRpcResponse.FromError(-32050, Encoding.UTF8.GetBytes("""{"dependency":"fleet node n1","attempts":2}""")));
        }

        private static string Name(ApiRole role) => role.ToString().ToLowerInvariant();
    }
}

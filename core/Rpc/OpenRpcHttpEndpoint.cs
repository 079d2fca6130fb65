using CameraService.Abstractions.Api;

namespace CameraService.Core.Rpc;

/// <summary>Serves <c>GET /openrpc.json</c> (no authentication), the same document as <c>rpc.discover</c>.</summary>
internal sealed class OpenRpcHttpEndpoint(RpcMethodTable methods) : IHttpEndpointSource
{
    public IReadOnlyList<HttpEndpoint> Endpoints { get; } =
    [
        new HttpEndpoint("GET", "/openrpc.json", (_, _) => ValueTask.FromResult<HttpReply>(new HttpContentReply(200, "application/json", methods.OpenRpcDocument))),
    ];
}

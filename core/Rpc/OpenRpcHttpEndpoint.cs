using CameraService.Abstractions.Api;

namespace CameraService.Core.Rpc;

/// <summary>Serves <c>GET /openrpc.json</c> (no authentication), the same document as <c>rpc.discover</c>.</summary>
internal sealed class OpenRpcHttpEndpoint(RpcMethodTable methods) : IHttpEndpointSource
{
    public IReadOnlyList<HttpEndpoint> Endpoints { get; } =
    [
        new HttpEndpoint { Method = "GET", Pattern = "/openrpc.json", Handler = (_, _) => ValueTask.FromResult<HttpReply>(new HttpContentReply { StatusCode = 200, ContentType = "application/json", Body = methods.OpenRpcDocument }) },
    ];
}

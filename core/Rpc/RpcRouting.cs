using System.Buffers;
using System.Text.Json;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Rpc;

/// <summary>
/// The core side of <see cref="IRpcCallRouter"/>: asks the registered routers (a fleet gateway's) to answer a
/// validated call before the local handler runs, and turns their answer into the processor's result or error.
/// </summary>
internal sealed class RpcRouters(IEnumerable<IRpcCallRouter> routers)
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();
    private readonly IRpcCallRouter[] _routers = [.. routers];

    public bool Any => _routers.Length > 0;

    /// <summary>The routed result, or null when every router declined and the local handler answers.</summary>
    /// <exception cref="RpcErrorException">A router answered with an error.</exception>
    public async ValueTask<RpcResult?> TryRouteAsync(RpcCallContext context, RpcMethod method, JsonElement? parameters, RpcParams args, CancellationToken cancellationToken)
    {
        var principal = context.Session.Principal;
        var call = new RoutedRpcCall
        {
            Method = method.Name,
            Params = parameters is { ValueKind: JsonValueKind.Object } p ? System.Text.Encoding.UTF8.GetBytes(p.GetRawText()) : EmptyObject,
            UserId = principal?.UserId ?? "anonymous",
            Role = principal?.Role ?? 0,
            Cameras = principal?.Scope.Cameras,
            SessionId = context.Session.SessionId,
            InvokeLocally = ct => InvokeLocallyAsync(method, context, args, ct),
        };
        foreach (var router in _routers)
        {
            if (await router.RouteAsync(call, cancellationToken).ConfigureAwait(false) is { } response)
            {
                return ToResult(response);
            }
        }

        return null;
    }

    private static RpcResult ToResult(RoutedRpcResponse response)
    {
        if (!response.IsError)
        {
            return RpcResult.Raw(response.Result);
        }

        var items = new List<KeyValuePair<string, object?>>();
        if (!response.ErrorData.IsEmpty)
        {
            using var data = JsonDocument.Parse(response.ErrorData);
            if (data.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in data.RootElement.EnumerateObject())
                {
                    items.Add(RpcErrorException.Item(property.Name, property.Value.Clone()));
                }
            }
        }

        throw new RpcErrorException(response.ErrorCode, [.. items]);
    }

    private static async ValueTask<RoutedRpcResponse> InvokeLocallyAsync(RpcMethod method, RpcCallContext context, RpcParams args, CancellationToken cancellationToken)
    {
        try
        {
            var result = await method.Handler(context, args, cancellationToken).ConfigureAwait(false);
            var buffer = new ArrayBufferWriter<byte>(1024);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                result.Write(writer);
            }

            return RoutedRpcResponse.FromResult(buffer.WrittenMemory);
        }
        catch (RpcErrorException ex)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                ex.WriteData(writer);
                writer.WriteEndObject();
            }

            return RoutedRpcResponse.FromError(ex.Code, buffer.WrittenMemory);
        }
    }
}

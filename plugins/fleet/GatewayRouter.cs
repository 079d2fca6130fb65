using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;
using static CameraService.Plugins.Fleet.GatewayReplies;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway's answers to the API (docs/fleet.md, "What the gateway answers"): calls on a camera or a file go to its
/// node; lists are merged across nodes (<see cref="GatewayMerges"/>, <see cref="GatewayFileLists"/>); a few methods
/// stay local to the gateway's own session state.
/// </summary>
internal sealed class GatewayRouter(FleetGateway gateway) : IRpcCallRouter
{
    private readonly GatewayMerges _merges = new(gateway);
    private readonly GatewayFileLists _files = new(gateway);

    public async ValueTask<RoutedRpcResponse?> RouteAsync(RoutedRpcCall request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = JsonNode.Parse(request.Params.Span) as JsonObject ?? [];
        var device = parameters["device"]?.GetValue<string>();
        switch (request.Method)
        {
            // The session's own state and the gateway's own process: answered by the gateway's core.
            case "ping" or "authenticate" or "rpc.discover" or "subscribe_events" or "unsubscribe_events" or "get_subscription_stats" or "get_metrics":
                return null;
            case "get_camera_list":
                return await _merges.CameraListAsync(request, cancellationToken).ConfigureAwait(false);
            case "list_recordings" or "list_snapshots" when device is null:
                return await _files.ListAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "get_recording_info" or "get_snapshot_info" or "delete_recording" or "delete_snapshot":
                return await ByFileNameAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "get_streams":
                return await _merges.StreamsAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "get_server_info" or "get_status":
                return await _merges.LocalWithNodesAsync(request, cancellationToken).ConfigureAwait(false);
            case "get_system_status":
                return _merges.SystemStatus(request);
            case "get_storage_info":
                return await _merges.StorageAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "set_retention_policy" or "cleanup_old_files":
                return await _merges.BroadcastAsync(request, parameters, cancellationToken).ConfigureAwait(false);
        }

        if (device is not null)
        {
            return await ByDeviceAsync(request, parameters, device, cancellationToken).ConfigureAwait(false);
        }

        return Error(RpcReplies.Unsupported, new JsonObject
        {
            ["feature"] = "fleet_routing",
            ["message"] = $"{request.Method} is not available through a fleet gateway; call it on the node's own API.",
        });
    }

    private async Task<RoutedRpcResponse> ByDeviceAsync(RoutedRpcCall request, JsonObject parameters, string device, CancellationToken cancellationToken)
    {
        if (!Allowed(request, device))
        {
            return CameraNotAllowed(device);
        }

        if (gateway.Nodes.Resolve(device) is not { } target)
        {
            return Error(RpcReplies.NotFound, new JsonObject { ["resource"] = "camera", ["id"] = device });
        }

        parameters["device"] = target.Local;
        if (parameters["filename"]?.GetValue<string>() is { } name)
        {
            parameters["filename"] = ToLocalFileName(name, device, target.Local);
        }

        return await ForwardAsync(target.Node, request, parameters, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RoutedRpcResponse> ByFileNameAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var name = parameters["filename"]?.GetValue<string>() ?? string.Empty;
        var prefix = IdRewriter.FilePrefix().Match(name);
        if (prefix.Success && gateway.Nodes.Resolve(prefix.Groups[1].Value) is { } target)
        {
            if (!Allowed(request, prefix.Groups[1].Value))
            {
                return CameraNotAllowed(prefix.Groups[1].Value);
            }

            parameters["filename"] = ToLocalFileName(name, prefix.Groups[1].Value, target.Local);
            return await ForwardAsync(target.Node, request, parameters, cancellationToken).ConfigureAwait(false);
        }

        // A name that does not start with a gateway camera id (a snapshot named by its client): ask every node.
        RoutedRpcResponse? notFound = null;
        foreach (var node in gateway.Nodes.Up)
        {
            var response = await ForwardAsync(node, request, (JsonObject)parameters.DeepClone(), cancellationToken).ConfigureAwait(false);
            if (response.ErrorCode != RpcReplies.NotFound && response.ErrorCode != RpcReplies.DependencyFailed)
            {
                return response;
            }

            notFound ??= response;
        }

        return notFound ?? Error(RpcReplies.NotFound, new JsonObject { ["resource"] = request.Method.Contains("recording", StringComparison.Ordinal) ? "recording" : "snapshot", ["id"] = name });
    }

    /// <summary>One call on one node, its answer in gateway ids (cameras it names are learnt first).</summary>
    private async Task<RoutedRpcResponse> ForwardAsync(FleetNodeState node, RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var answer = await gateway.Client.CallAsync(node.Id, request.Method, parameters, request, cancellationToken).ConfigureAwait(false);
        if (answer.IsError)
        {
            gateway.Rewriter.Rewrite(node, answer.ErrorData);
            return Error(answer);
        }

        await gateway.Rewriter.LearnAsync(node, answer.Result, cancellationToken).ConfigureAwait(false);
        gateway.Rewriter.Rewrite(node, answer.Result);
        return Result(answer.Result);
    }

    private static string ToLocalFileName(string name, string gatewayId, string local) =>
        name.StartsWith(gatewayId + "_", StringComparison.Ordinal) ? local + name[gatewayId.Length..] : name;
}

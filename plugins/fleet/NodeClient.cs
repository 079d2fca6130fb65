using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;
using NATS.Client.Core;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway's requests to nodes: one JSON-RPC request on <c>fleet.rpc.&lt;node&gt;</c>, signed with the fleet
/// credential for the calling client's user and role, answered within <c>Fleet:RequestTimeout</c>. Every way it can
/// fail becomes the contract's -32050 naming the node, and every request is measured by node and outcome.
/// </summary>
internal sealed class NodeClient(NatsConnection nats, string gatewayId, FleetOptions options, FleetSigner signer, FleetMetrics metrics)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>Sends one JSON-RPC request to a node, signed with the fleet credential, and returns its answer.</summary>
    public async Task<NodeAnswer> CallAsync(string nodeId, string method, JsonObject parameters, RoutedRpcCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = parameters };
        var body = Encoding.UTF8.GetBytes(request.ToJsonString(Compact));
        var headers = new NatsHeaders();
        foreach (var (key, value) in signer.Sign(nodeId, gatewayId, call.UserId, FleetRoles.Name(call.Role), body))
        {
            headers[key] = value;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = await nats.RequestAsync<byte[], byte[]>(
                FleetSubjects.Rpc(nodeId),
                body,
                headers,
                replyOpts: new NatsSubOpts { Timeout = options.RequestTimeoutValue },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (reply.Data is not { } data || JsonNode.Parse(data) is not JsonObject answer)
            {
                metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "bad_reply");
                return NodeAnswer.Unreachable(nodeId, "the node sent no valid answer");
            }

            if (answer["error"] is JsonObject error)
            {
                metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "error");
                return new NodeAnswer(null, error["code"]?.GetValue<int>() ?? RpcReplies.DependencyFailed, error["data"] as JsonObject);
            }

            metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "ok");
            return new NodeAnswer(answer["result"], 0, null);
        }
        catch (NatsNoRespondersException)
        {
            metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "no_responders");
            return NodeAnswer.Unreachable(nodeId, "the node is not connected to NATS");
        }
        catch (NatsNoReplyException)
        {
            metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "timeout");
            return NodeAnswer.Unreachable(nodeId, "the node did not answer within Fleet:RequestTimeout");
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "nats_error");
            return NodeAnswer.Unreachable(nodeId, $"NATS is unavailable: {ex.Message}");
        }
    }
}

/// <summary>The role names of the signed <c>Fleet-Role</c> header: the gateway writes them, the node reads them.</summary>
internal static class FleetRoles
{
    public static string Name(ApiRole role) => role switch
    {
        ApiRole.Admin => "admin",
        ApiRole.Operator => "operator",
        _ => "viewer",
    };

    /// <summary>The role a header names, or null for a name that is none of them.</summary>
    public static ApiRole? Parse(string? role) => role switch
    {
        "viewer" => ApiRole.Viewer,
        "operator" => ApiRole.Operator,
        "admin" => ApiRole.Admin,
        _ => null,
    };
}

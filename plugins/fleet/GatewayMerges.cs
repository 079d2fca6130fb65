using System.Globalization;
using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;
using static CameraService.Plugins.Fleet.GatewayReplies;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway's answers that combine every node (docs/fleet.md, "What the gateway answers"): the camera list, the
/// streams, storage, retention and cleanup, and the gateway's own server info, status and system status with the
/// nodes added. A lost node's cameras stay listed as DISCONNECTED; a lost node degrades the fleet, not the gateway.
/// </summary>
internal sealed class GatewayMerges(FleetGateway gateway)
{
    /// <summary><c>get_camera_list</c>: every node's cameras in gateway ids, ordered by number.</summary>
    public async Task<RoutedRpcResponse> CameraListAsync(RoutedRpcCall request, CancellationToken cancellationToken)
    {
        var nodes = gateway.Nodes.All.ToList();
        var answers = await Task.WhenAll(nodes.Select(async node =>
        {
            if (node.Up == false)
            {
                return (node, (NodeAnswer?)null);
            }

            var answer = await gateway.Client.CallAsync(node.Id, "get_camera_list", [], request, cancellationToken).ConfigureAwait(false);
            return (node, answer.IsError ? null : answer);
        })).ConfigureAwait(false);

        var cameras = new List<JsonObject>();
        foreach (var (node, answer) in answers)
        {
            List<JsonObject> list;
            if (answer?.Result?["cameras"] is JsonArray live)
            {
                await gateway.Rewriter.LearnAsync(node, live, cancellationToken).ConfigureAwait(false);
                list = [.. live.OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone())];
            }
            else
            {
                // A lost node's cameras stay listed (as a standalone service lists an unplugged camera), DISCONNECTED.
                list = node.CopyCameras();
                foreach (var camera in list)
                {
                    camera["status"] = "DISCONNECTED";
                }
            }

            foreach (var camera in list)
            {
                gateway.Rewriter.Rewrite(node, camera);
                camera["node"] = node.Id;
                if (camera["device"]?.GetValue<string>() is { } id && Allowed(request, id) && id.StartsWith("camera", StringComparison.Ordinal))
                {
                    cameras.Add(camera);
                }
            }
        }

        cameras.Sort((a, b) => CameraNumber(a).CompareTo(CameraNumber(b)));
        return Result(new JsonObject
        {
            ["cameras"] = new JsonArray([.. cameras]),
            ["total"] = cameras.Count,
            ["connected"] = cameras.Count(c => c["status"]?.GetValue<string>() == "CONNECTED"),
        });
    }

    /// <summary><c>get_streams</c>: every node's streams, each with its node.</summary>
    public async Task<RoutedRpcResponse> StreamsAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var all = new JsonArray();
        foreach (var (node, answer) in await AskAllAsync(request, parameters, cancellationToken).ConfigureAwait(false))
        {
            if (!answer.IsError && answer.Result is JsonArray items)
            {
                foreach (var item in items.ToList())
                {
                    var copy = item!.DeepClone();
                    gateway.Rewriter.Rewrite(node, copy);
                    if (copy is JsonObject o)
                    {
                        // A camera-scoped caller sees only its cameras' streams (named by the camera id).
                        if (o["name"]?.GetValue<string>() is { } name && !Allowed(request, name))
                        {
                            continue;
                        }

                        o["node"] = node.Id;
                    }

                    all.Add(copy);
                }
            }
        }

        return Result(all);
    }

    /// <summary><c>get_server_info</c> and <c>get_status</c>: the gateway's own answer with <c>nodes</c> and <c>role</c>.</summary>
    public async Task<RoutedRpcResponse> LocalWithNodesAsync(RoutedRpcCall request, CancellationToken cancellationToken)
    {
        var local = await request.InvokeLocally(cancellationToken).ConfigureAwait(false);
        if (local.IsError || JsonNode.Parse(local.Result.Span) is not JsonObject result)
        {
            return local;
        }

        var nodes = NodeList();
        result["nodes"] = nodes;
        result["role"] = "gateway";
        if (request.Method == "get_status" && nodes.OfType<JsonObject>().Any(n => n["status"]?.GetValue<string>() != "UP"))
        {
            // A lost box degrades the fleet, not the gateway process: the gateway still serves every other node.
            if (result["status"]?.GetValue<string>() == "HEALTHY")
            {
                result["status"] = "DEGRADED";
            }

            if (result["components"] is JsonObject components)
            {
                components["fleet"] = "DEGRADED";
            }
        }
        else if (request.Method == "get_status" && result["components"] is JsonObject components)
        {
            components["fleet"] = "RUNNING";
        }

        return Result(result);
    }

    /// <summary><c>get_system_status</c>: ready when every node answers; the connected cameras of the answering nodes.</summary>
    public RoutedRpcResponse SystemStatus(RoutedRpcCall request)
    {
        var nodes = gateway.Nodes.All.ToList();
        var available = new JsonArray();
        foreach (var node in nodes.Where(n => n.Up == true))
        {
            List<string> stableIds;
            lock (node.Gate)
            {
                stableIds = [.. node.Cameras.Values.Where(c => c["status"]?.GetValue<string>() == "CONNECTED").Select(c => c["stable_id"]?.GetValue<string>() ?? string.Empty)];
            }

            foreach (var stable in stableIds)
            {
                if (gateway.Ids.TryGetId(node.Id, stable, out var id) && Allowed(request, id))
                {
                    available.Add(id);
                }
            }
        }

        var up = nodes.Count(n => n.Up == true);
        var status = nodes.Count == 0 ? "starting" : up == nodes.Count ? "ready" : "partial";
        return Result(new JsonObject
        {
            ["status"] = status,
            ["message"] = $"{up} of {nodes.Count} fleet nodes answering",
            ["available_cameras"] = available,
            ["discovery_active"] = false,
            ["nodes"] = NodeList(),
        });
    }

    /// <summary><c>get_storage_info</c>: the sizes summed over the answering nodes, with each node's own answer.</summary>
    public async Task<RoutedRpcResponse> StorageAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var answers = await AskAllAsync(request, parameters, cancellationToken).ConfigureAwait(false);
        if (Succeeded(answers) is not { } ok)
        {
            return answers.Count > 0 ? Error(answers[0].Answer) : NoNodes();
        }

        var result = new JsonObject();
        foreach (var field in new[] { "total_space", "used_space", "available_space", "recordings_size", "snapshots_size" })
        {
            result[field] = Sum(ok, field);
        }

        var total = result["total_space"]!.GetValue<long>();
        result["usage_percentage"] = total > 0 ? Math.Round(100.0 * result["used_space"]!.GetValue<long>() / total, 2) : 0;
        result["low_space_warning"] = ok.Any(a => a["low_space_warning"]?.GetValue<bool>() == true);
        result["warn_percent"] = ok[0]["warn_percent"]?.DeepClone();
        result["block_percent"] = ok[0]["block_percent"]?.DeepClone();
        result["nodes"] = PerNode(answers);
        return Result(result);
    }

    /// <summary><c>set_retention_policy</c> and <c>cleanup_old_files</c>: run on every answering node, counts summed.</summary>
    public async Task<RoutedRpcResponse> BroadcastAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var answers = await AskAllAsync(request, parameters, cancellationToken).ConfigureAwait(false);
        if (Succeeded(answers) is not { } ok)
        {
            return answers.Count > 0 ? Error(answers[0].Answer) : NoNodes();
        }

        var result = (JsonObject)ok[0].DeepClone();
        foreach (var field in new[] { "files_deleted", "space_freed" })
        {
            if (result.ContainsKey(field))
            {
                result[field] = Sum(ok, field);
            }
        }

        result["nodes"] = PerNode(answers);
        return Result(result);
    }

    private async Task<List<(FleetNodeState Node, NodeAnswer Answer)>> AskAllAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var nodes = gateway.Nodes.Up.ToList();
        var answers = await Task.WhenAll(nodes.Select(n => gateway.Client.CallAsync(n.Id, request.Method, (JsonObject)parameters.DeepClone(), request, cancellationToken))).ConfigureAwait(false);
        return [.. nodes.Zip(answers)];
    }

    /// <summary>The object results of the nodes that answered without error; null when none did.</summary>
    private static List<JsonObject>? Succeeded(List<(FleetNodeState Node, NodeAnswer Answer)> answers)
    {
        var ok = answers.Where(a => !a.Answer.IsError).Select(a => a.Answer.Result).OfType<JsonObject>().ToList();
        return ok.Count == 0 ? null : ok;
    }

    private static long Sum(List<JsonObject> results, string field) => results.Sum(r => r[field]?.GetValue<long>() ?? 0);

    private static JsonObject PerNode(List<(FleetNodeState Node, NodeAnswer Answer)> answers)
    {
        var nodes = new JsonObject();
        foreach (var (node, answer) in answers)
        {
            nodes[node.Id] = answer.IsError
                ? new JsonObject { ["error"] = new JsonObject { ["code"] = answer.ErrorCode, ["data"] = answer.ErrorData?.DeepClone() } }
                : answer.Result?.DeepClone();
        }

        return nodes;
    }

    private JsonArray NodeList()
    {
        var nodes = new JsonArray();
        foreach (var node in gateway.Nodes.All)
        {
            lock (node.Gate)
            {
                nodes.Add(new JsonObject
                {
                    ["id"] = node.Id,
                    ["status"] = node.Up == true ? "UP" : node.Up == false ? "DOWN" : "UNKNOWN",
                    ["version"] = node.Version,
                    ["base_url"] = node.BaseUrl,
                    ["cameras"] = node.Cameras.Count,
                    ["last_seen"] = node.LastSeenAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                });
            }
        }

        return nodes;
    }

    private static long CameraNumber(JsonObject camera) =>
        camera["device"]?.GetValue<string>() is { } id && long.TryParse(id.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;
}

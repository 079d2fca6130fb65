using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway's answers to the API (docs/fleet.md, "What the gateway answers"): calls on a camera go to its
/// node; lists are merged across nodes; a few methods stay local to the gateway's own session state.
/// </summary>
internal sealed class GatewayRouter(FleetGateway gateway) : IRpcCallRouter
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public async ValueTask<RoutedRpcResponse?> RouteAsync(RoutedRpcCall request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = JsonNode.Parse(request.Params.Span) as JsonObject ?? [];
        switch (request.Method)
        {
            // The session's own state and the gateway's own process: answered by the gateway's core.
            case "ping" or "authenticate" or "rpc.discover" or "subscribe_events" or "unsubscribe_events" or "get_subscription_stats" or "get_metrics":
                return null;
            case "get_camera_list":
                return await CameraListAsync(request, cancellationToken).ConfigureAwait(false);
            case "list_recordings" or "list_snapshots":
                return await ListFilesAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "get_recording_info" or "get_snapshot_info" or "delete_recording" or "delete_snapshot":
                return await ByFileNameAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "get_streams":
                return await ConcatenateAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "get_server_info" or "get_status":
                return await LocalWithNodesAsync(request, cancellationToken).ConfigureAwait(false);
            case "get_system_status":
                return SystemStatus(request);
            case "get_storage_info":
                return await StorageAsync(request, parameters, cancellationToken).ConfigureAwait(false);
            case "set_retention_policy" or "cleanup_old_files":
                return await BroadcastAsync(request, parameters, cancellationToken).ConfigureAwait(false);
        }

        if (parameters["device"]?.GetValue<string>() is { } device)
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
            return Error(RpcReplies.PermissionDenied, new JsonObject { ["reason"] = "camera_not_allowed", ["device"] = device });
        }

        if (Resolve(device) is not { } target)
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

    private async Task<RoutedRpcResponse> ForwardAsync(FleetNodeState node, RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var answer = await gateway.CallAsync(node.Id, request.Method, parameters, request, cancellationToken).ConfigureAwait(false);
        if (answer.IsError)
        {
            gateway.Rewrite(node, answer.ErrorData);
            return Error(answer.ErrorCode, answer.ErrorData);
        }

        await gateway.LearnAsync(node, answer.Result, cancellationToken).ConfigureAwait(false);
        gateway.Rewrite(node, answer.Result);
        return Result(answer.Result);
    }

    private async Task<RoutedRpcResponse> CameraListAsync(RoutedRpcCall request, CancellationToken cancellationToken)
    {
        var nodes = gateway.Nodes.ToList();
        var answers = await Task.WhenAll(nodes.Select(async node =>
        {
            if (node.Up == false)
            {
                return (node, (NodeAnswer?)null);
            }

            var answer = await gateway.CallAsync(node.Id, "get_camera_list", [], request, cancellationToken).ConfigureAwait(false);
            return (node, answer.IsError ? null : answer);
        })).ConfigureAwait(false);

        var cameras = new List<JsonObject>();
        foreach (var (node, answer) in answers)
        {
            List<JsonObject> list;
            if (answer?.Result?["cameras"] is JsonArray live)
            {
                await gateway.LearnAsync(node, live, cancellationToken).ConfigureAwait(false);
                list = [.. live.OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone())];
            }
            else
            {
                // A lost node's cameras stay listed (as a standalone service lists an unplugged camera), DISCONNECTED.
                lock (node.Gate)
                {
                    list = [.. node.Cameras.Values.Select(c => (JsonObject)c.DeepClone())];
                }

                foreach (var camera in list)
                {
                    camera["status"] = "DISCONNECTED";
                }
            }

            foreach (var camera in list)
            {
                gateway.Rewrite(node, camera);
                camera["node"] = node.Id;
                if (camera["device"]?.GetValue<string>() is { } id && Allowed(request, id) && GatewayIdPattern(id))
                {
                    cameras.Add(camera);
                }
            }
        }

        cameras.Sort((a, b) => CameraNumber(a).CompareTo(CameraNumber(b)));
        var array = new JsonArray([.. cameras]);
        var result = new JsonObject
        {
            ["cameras"] = array,
            ["total"] = cameras.Count,
            ["connected"] = cameras.Count(c => c["status"]?.GetValue<string>() == "CONNECTED"),
        };
        return Result(result);
    }

    private async Task<RoutedRpcResponse> ListFilesAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        if (parameters["device"]?.GetValue<string>() is { } device)
        {
            return await ByDeviceAsync(request, parameters, device, cancellationToken).ConfigureAwait(false);
        }

        var limit = parameters["limit"]?.GetValue<long>() ?? 50;
        var offset = parameters["offset"]?.GetValue<long>() ?? 0;
        FileKey? cursor = null;
        if (parameters["cursor"]?.GetValue<string>() is { } cursorText)
        {
            cursor = FileKey.Parse(cursorText);
            if (cursor is null || offset != 0)
            {
                return Error(-32602, new JsonObject { ["param"] = cursor is null ? "cursor" : "offset", ["rule"] = cursor is null ? "must be a next_cursor returned by this method" : "use either offset or cursor" });
            }
        }

        var need = cursor is null ? offset + limit : limit;

        // A camera-scoped caller: each of its cameras is read on its node (device = the node's id), so the total counts
        // only its files and other cameras' files neither leak through the total nor crowd its files out of a page.
        var reads = new List<Task<(FleetNodeState Node, List<JsonObject> Files, long Total, bool Failed)>>();
        if (request.Cameras is { } scope)
        {
            foreach (var camera in scope)
            {
                if (Resolve(camera) is { Node.Up: true } target)
                {
                    reads.Add(ReadNewestAsync(target.Node, request, need, cursor, target.Local, cancellationToken));
                }
            }
        }
        else
        {
            reads.AddRange(gateway.Nodes.Where(n => n.Up == true).Select(node => ReadNewestAsync(node, request, need, cursor, null, cancellationToken)));
        }

        var pages = await Task.WhenAll(reads).ConfigureAwait(false);

        var files = new List<JsonObject>();
        long total = 0;
        var unavailable = new JsonArray();
        foreach (var (node, list, count, failed) in pages)
        {
            if (failed)
            {
                if (!unavailable.Any(n => n?.GetValue<string>() == node.Id))
                {
                    unavailable.Add(node.Id);
                }

                continue;
            }

            total += count;
            files.AddRange(list.Where(f => f["device"]?.GetValue<string>() is not { } id || Allowed(request, id)));
        }

        // Newest first across nodes; ties broken by node and name so pages never overlap or skip.
        files.Sort((a, b) => FileKey.Of(a).CompareTo(FileKey.Of(b)));
        var page = files.Skip(cursor is null ? (int)Math.Min(offset, int.MaxValue) : 0).Take((int)limit).ToList();
        var result = new JsonObject
        {
            ["files"] = new JsonArray([.. page]),
            ["total"] = total,
            ["limit"] = limit,
            ["offset"] = offset,
        };
        if (page.Count == limit)
        {
            result["next_cursor"] = FileKey.Of(page[^1]).ToCursor();
        }

        if (unavailable.Count > 0)
        {
            result["unavailable_nodes"] = unavailable;
        }

        return Result(result);
    }

    /// <summary>
    /// The newest <paramref name="need"/> files of one node (after <paramref name="cursor"/> when given), in gateway
    /// ids, read in pages of at most 1000 (the contract's limit) from the node's newest file on, so files written
    /// meanwhile never shift a page. With <paramref name="localDevice"/>, only that camera's files (and total).
    /// </summary>
    private async Task<(FleetNodeState Node, List<JsonObject> Files, long Total, bool Failed)> ReadNewestAsync(FleetNodeState node, RoutedRpcCall request, long need, FileKey? cursor, string? localDevice, CancellationToken cancellationToken)
    {
        var files = new List<JsonObject>();
        long total = 0;
        var offset = 0L;
        while (files.Count < need)
        {
            var take = Math.Min(1000, Math.Max(need - files.Count, cursor is null ? 1 : 100));
            var query = new JsonObject { ["limit"] = take, ["offset"] = offset };
            if (localDevice is not null)
            {
                query["device"] = localDevice;
            }

            var answer = await gateway.CallAsync(node.Id, request.Method, query, request, cancellationToken).ConfigureAwait(false);
            if (answer.IsError || answer.Result is not JsonObject result)
            {
                return (node, files, 0, true);
            }

            total = result["total"]?.GetValue<long>() ?? 0;
            var got = (result["files"] as JsonArray ?? []).OfType<JsonObject>().Select(f => (JsonObject)f.DeepClone()).ToList();
            offset += got.Count;
            foreach (var file in got)
            {
                gateway.Rewrite(node, file);
                file["node"] = node.Id;
                if (cursor is null || FileKey.Of(file).CompareTo(cursor.Value) > 0)
                {
                    files.Add(file);
                }
            }

            if (got.Count < take)
            {
                break;
            }
        }

        return (node, files, total, false);
    }

    /// <summary>A file's place in the merged order (newest first, then node, then name) and the cursor naming it.</summary>
    private readonly record struct FileKey(string Modified, string Node, string Name) : IComparable<FileKey>
    {
        public static FileKey Of(JsonObject file) =>
            new(file["modified_time"]?.GetValue<string>() ?? string.Empty, file["node"]?.GetValue<string>() ?? string.Empty, file["filename"]?.GetValue<string>() ?? string.Empty);

        public int CompareTo(FileKey other)
        {
            var byTime = string.CompareOrdinal(other.Modified, Modified);
            if (byTime != 0)
            {
                return byTime;
            }

            var byNode = string.CompareOrdinal(Node, other.Node);
            return byNode != 0 ? byNode : string.CompareOrdinal(Name, other.Name);
        }

        public string ToCursor() =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"fleet|{Modified}|{Node}|{Name}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static FileKey? Parse(string cursor)
        {
            try
            {
                var padded = cursor.Replace('-', '+').Replace('_', '/');
                padded += new string('=', (4 - (padded.Length % 4)) % 4);
                var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|', 4);
                return parts is ["fleet", var modified, var node, var name] ? new FileKey(modified, node, name) : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }

    private async Task<RoutedRpcResponse> ByFileNameAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var name = parameters["filename"]?.GetValue<string>() ?? string.Empty;
        var prefix = FleetGateway.FilePrefix().Match(name);
        if (prefix.Success && Resolve(prefix.Groups[1].Value) is { } target)
        {
            if (!Allowed(request, prefix.Groups[1].Value))
            {
                return Error(RpcReplies.PermissionDenied, new JsonObject { ["reason"] = "camera_not_allowed", ["device"] = prefix.Groups[1].Value });
            }

            parameters["filename"] = ToLocalFileName(name, prefix.Groups[1].Value, target.Local);
            return await ForwardAsync(target.Node, request, parameters, cancellationToken).ConfigureAwait(false);
        }

        // A name that does not start with a gateway camera id (a snapshot named by its client): ask every node.
        RoutedRpcResponse? notFound = null;
        foreach (var node in gateway.Nodes.Where(n => n.Up == true))
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

    private async Task<RoutedRpcResponse> ConcatenateAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var all = new JsonArray();
        foreach (var (node, answer) in await AskAllAsync(request, parameters, cancellationToken).ConfigureAwait(false))
        {
            if (!answer.IsError && answer.Result is JsonArray items)
            {
                foreach (var item in items.ToList())
                {
                    var copy = item!.DeepClone();
                    gateway.Rewrite(node, copy);
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

    private async Task<RoutedRpcResponse> LocalWithNodesAsync(RoutedRpcCall request, CancellationToken cancellationToken)
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

    private JsonArray NodeList()
    {
        var nodes = new JsonArray();
        foreach (var node in gateway.Nodes)
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

    private RoutedRpcResponse SystemStatus(RoutedRpcCall request)
    {
        var nodes = gateway.Nodes.ToList();
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

    private async Task<RoutedRpcResponse> StorageAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var answers = await AskAllAsync(request, parameters, cancellationToken).ConfigureAwait(false);
        var ok = answers.Where(a => !a.Answer.IsError && a.Answer.Result is JsonObject).ToList();
        if (ok.Count == 0)
        {
            return answers.Count > 0 ? Error(answers[0].Answer.ErrorCode, answers[0].Answer.ErrorData) : NoNodes();
        }

        var result = new JsonObject();
        foreach (var field in new[] { "total_space", "used_space", "available_space", "recordings_size", "snapshots_size" })
        {
            result[field] = ok.Sum(a => a.Answer.Result![field]?.GetValue<long>() ?? 0);
        }

        var total = result["total_space"]!.GetValue<long>();
        result["usage_percentage"] = total > 0 ? Math.Round(100.0 * result["used_space"]!.GetValue<long>() / total, 2) : 0;
        result["low_space_warning"] = ok.Any(a => a.Answer.Result!["low_space_warning"]?.GetValue<bool>() == true);
        result["warn_percent"] = ok[0].Answer.Result!["warn_percent"]?.DeepClone();
        result["block_percent"] = ok[0].Answer.Result!["block_percent"]?.DeepClone();
        result["nodes"] = PerNode(answers);
        return Result(result);
    }

    private async Task<RoutedRpcResponse> BroadcastAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var answers = await AskAllAsync(request, parameters, cancellationToken).ConfigureAwait(false);
        var ok = answers.Where(a => !a.Answer.IsError && a.Answer.Result is JsonObject).ToList();
        if (ok.Count == 0)
        {
            return answers.Count > 0 ? Error(answers[0].Answer.ErrorCode, answers[0].Answer.ErrorData) : NoNodes();
        }

        var result = (JsonObject)ok[0].Answer.Result!.DeepClone();
        foreach (var field in new[] { "files_deleted", "space_freed" })
        {
            if (result.ContainsKey(field))
            {
                result[field] = ok.Sum(a => a.Answer.Result![field]?.GetValue<long>() ?? 0);
            }
        }

        result["nodes"] = PerNode(answers);
        return Result(result);
    }

    private async Task<List<(FleetNodeState Node, NodeAnswer Answer)>> AskAllAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
        var nodes = gateway.Nodes.Where(n => n.Up == true).ToList();
        var answers = await Task.WhenAll(nodes.Select(n => gateway.CallAsync(n.Id, request.Method, (JsonObject)parameters.DeepClone(), request, cancellationToken))).ConfigureAwait(false);
        return [.. nodes.Zip(answers)];
    }

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

    private static RoutedRpcResponse NoNodes() =>
        Error(RpcReplies.DependencyFailed, new JsonObject { ["dependency"] = "fleet nodes", ["detail"] = "no fleet node is answering" });

    private (FleetNodeState Node, string Local)? Resolve(string device)
    {
        if (!gateway.Ids.TryResolve(device, out var nodeId, out var stable) || !gateway.TryGetNode(nodeId, out var node))
        {
            return null;
        }

        return FleetGateway.LocalId(node, stable) is { } local ? (node, local) : null;
    }

    private static string ToLocalFileName(string name, string gatewayId, string local) =>
        name.StartsWith(gatewayId + "_", StringComparison.Ordinal) ? local + name[gatewayId.Length..] : name;

    private static bool Allowed(RoutedRpcCall request, string device) =>
        request.Cameras is null || request.Cameras.Contains(device, StringComparer.Ordinal);

    private static bool GatewayIdPattern(string id) => id.StartsWith("camera", StringComparison.Ordinal);

    private static long CameraNumber(JsonObject camera) =>
        camera["device"]?.GetValue<string>() is { } id && long.TryParse(id.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;

    private static RoutedRpcResponse Result(JsonNode? result) =>
        RoutedRpcResponse.FromResult(Encoding.UTF8.GetBytes(result?.ToJsonString(Compact) ?? "null"));

    private static RoutedRpcResponse Error(int code, JsonObject? data) =>
        RoutedRpcResponse.FromError(code == 0 ? RpcReplies.DependencyFailed : code, data is null ? default : Encoding.UTF8.GetBytes(data.ToJsonString(Compact)));
}

using System.Text;
using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;
using static CameraService.Plugins.Fleet.GatewayReplies;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// <c>list_recordings</c> and <c>list_snapshots</c> without a device: the files of every node that answers, merged
/// newest first (ties by node, then name), paged by offset or by a cursor that names the last file of a page, with
/// the nodes that did not answer in <c>unavailable_nodes</c> (docs/fleet.md, "What the gateway answers").
/// </summary>
internal sealed class GatewayFileLists(FleetGateway gateway)
{
    public async Task<RoutedRpcResponse> ListAsync(RoutedRpcCall request, JsonObject parameters, CancellationToken cancellationToken)
    {
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
        var reads = new List<Task<NodeFiles>>();
        if (request.Cameras is { } scope)
        {
            foreach (var camera in scope)
            {
                if (gateway.Nodes.Resolve(camera) is { Node.Up: true } target)
                {
                    reads.Add(ReadNewestAsync(target.Node, request, need, cursor, target.Local, cancellationToken));
                }
            }
        }
        else
        {
            reads.AddRange(gateway.Nodes.Up.Select(node => ReadNewestAsync(node, request, need, cursor, null, cancellationToken)));
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
    private async Task<NodeFiles> ReadNewestAsync(FleetNodeState node, RoutedRpcCall request, long need, FileKey? cursor, string? localDevice, CancellationToken cancellationToken)
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

            var answer = await gateway.Client.CallAsync(node.Id, request.Method, query, request, cancellationToken).ConfigureAwait(false);
            if (answer.IsError || answer.Result is not JsonObject result)
            {
                return new NodeFiles(node, files, 0, Failed: true);
            }

            total = result["total"]?.GetValue<long>() ?? 0;
            var got = (result["files"] as JsonArray ?? []).OfType<JsonObject>().Select(f => (JsonObject)f.DeepClone()).ToList();
            offset += got.Count;
            foreach (var file in got)
            {
                gateway.Rewriter.Rewrite(node, file);
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

        return new NodeFiles(node, files, total, Failed: false);
    }

    /// <summary>What one node contributed: its newest files (gateway ids), its total, or that it did not answer.</summary>
    private sealed record NodeFiles(FleetNodeState Node, List<JsonObject> Files, long Total, bool Failed);

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
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Translates what a node says into the gateway's camera ids (docs/fleet.md, "Camera ids"): every string equal to a
/// node-local camera id becomes its <c>camera&lt;N&gt;</c>, file names starting with <c>&lt;local id&gt;_</c> get the
/// gateway id as prefix (so a file name tells the gateway which node holds it), and camera objects get <c>node</c>.
/// URLs are left alone: they point at the node that holds the file or stream.
/// </summary>
internal sealed partial class IdRewriter(CameraIds ids)
{
    /// <summary>Rewrites <paramref name="answer"/> (a node's answer, notification or camera object) in place.</summary>
    public void Rewrite(FleetNodeState node, JsonNode? answer)
    {
        Dictionary<string, string> map;
        lock (node.Gate)
        {
            map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (local, camera) in node.Cameras)
            {
                if (camera["stable_id"]?.GetValue<string>() is { } stable && ids.TryGetId(node.Id, stable, out var id))
                {
                    map[local] = id;
                }
            }
        }

        RewriteNode(answer, map, node.Id, null);
    }

    /// <summary>Learns every camera object (device + stable id) in a node's answer, so <see cref="Rewrite"/> can map it.</summary>
    public async Task LearnAsync(FleetNodeState node, JsonNode? answer, CancellationToken cancellationToken)
    {
        foreach (var camera in CameraObjects(answer))
        {
            if (await ids.BindAsync(node.Id, camera, cancellationToken).ConfigureAwait(false) is { } local)
            {
                lock (node.Gate)
                {
                    node.Cameras.TryAdd(local, (JsonObject)camera.DeepClone());
                }
            }
        }
    }

    /// <summary>A file name in node-local ids → in gateway ids (<c>camera0_…</c> of the node → <c>camera7_…</c>).</summary>
    private static string MapFileName(string fileName, Dictionary<string, string> map)
    {
        var match = FilePrefix().Match(fileName);
        return match.Success && map.TryGetValue(match.Groups[1].Value, out var id) ? id + fileName[match.Groups[1].Length..] : fileName;
    }

    /// <summary>The camera id a file name starts with (<c>camera&lt;N&gt;_…</c>).</summary>
    [GeneratedRegex("^(camera[0-9]+)_", RegexOptions.CultureInvariant)]
    public static partial Regex FilePrefix();

    private static bool IsCameraObject(JsonObject o) => o.ContainsKey("device") && o.ContainsKey("stable_id");

    private static IEnumerable<JsonObject> CameraObjects(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (IsCameraObject(o))
                {
                    yield return o;
                }

                foreach (var (_, child) in o.ToList())
                {
                    foreach (var c in CameraObjects(child))
                    {
                        yield return c;
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a.ToList())
                {
                    foreach (var c in CameraObjects(child))
                    {
                        yield return c;
                    }
                }

                break;
        }
    }

    private static void RewriteNode(JsonNode? value, Dictionary<string, string> map, string nodeId, string? key)
    {
        switch (value)
        {
            case JsonObject o:
                if (IsCameraObject(o))
                {
                    o["node"] = nodeId;
                }

                foreach (var (name, child) in o.ToList())
                {
                    if (child is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        var mapped = Map(s, name, map);
                        if (mapped != s)
                        {
                            o[name] = mapped;
                        }
                    }
                    else
                    {
                        RewriteNode(child, map, nodeId, name);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        var mapped = Map(s, key, map);
                        if (mapped != s)
                        {
                            a[i] = mapped;
                        }
                    }
                    else
                    {
                        RewriteNode(a[i], map, nodeId, key);
                    }
                }

                break;
        }
    }

    /// <summary>A string under <paramref name="key"/>: a file name when the key names files, else maybe a camera id.</summary>
    private static string Map(string value, string? key, Dictionary<string, string> map) =>
        key is "filename" or "current_file" or "files" ? MapFileName(value, map) : map.GetValueOrDefault(value, value);
}

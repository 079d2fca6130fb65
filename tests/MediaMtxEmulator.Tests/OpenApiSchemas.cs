using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MediaMtxEmulator.Tests;

/// <summary>
/// The schemas of MediaMTX's api/openapi.yaml as JSON Schema (2020-12): OpenAPI 3.0 <c>nullable</c> becomes
/// <c>anyOf [.., null]</c> and <c>#/components/schemas/X</c> refs point into <c>$defs</c>.
/// </summary>
internal static class OpenApiSchemas
{
    private static readonly Lazy<JsonObject> Defs = new(Load);
    private static readonly ConcurrentDictionary<string, JsonSchema> Cache = new();

    public static IReadOnlyList<string> Validate(string schemaName, JsonNode? instance)
    {
        var schema = Cache.GetOrAdd(schemaName, name =>
        {
            var root = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = "https://mediamtx.local/" + name,
                ["$defs"] = Defs.Value.DeepClone(),
                ["$ref"] = "#/$defs/" + name,
            };
            return JsonSchema.FromText(root.ToJsonString());
        });
        using var doc = JsonDocument.Parse(instance?.ToJsonString() ?? "null");
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : (result.Details ?? []).Where(d => d.Errors != null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).ToList();
    }

    private static JsonObject Load()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(AppContext.BaseDirectory, "contracts", "mediamtx-openapi.yaml")))
        {
            yaml.Load(reader);
        }

        var root = (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
        var schemas = (JsonObject)root["components"]!["schemas"]!;
        return (JsonObject)Convert(schemas)!;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } p => Plain(p.Value!),
        YamlScalarNode q => JsonValue.Create(q.Value),
        _ => null,
    };

    private static JsonValue? Plain(string v)
    {
        if (v is "true" or "false")
        {
            return JsonValue.Create(v == "true");
        }

        if (v is "null" or "~")
        {
            return null;
        }

        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(v);
    }

    /// <summary>OpenAPI 3.0 → JSON Schema: nullable, refs; annotation-only keywords are left (ignored by evaluation).</summary>
    private static JsonNode? Convert(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
            {
                var copy = new JsonObject();
                var nullable = false;
                foreach (var (k, v) in o)
                {
                    if (k == "nullable")
                    {
                        nullable = v?.GetValue<bool>() == true;
                        continue;
                    }

                    if (k is "example" or "deprecated" or "x-go-name")
                    {
                        continue;
                    }

                    // The generated spec's oneOf branches overlap (H264 and H265 codecProps have the same shape), so a
                    // real server's answer would fail oneOf too: evaluate it as anyOf.
                    copy[k == "oneOf" ? "anyOf" : k] = k == "$ref" ? v!.GetValue<string>().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal) : Convert(v);
                }

                return nullable ? new JsonObject { ["anyOf"] = new JsonArray(copy, new JsonObject { ["type"] = "null" }) } : copy;
            }

            case JsonArray a:
                return new JsonArray(a.Select(Convert).ToArray());
            default:
                return node?.DeepClone();
        }
    }
}

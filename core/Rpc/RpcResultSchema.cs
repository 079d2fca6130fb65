using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CameraService.Core.Rpc;

/// <summary>
/// The JSON Schema of a method's result, generated from the result type's source-generated metadata by
/// <see cref="JsonSchemaExporter"/>, so the OpenRPC document says what the serializer writes. What a type alone cannot
/// say comes from standard attributes on the result record's properties:
/// <list type="bullet">
/// <item><c>[property: AllowedValues("RECORDING", "STOPPED")]</c> — the allowed values (<c>enum</c>; one value is a
/// constant such as <c>true</c>); on a list or map property they apply to its items.</item>
/// <item><c>[property: Description("seconds")]</c> — a description (also on the record type).</item>
/// <item><c>[property: DataType(DataType.DateTime)]</c> — an ISO 8601 timestamp (<c>format: date-time</c>).</item>
/// <item><c>[property: RegularExpression("^camera[0-9]+$")]</c> — a <c>pattern</c>.</item>
/// </list>
/// Nullability comes from the C# annotations (<c>string?</c> may be null, <c>string</c> may not). Every property the
/// serializer always writes is <c>required</c>; one it may leave out
/// (<c>[JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]</c>) is optional.
/// </summary>
internal static class RpcResultSchema
{
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> SchemaOptions = [];

    private static readonly JsonSchemaExporterOptions ExporterOptions = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = Transform,
    };

    /// <summary>The schema of <paramref name="result"/>'s type as its context serializes it.</summary>
    public static JsonObject Of(JsonTypeInfo result)
    {
        ArgumentNullException.ThrowIfNull(result);

        // A copy of the context's options that reads the nullable annotations: only the schema sees it, the wire
        // serialization keeps the context's own options. One copy per context.
        var options = SchemaOptions.GetValue(result.Options, o => new JsonSerializerOptions(o) { RespectNullableAnnotations = true });
        var node = options.GetTypeInfo(result.Type).GetJsonSchemaAsNode(ExporterOptions);

        // A type without constraints (JsonElement) exports as `true`; OpenRPC wants a schema object.
        if (node is not JsonObject schema)
        {
            return [];
        }

        // The exporter points a type's second use at its first ("#/properties/a/items"); inside the OpenRPC document
        // "#" is the document, not this schema, so every such reference is replaced by the schema it points at.
        return (JsonObject)Inline(schema, schema.DeepClone(), depth: 0);
    }

    private static JsonNode Inline(JsonNode node, JsonNode root, int depth)
    {
        if (depth > 64)
        {
            throw new InvalidOperationException("A result type refers to itself; the OpenRPC result schemas cannot describe recursive types.");
        }

        switch (node)
        {
            case JsonObject reference when reference["$ref"]?.GetValue<string>() is { } pointer && pointer.StartsWith("#/", StringComparison.Ordinal):
                var target = pointer[2..].Split('/').Aggregate((JsonNode?)root, (current, segment) => current?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)])
                    ?? throw new InvalidOperationException($"The generated result schema refers to '{pointer}', which it does not contain.");
                var inlinedTarget = Inline(target.DeepClone(), root, depth + 1);

                // Keywords beside the reference (e.g. a nullable "type") describe this use and win.
                if (inlinedTarget is JsonObject merged)
                {
                    foreach (var (name, value) in reference.Where(p => p.Key != "$ref").ToList())
                    {
                        merged[name] = value?.DeepClone();
                    }
                }

                return inlinedTarget;
            case JsonObject schema:
                foreach (var name in schema.Select(p => p.Key).ToList())
                {
                    if (schema[name] is { } child)
                    {
                        var inlined = Inline(child, root, depth);
                        if (!ReferenceEquals(inlined, child))
                        {
                            schema[name] = inlined;
                        }
                    }
                }

                return schema;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        var inlined = Inline(item, root, depth);
                        if (!ReferenceEquals(inlined, item))
                        {
                            array[i] = inlined;
                        }
                    }
                }

                return array;
            default:
                return node;
        }
    }

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode node)
    {
        if (node is not JsonObject schema)
        {
            return node;
        }

        // Defaults describe deserialization; a result is only ever written.
        schema.Remove("default");

        // An enum type (JsonStringEnumConverter) exports its values only.
        if (schema["enum"] is JsonArray values && !schema.ContainsKey("type") && values.All(v => v?.GetValueKind() == JsonValueKind.String))
        {
            schema.Insert(0, "type", "string");
        }

        if (context.TypeInfo.Kind == JsonTypeInfoKind.Object && schema["properties"] is JsonObject && context.TypeInfo.Properties.Count > 0)
        {
            var required = new JsonArray();
            foreach (var property in context.TypeInfo.Properties)
            {
                // ShouldSerialize is set exactly when the property may be left out (JsonIgnoreCondition.WhenWriting*).
                if (property.ShouldSerialize is null && property.Get is not null && !property.IsExtensionData)
                {
                    required.Add(property.Name);
                }
            }

            schema["required"] = required;
        }

        // A property's attributes, or for a type's own node (the result, a list item) the type's.
        ICustomAttributeProvider? attributes = context.PropertyInfo is null ? context.TypeInfo.Type : context.PropertyInfo.AttributeProvider;
        if (attributes is not null)
        {
            Annotate(schema, attributes);
        }

        return schema;
    }

    private static void Annotate(JsonObject schema, ICustomAttributeProvider attributes)
    {
        // A property left out when null is never null on the wire.
        if (Attribute<JsonIgnoreAttribute>(attributes) is { Condition: JsonIgnoreCondition.WhenWritingNull } && schema["type"] is JsonArray types)
        {
            var kept = types.Where(t => t?.GetValue<string>() != "null").Select(t => t!.GetValue<string>()).ToList();
            schema["type"] = kept.Count == 1 ? kept[0] : new JsonArray([.. kept.Select(t => (JsonNode)t)]);
        }

        if (Attribute<DescriptionAttribute>(attributes) is { } description)
        {
            schema["description"] = description.Description;
        }

        var leaf = Leaf(schema);
        if (Attribute<AllowedValuesAttribute>(attributes) is { } allowed)
        {
            var values = new JsonArray();
            foreach (var value in allowed.Values)
            {
                values.Add(JsonValue.Create(value));
            }

            if (AllowsNull(leaf))
            {
                values.Add(null);
            }

            leaf["enum"] = values;
        }

        if (Attribute<DataTypeAttribute>(attributes) is { DataType: DataType.DateTime })
        {
            leaf["format"] = "date-time";
        }

        if (Attribute<RegularExpressionAttribute>(attributes) is { } pattern)
        {
            leaf["pattern"] = pattern.Pattern;
        }
    }

    /// <summary>The schema of the values: the items of a list, the values of a map, else the schema itself.</summary>
    private static JsonObject Leaf(JsonObject schema)
    {
        while ((schema["items"] ?? schema["additionalProperties"]) is JsonObject inner)
        {
            schema = inner;
        }

        return schema;
    }

    private static bool AllowsNull(JsonObject schema) =>
        schema["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() == "null");

    private static T? Attribute<T>(ICustomAttributeProvider provider)
        where T : Attribute =>
        provider.GetCustomAttributes(typeof(T), inherit: true) is [T attribute, ..] ? attribute : null;
}

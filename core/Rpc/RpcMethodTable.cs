using System.Collections.Frozen;
using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Core.Hosting;

namespace CameraService.Core.Rpc;

/// <summary>
/// The method table: every method of every <see cref="IRpcMethodProvider"/> plus <c>rpc.discover</c>. It is
/// the single source of validation, role checks and the OpenRPC document.
/// </summary>
internal sealed class RpcMethodTable
{
    public const string DiscoverMethod = "rpc.discover";

    private readonly FrozenDictionary<string, RpcMethod> _methods;
    private readonly Lazy<byte[]> _openRpc;

    public RpcMethodTable(IEnumerable<IRpcMethodProvider> providers, ServiceInfo info)
    {
        ArgumentNullException.ThrowIfNull(providers);
        ArgumentNullException.ThrowIfNull(info);
        var all = new Dictionary<string, RpcMethod>(StringComparer.Ordinal);
        var discover = new RpcMethod(
            DiscoverMethod,
            RpcRole.None,
            "The OpenRPC document of this API, generated from the method table.",
            [],
            CoreJsonContext.Default.OpenRpcDocument,
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.Raw(OpenRpcDocument)));
        all.Add(discover.Name, discover);
        foreach (var method in providers.SelectMany(p => p.GetMethods()))
        {
            Validate(method);
            if (!all.TryAdd(method.Name, method))
            {
                throw new InvalidOperationException($"The RPC method '{method.Name}' is registered twice; each method name must be unique.");
            }
        }

        _methods = all.ToFrozenDictionary(StringComparer.Ordinal);
        Methods = [.. all.Values.OrderBy(m => m.Name, StringComparer.Ordinal)];

        // Generated once here, not per call; a result type the exporter cannot describe fails the start.
        ResultSchemas = Methods.ToFrozenDictionary(m => m.Name, m => RpcResultSchema.Of(m.Result), StringComparer.Ordinal);
        _openRpc = new Lazy<byte[]>(() => BuildOpenRpc(Methods, ResultSchemas, info));
    }

    /// <summary>Every method, ordered by name.</summary>
    public IReadOnlyList<RpcMethod> Methods { get; }

    /// <summary>The JSON Schema of each method's result by method name, generated from its result type.</summary>
    public FrozenDictionary<string, JsonObject> ResultSchemas { get; }

    /// <summary>The OpenRPC document as UTF-8 JSON, built once.</summary>
    public ReadOnlyMemory<byte> OpenRpcDocument => _openRpc.Value;

    public bool TryGet(string name, out RpcMethod method) => _methods.TryGetValue(name, out method!);

    /// <summary>Looks a method up by its UTF-8 name without allocating a string for known names.</summary>
    public bool TryGet(ReadOnlySpan<char> name, out RpcMethod method) =>
        _methods.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out method!);

    private static void Validate(RpcMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(method.Name);
        if (method.Result is null)
        {
            throw new InvalidOperationException($"The RPC method '{method.Name}' has no result type; pass the JsonTypeInfo of its result record.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in method.Params)
        {
            if (!names.Add(p.Name))
            {
                throw new InvalidOperationException($"The RPC method '{method.Name}' declares the parameter '{p.Name}' twice.");
            }
        }
    }

    private static byte[] BuildOpenRpc(IReadOnlyList<RpcMethod> methods, FrozenDictionary<string, JsonObject> resultSchemas, ServiceInfo info)
    {
        var methodArray = new JsonArray();
        foreach (var m in methods)
        {
            var parameters = new JsonArray();
            foreach (var p in m.Params)
            {
                var descriptor = new JsonObject
                {
                    ["name"] = p.Name,
                    ["description"] = p.Description,
                    ["required"] = p.Required,
                    ["schema"] = Schema(p),
                };
                parameters.Add(descriptor);
            }

            var errors = new JsonArray();
            foreach (var code in m.Errors.Distinct())
            {
                errors.Add(new JsonObject { ["code"] = code, ["message"] = RpcErrorCodes.Message(code) });
            }

            var method = new JsonObject
            {
                ["name"] = m.Name,
                ["summary"] = m.Summary,
                ["paramStructure"] = "by-name",
                ["params"] = parameters,
                ["result"] = new JsonObject { ["name"] = "result", ["schema"] = resultSchemas[m.Name].DeepClone() },
                ["x-min-role"] = m.MinRole.ToString().ToLowerInvariant(),
            };
            if (errors.Count > 0)
            {
                method["errors"] = errors;
            }

            methodArray.Add(method);
        }

        var allErrors = new JsonObject();
        foreach (var code in RpcErrorCodes.All)
        {
            allErrors[code.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                new JsonObject { ["code"] = code, ["message"] = RpcErrorCodes.Message(code) };
        }

        var doc = new OpenRpcDocument(
            "1.3.2",
            new OpenRpcInfo(
                "camera-service JSON-RPC API",
                info.Version,
                "JSON-RPC 2.0 over WebSocket. Named params only. Roles: none < viewer < operator < admin (x-min-role)."),
            methodArray,
            new JsonObject { ["errors"] = allErrors });
        return JsonSerializer.SerializeToUtf8Bytes(doc, CoreJsonContext.Default.OpenRpcDocument);
    }

    private static JsonObject Schema(RpcParam p)
    {
        var schema = new JsonObject();
        switch (p.Type)
        {
            case RpcParamType.String:
                schema["type"] = "string";
                AddStringRules(schema, p);
                break;
            case RpcParamType.Integer:
                schema["type"] = "integer";
                break;
            case RpcParamType.Number:
                schema["type"] = "number";
                break;
            case RpcParamType.Boolean:
                schema["type"] = "boolean";
                break;
            case RpcParamType.StringArray:
                schema["type"] = "array";
                var items = new JsonObject { ["type"] = "string" };
                AddStringRules(items, p);
                schema["items"] = items;
                if (p.Minimum is { } minItems)
                {
                    schema["minItems"] = minItems;
                }

                break;
            case RpcParamType.ObjectArray:
                schema["type"] = "array";
                schema["items"] = Schema(p with { Type = RpcParamType.Object });
                if (p.Minimum is { } minObjects)
                {
                    schema["minItems"] = minObjects;
                }

                if (p.Maximum is { } maxObjects)
                {
                    schema["maxItems"] = maxObjects;
                }

                break;
            case RpcParamType.Object when p.FreeMap:
                schema["type"] = "object";
                schema["minProperties"] = 1;
                schema["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("integer", "boolean", "string") };
                break;
            case RpcParamType.Object:
                schema["type"] = "object";
                schema["additionalProperties"] = false;
                var props = new JsonObject();
                var required = new JsonArray();
                foreach (var child in p.Properties ?? [])
                {
                    var childSchema = Schema(child);
                    childSchema["description"] = child.Description;
                    props[child.Name] = childSchema;
                    if (child.Required)
                    {
                        required.Add(child.Name);
                    }
                }

                schema["properties"] = props;
                if (required.Count > 0)
                {
                    schema["required"] = required;
                }

                break;
            default:
                throw new InvalidOperationException("Unknown parameter type " + p.Type);
        }

        if (p.Type is RpcParamType.Integer or RpcParamType.Number)
        {
            if (p.Minimum is { } min)
            {
                schema["minimum"] = min;
            }

            if (p.Maximum is { } max)
            {
                schema["maximum"] = max;
            }
        }

        if (p.Default is { } d)
        {
            schema["default"] = d switch
            {
                string s => JsonValue.Create(s),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double x => JsonValue.Create(x),
                bool b => JsonValue.Create(b),
                _ => JsonValue.Create(d.ToString()),
            };
        }

        return schema;
    }

    private static void AddStringRules(JsonObject schema, RpcParam p)
    {
        if (p.Pattern is { } pattern)
        {
            schema["pattern"] = pattern;
        }

        if (p.Enum is { } values)
        {
            var array = new JsonArray();
            foreach (var v in values)
            {
                array.Add(v);
            }

            schema["enum"] = array;
        }

        if (p.MaxLength is { } max)
        {
            schema["maxLength"] = max;
        }
    }
}

/// <summary>The result of <c>rpc.discover</c>.</summary>
[Description("OpenRPC 1.3 document of this API")]
internal sealed record OpenRpcDocument(
    string Openrpc,
    OpenRpcInfo Info,
    [property: Description("one entry per method: name, summary, params, result schema, x-min-role, errors")] JsonArray Methods,
    [property: Description("errors: every error code with its message")] JsonObject Components);

/// <summary>The <c>info</c> object of the OpenRPC document.</summary>
internal sealed record OpenRpcInfo(string Title, string Version, string Description);

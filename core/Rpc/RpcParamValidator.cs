using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CameraService.Core.Rpc;

/// <summary>Checks a call's <c>params</c> against the method table; throws -32602 with <c>param</c> and <c>rule</c>.</summary>
internal static class RpcParamValidator
{
    public static void Validate(IReadOnlyList<RpcParam> declared, JsonElement? parameters)
    {
        if (parameters is not { } p)
        {
            CheckRequired(declared, default, present: false, prefix: null);
            return;
        }

        if (p.ValueKind == JsonValueKind.Array)
        {
            throw RpcErrorException.InvalidParams(null, "named_params_required");
        }

        ValidateObject(declared, p, prefix: null);
    }

    private static void ValidateObject(IReadOnlyList<RpcParam> declared, JsonElement obj, string? prefix)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var param = Find(declared, property.Name);
            var path = prefix is null ? property.Name : prefix + "." + property.Name;
            if (param is null)
            {
                throw RpcErrorException.InvalidParams(path, "unknown_param");
            }

            ValidateValue(param, property.Value, path);
        }

        CheckRequired(declared, obj, present: true, prefix);
    }

    private static void CheckRequired(IReadOnlyList<RpcParam> declared, JsonElement obj, bool present, string? prefix)
    {
        foreach (var param in declared)
        {
            if (!param.Required)
            {
                continue;
            }

            if (!present || !obj.TryGetProperty(param.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                throw RpcErrorException.InvalidParams(prefix is null ? param.Name : prefix + "." + param.Name, "required");
            }
        }
    }

    private static RpcParam? Find(IReadOnlyList<RpcParam> declared, string name)
    {
        foreach (var p in declared)
        {
            if (string.Equals(p.Name, name, StringComparison.Ordinal))
            {
                return p;
            }
        }

        return null;
    }

    private static void ValidateValue(RpcParam param, JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (param.Nullable || !param.Required)
            {
                return;
            }

            throw RpcErrorException.InvalidParams(path, "required");
        }

        switch (param.Type)
        {
            case RpcParamType.String:
                if (value.ValueKind != JsonValueKind.String)
                {
                    throw RpcErrorException.InvalidParams(path, "type:string");
                }

                ValidateString(param, value.GetString()!, path);
                break;
            case RpcParamType.Integer:
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var integer))
                {
                    throw RpcErrorException.InvalidParams(path, "type:integer");
                }

                ValidateRange(param, integer, path);
                break;
            case RpcParamType.Number:
                if (value.ValueKind != JsonValueKind.Number)
                {
                    throw RpcErrorException.InvalidParams(path, "type:number");
                }

                ValidateRange(param, value.GetDouble(), path);
                break;
            case RpcParamType.Boolean:
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw RpcErrorException.InvalidParams(path, "type:boolean");
                }

                break;
            case RpcParamType.StringArray:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    throw RpcErrorException.InvalidParams(path, "type:array");
                }

                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var itemPath = path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw RpcErrorException.InvalidParams(itemPath, "type:string");
                    }

                    ValidateString(param, item.GetString()!, itemPath);
                    index++;
                }

                if (param.Minimum is { } minItems && index < minItems)
                {
                    throw RpcErrorException.InvalidParams(path, "min_items:" + minItems.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case RpcParamType.Object:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    throw RpcErrorException.InvalidParams(path, "type:object");
                }

                if (param.FreeMap)
                {
                    ValidateFreeMap(value, path);
                    break;
                }

                ValidateObject(param.Properties ?? [], value, path);
                break;
            case RpcParamType.ObjectArray:
                ValidateObjectArray(param, value, path);
                break;
            default:
                throw new InvalidOperationException("Unknown parameter type " + param.Type);
        }
    }

    private static void ValidateObjectArray(RpcParam param, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw RpcErrorException.InvalidParams(path, "type:array");
        }

        var count = value.GetArrayLength();
        if (param.Minimum is { } min && count < min)
        {
            throw RpcErrorException.InvalidParams(path, "min_items:" + min.ToString(CultureInfo.InvariantCulture));
        }

        if (param.Maximum is { } max && count > max)
        {
            throw RpcErrorException.InvalidParams(path, "max_items:" + max.ToString(CultureInfo.InvariantCulture));
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw RpcErrorException.InvalidParams(itemPath, "type:object");
            }

            ValidateObject(param.Properties ?? [], item, itemPath);
            index++;
        }
    }

    private static void ValidateFreeMap(JsonElement obj, string path)
    {
        var count = 0;
        foreach (var member in obj.EnumerateObject())
        {
            var memberPath = path + "." + member.Name;
            if (member.Name.Length is 0 or > 64)
            {
                throw RpcErrorException.InvalidParams(memberPath, "name_length:1..64");
            }

            var ok = member.Value.ValueKind switch
            {
                JsonValueKind.Number => member.Value.TryGetInt64(out _),
                JsonValueKind.True or JsonValueKind.False => true,
                JsonValueKind.String => Encoding.UTF8.GetByteCount(member.Value.GetString()!) <= 64,
                _ => false,
            };
            if (!ok)
            {
                throw RpcErrorException.InvalidParams(memberPath, "type:integer|boolean|string");
            }

            count++;
        }

        if (count == 0)
        {
            throw RpcErrorException.InvalidParams(path, "min_properties:1");
        }
    }

    private static void ValidateString(RpcParam param, string text, string path)
    {
        if (param.MaxLength is { } max && Encoding.UTF8.GetByteCount(text) > max)
        {
            throw RpcErrorException.InvalidParams(path, "max_length:" + max.ToString(CultureInfo.InvariantCulture));
        }

        if (param.Enum is { } allowed && !allowed.Contains(text, StringComparer.Ordinal))
        {
            throw RpcErrorException.InvalidParams(path, "enum:" + string.Join('|', allowed));
        }

        if (param.Regex is { } regex && !regex.IsMatch(text))
        {
            throw RpcErrorException.InvalidParams(path, "pattern:" + param.Pattern);
        }
    }

    private static void ValidateRange(RpcParam param, double number, string path)
    {
        if (param.Minimum is { } min && number < min)
        {
            throw RpcErrorException.InvalidParams(path, "minimum:" + min.ToString(CultureInfo.InvariantCulture));
        }

        if (param.Maximum is { } max && number > max)
        {
            throw RpcErrorException.InvalidParams(path, "maximum:" + max.ToString(CultureInfo.InvariantCulture));
        }
    }
}

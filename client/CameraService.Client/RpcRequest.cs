using System.Text;
using System.Text.Json;

namespace CameraService.Client;

/// <summary>Writes the client's JSON-RPC requests: the envelope and the parameter values a call can carry.</summary>
internal static class RpcRequest
{
    /// <summary>One JSON-RPC 2.0 request as text; parameters that are null are left out.</summary>
    public static string Build(long id, string method, IReadOnlyDictionary<string, object?>? parameters)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            w.WriteNumber("id", id);
            w.WriteString("method", method);
            // Null params are omitted (the service treats absent and null alike, and older servers reject unknown nulls);
            // a call whose params are all null sends no params member at all.
            if (parameters is not null && parameters.Values.Any(v => v is not null))
            {
                w.WritePropertyName("params");
                WriteValue(w, parameters);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case double d: w.WriteNumberValue(d); break;
            case JsonElement e: e.WriteTo(w); break;
            case IReadOnlyDictionary<string, object?> map:
                w.WriteStartObject();
                foreach (var (k, v) in map.Where(kv => kv.Value is not null))
                {
                    w.WritePropertyName(k);
                    WriteValue(w, v);
                }

                w.WriteEndObject();
                break;
            case IEnumerable<string> list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    w.WriteStringValue(item);
                }

                w.WriteEndArray();
                break;
            case IEnumerable<object?> items:
                w.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Unsupported parameter type {value.GetType().Name}", nameof(value));
        }
    }
}

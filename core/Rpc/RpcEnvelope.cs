using System.Text.Json;

namespace CameraService.Core.Rpc;

/// <summary>
/// The JSON-RPC 2.0 envelope on the wire (api-contract.md §1): checking a call's <c>jsonrpc</c>, <c>method</c> and
/// <c>params</c>, and writing a result or an error object with the caller's id.
/// </summary>
internal static class RpcEnvelope
{
    /// <summary>The envelope error of a call, or null when <c>jsonrpc</c>, <c>method</c> and <c>params</c> are well-formed.</summary>
    public static RpcErrorException? Check(JsonElement call, out JsonElement method, out JsonElement? parameters)
    {
        parameters = null;
        method = default;
        if (!call.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
        {
            return RpcErrorException.InvalidRequest("jsonrpc_must_be_2.0");
        }

        if (!call.TryGetProperty("method"u8, out method) || method.ValueKind != JsonValueKind.String || !IsValidUtf8(method))
        {
            return RpcErrorException.InvalidRequest("method_must_be_string");
        }

        if (call.TryGetProperty("params"u8, out var p))
        {
            if (p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return RpcErrorException.InvalidRequest("params_must_be_object");
            }

            parameters = p;
        }

        return null;
    }

    // System.Text.Json checks UTF-8 inside strings only when they are read: a string with invalid bytes would throw
    // from GetString() later (found by the property tests, issue 17). Strings are short here (id, method).
    public static bool IsValidUtf8(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static void WriteResult(Utf8JsonWriter writer, JsonElement id, RpcResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WritePropertyName("result"u8);
        result.Write(writer);
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    public static void WriteError(Utf8JsonWriter writer, JsonElement id, RpcErrorException error)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteNumber("code"u8, error.Code);
        writer.WriteString("message"u8, error.Message);
        if (error.ErrorData.Count > 0)
        {
            writer.WriteStartObject("data"u8);
            error.WriteData(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WritePropertyName("id"u8);
        if (id.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            id.WriteTo(writer);
        }
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CameraService.Shared.Http;

/// <summary>The small JSON error bodies of the HTTP side: <c>{"error": "&lt;reason&gt;", "message": "&lt;text&gt;"}</c>.</summary>
internal static class JsonErrors
{
    public static Task WriteAsync(HttpContext context, int statusCode, string error, string message)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        var body = Serialize(error, message);
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    public static byte[] Serialize(string error, string message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("error", error);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameraService.Client;

// The contract leaves a few shapes open (api-contract.md §4 names the field, not its type); these converters accept
// every reasonable reading so that a service choosing one of them does not break the client.

/// <summary>Reads a string, or a number as its JSON text (<c>300</c> → <c>"300"</c>).</summary>
internal sealed class StringOrNumberConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
        _ => throw new JsonException($"Expected a string or a number, got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}

/// <summary>Reads a recording segment given either as a bare file name or as <c>{filename, file_size?, download_url?}</c>.</summary>
internal sealed class RecordingFileConverter : JsonConverter<RecordingFile>
{
    public override RecordingFile Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new RecordingFile(reader.GetString()!, null, null);
        }

        using var doc = JsonDocument.ParseValue(ref reader);
        var e = doc.RootElement;
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("filename", out var name) || name.ValueKind != JsonValueKind.String)
        {
            throw new JsonException("A recording file must be a file name or an object with a filename.");
        }

        long? size = e.TryGetProperty("file_size", out var s) && s.TryGetInt64(out var n) ? n : null;
        var url = e.TryGetProperty("download_url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        var format = e.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        return new RecordingFile(name.GetString()!, size, url) { Format = format };
    }

    public override void Write(Utf8JsonWriter writer, RecordingFile value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString("filename", value.Filename);
        if (value.FileSize is { } size)
        {
            writer.WriteNumber("file_size", size);
        }

        if (value.DownloadUrl is { } url)
        {
            writer.WriteString("download_url", url);
        }

        if (value.Format is { } format)
        {
            writer.WriteString("format", format);
        }

        writer.WriteEndObject();
    }
}

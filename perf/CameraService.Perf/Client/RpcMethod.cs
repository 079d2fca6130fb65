using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace CameraService.Perf.Client;

/// <summary>
/// A JSON-RPC request pre-encoded once (everything but the id), so the hot path only formats the id
/// into a pooled buffer: no per-request serialization or reflection.
/// </summary>
internal sealed class RpcMethod
{
    private readonly byte[] _prefix;

    private RpcMethod(string name, string? paramsJson, byte[] prefix)
    {
        Name = name;
        ParamsJson = paramsJson;
        _prefix = prefix;
    }

    /// <summary>The method name as sent.</summary>
    public string Name { get; }

    /// <summary>The params object as JSON, or null when the request carries none.</summary>
    public string? ParamsJson { get; }

    /// <summary>Builds a request template; <paramref name="paramsJson"/> must be a JSON object or null.</summary>
    public static RpcMethod Create(string name, string? paramsJson = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WriteString("method"u8, name);
            if (paramsJson is not null)
            {
                using var document = JsonDocument.Parse(paramsJson);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new ArgumentException($"params of {name} must be a JSON object, got {document.RootElement.ValueKind}", nameof(paramsJson));
                }

                writer.WritePropertyName("params"u8);
                document.RootElement.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        // Drop the closing brace and append ,"id": so the id can be formatted straight after it.
        var body = buffer.WrittenSpan[..^1];
        var prefix = new byte[body.Length + 6];
        body.CopyTo(prefix);
        ",\"id\":"u8.CopyTo(prefix.AsSpan(body.Length));
        return new RpcMethod(name, paramsJson, prefix);
    }

    /// <summary>Builds an object params string with one string property (escaped correctly).</summary>
    public static string StringParams(string property, string value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(property, value);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Upper bound of the encoded size.</summary>
    public int MaxEncodedLength => _prefix.Length + 21;

    /// <summary>Writes the request with <paramref name="id"/> into <paramref name="destination"/>; returns the byte count.</summary>
    public int Encode(long id, Span<byte> destination)
    {
        _prefix.CopyTo(destination);
        if (!Utf8Formatter.TryFormat(id, destination[_prefix.Length..], out var written))
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        var length = _prefix.Length + written;
        destination[length] = (byte)'}';
        return length + 1;
    }

    public override string ToString() => Name;
}

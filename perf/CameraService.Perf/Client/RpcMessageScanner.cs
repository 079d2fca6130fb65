using System.Text.Json;

namespace CameraService.Perf.Client;

/// <summary>What the reader needs from one incoming message, found without building a DOM.</summary>
internal struct ScanResult
{
    public bool HasId;
    public long Id;
    public bool IsError;
    public int ErrorCode;
    public int MethodStart;
    public int MethodLength;
}

/// <summary>Scans a JSON-RPC response or notification with <see cref="Utf8JsonReader"/> (no allocation).</summary>
internal static class RpcMessageScanner
{
    /// <summary>
    /// Reads the top-level <c>id</c> (numbers only: the harness sends numeric ids), whether it is an error and its code,
    /// and where the <c>method</c> name is. False for anything that is not a JSON object (batches are never sent).
    /// </summary>
    public static bool TryScan(ReadOnlySpan<byte> message, out ScanResult result)
    {
        result = default;
        try
        {
            var reader = new Utf8JsonReader(message, new JsonReaderOptions { AllowTrailingCommas = false });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id))
                    {
                        result.HasId = true;
                        result.Id = id;
                    }
                    else
                    {
                        // id null (parse error answer) or a type we never send: a response we cannot correlate.
                        result.HasId = reader.TokenType != JsonTokenType.Null || result.HasId;
                        result.Id = -1;
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    result.IsError = true;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var isCode = reader.ValueTextEquals("code"u8);
                            reader.Read();
                            if (isCode && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code))
                            {
                                result.ErrorCode = code;
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                    {
                        result.MethodStart = checked((int)reader.TokenStartIndex + 1);
                        result.MethodLength = reader.ValueSpan.Length;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

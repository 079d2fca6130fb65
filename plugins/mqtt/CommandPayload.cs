using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CameraService.Plugins.Mqtt;

/// <summary>What a <c>…/recording/set</c> payload asks for.</summary>
/// <param name="Start">True to start, false to stop.</param>
/// <param name="DurationSeconds">The recording's duration when starting (null = until stopped).</param>
internal sealed record RecordingCommand(bool Start, long? DurationSeconds);

/// <summary>A payload that is not a valid command: answered with the contract's -32602, nothing executed.</summary>
internal sealed record CommandError(string Param, string Rule);

/// <summary>Parses command payloads (docs/mqtt.md).</summary>
internal static class CommandPayload
{
    public const string RecordingRule = "must be ON, OFF or a JSON object such as {\"duration\": \"30s\"}";

    public static (RecordingCommand? Command, CommandError? Error) ParseRecording(ReadOnlySpan<byte> payload)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(payload).Trim();
        }
        catch (DecoderFallbackException)
        {
            return (null, new CommandError("payload", "must be UTF-8 text; " + RecordingRule));
        }

        if (string.Equals(text, "ON", StringComparison.OrdinalIgnoreCase))
        {
            return (new RecordingCommand(true, null), null);
        }

        if (string.Equals(text, "OFF", StringComparison.OrdinalIgnoreCase))
        {
            return (new RecordingCommand(false, null), null);
        }

        if (!text.StartsWith('{'))
        {
            return (null, new CommandError("payload", RecordingRule));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return (null, new CommandError("payload", "is not valid JSON; " + RecordingRule));
        }

        using (document)
        {
            long? duration = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("duration"))
                {
                    if (!TryParseDuration(property.Value, out var seconds))
                    {
                        return (null, new CommandError("duration", "must be a number of seconds or a duration such as \"30s\", \"5m\", \"1h\" or \"00:00:30\" (whole seconds, at least 1)"));
                    }

                    duration = seconds;
                }
                else
                {
                    return (null, new CommandError(property.Name, "unknown parameter; only \"duration\" is accepted"));
                }
            }

            return (new RecordingCommand(true, duration), null);
        }
    }

    private static bool TryParseDuration(JsonElement value, out long seconds)
    {
        seconds = 0;
        double total;
        if (value.ValueKind == JsonValueKind.Number)
        {
            total = value.GetDouble();
        }
        else if (value.ValueKind == JsonValueKind.String && TryParseText(value.GetString()!.Trim(), out var parsed))
        {
            total = parsed.TotalSeconds;
        }
        else
        {
            return false;
        }

        if (total < 1 || total > int.MaxValue || Math.Abs(total - Math.Round(total)) > 1e-9)
        {
            return false;
        }

        seconds = (long)Math.Round(total);
        return true;
    }

    // The plugin SDK has no duration parser a plugin may use, so the few forms a person types are read here.
    private static bool TryParseText(string text, out TimeSpan value)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        }

        (string Suffix, double Factor)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                value = TimeSpan.FromSeconds(n * factor);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            value = TimeSpan.FromSeconds(plain);
            return true;
        }

        value = default;
        return false;
    }
}

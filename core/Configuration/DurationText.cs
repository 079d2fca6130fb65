using System.Globalization;

namespace CameraService.Core.Configuration;

/// <summary>
/// Durations in configuration and on the command line: a TimeSpan (<c>00:00:30</c>) or a number with a unit
/// (<c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>). One parser for the host and the core.
/// </summary>
public static class DurationText
{
    private static readonly (string Suffix, double Factor)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];

    /// <summary>Parses a non-negative duration; false when the text is neither form.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The duration.</param>
    public static bool TryParse(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero)
        {
            return true;
        }

        foreach (var (suffix, factor) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && n >= 0)
            {
                value = TimeSpan.FromSeconds(n * factor);
                return true;
            }
        }

        value = default;
        return false;
    }
}

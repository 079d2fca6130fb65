using System.Globalization;

namespace CameraService.Shared;

/// <summary>
/// Durations in configuration and on the command line: a TimeSpan (<c>00:00:30</c>, <c>1.00:00:00</c>) or a number
/// with a unit (<c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>). The one parser of the repository: compiled into
/// the core (which registers it as the <see cref="TimeSpan"/> type converter for every options class) and linked into
/// camctl, so that the service and its command-line client read a duration the same way.
/// </summary>
internal static class DurationText
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string AcceptedForms = "a duration such as 30s, 500ms, 5m, 2h, 1d or 00:00:30";

    private static readonly (string Suffix, double Factor)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];

    /// <summary>
    /// Parses a non-negative duration; false when the text is neither form. A bare number (<c>30</c>) is refused
    /// unless <paramref name="bareNumberIsSeconds"/>: in configuration it is ambiguous (.NET reads it as days),
    /// while camctl's <c>--duration</c> mirrors the API, whose durations are seconds.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The duration.</param>
    /// <param name="bareNumberIsSeconds">Whether a number without a unit means seconds.</param>
    public static bool TryParse(string text, out TimeSpan value, bool bareNumberIsSeconds = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        foreach (var (suffix, factor) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && TryNumber(text[..^suffix.Length], factor, out value))
            {
                return true;
            }
        }

        value = default;
        return bareNumberIsSeconds && TryNumber(text, 1, out value);
    }

    private static bool TryNumber(string text, double factor, out TimeSpan value)
    {
        value = default;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || !double.IsFinite(n * factor)
            || n * factor > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(n * factor);
        return true;
    }
}

using System.Globalization;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Media;

/// <summary>The <c>Recording</c> configuration section (docs/configuration.md).</summary>
internal sealed class RecordingOptions
{
    public const string SectionName = "Recording";

    /// <summary>How often a running recording reports <c>recording_progress</c> (api-contract.md §8.2).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest a recording segment may grow (api-contract.md §8.2): bytes as a plain number or with a unit
    /// (<c>500MB</c>, <c>2GiB</c>); empty or 0 for no limit (segments are then cut by time only).
    /// </summary>
    public string? SegmentMaxSize { get; set; }

    /// <summary><see cref="SegmentMaxSize"/> in bytes, 0 for no limit (valid after validation).</summary>
    public long SegmentMaxBytes => ByteSize.TryParse(SegmentMaxSize, out var bytes) ? bytes : 0;
}

/// <summary>A size in bytes as written in configuration: <c>1048576</c>, <c>500MB</c>, <c>500 MiB</c>, <c>1.5G</c>.</summary>
internal static class ByteSize
{
    public const string AcceptedForms = "a number of bytes or a number with a unit (KB, MB, GB, TB = powers of 1000; KiB, MiB, GiB, TiB = powers of 1024), e.g. 500MB";

    private static readonly (string Unit, long Factor)[] Units =
    [
        ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("TIB", 1L << 40),
        ("KB", 1000L), ("MB", 1000_000L), ("GB", 1000_000_000L), ("TB", 1000_000_000_000L),
        ("K", 1000L), ("M", 1000_000L), ("G", 1000_000_000L), ("T", 1000_000_000_000L), ("B", 1L),
    ];

    /// <summary>Parses <paramref name="text"/>; empty or null is 0 (no limit).</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        var t = text?.Trim().ToUpperInvariant() ?? string.Empty;
        if (t.Length == 0)
        {
            return true;
        }

        var factor = 1L;
        foreach (var (unit, f) in Units)
        {
            if (t.EndsWith(unit, StringComparison.Ordinal))
            {
                t = t[..^unit.Length].TrimEnd();
                factor = f;
                break;
            }
        }

        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue / factor)
        {
            return false;
        }

        bytes = (long)decimal.Round(number * factor);
        return true;
    }
}

internal sealed class RecordingOptionsValidator : IValidateOptions<RecordingOptions>
{
    /// <summary>
    /// The smallest size limit: a segment holds at least one keyframe interval, so a limit below a second or two of
    /// video could not be kept.
    /// </summary>
    public const long MinSegmentBytes = 256 * 1024;

    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, RecordingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ProgressInterval < Min || options.ProgressInterval > Max)
        {
            return ValidateOptionsResult.Fail($"Recording:ProgressInterval must be between 100ms and 1h (was {options.ProgressInterval}); e.g. 5s.");
        }

        if (!ByteSize.TryParse(options.SegmentMaxSize, out var bytes))
        {
            return ValidateOptionsResult.Fail($"Recording:SegmentMaxSize must be {ByteSize.AcceptedForms} (got '{options.SegmentMaxSize}').");
        }

        return bytes is > 0 and < MinSegmentBytes
            ? ValidateOptionsResult.Fail($"Recording:SegmentMaxSize must be 0 (no limit) or at least 256KiB (got '{options.SegmentMaxSize}').")
            : ValidateOptionsResult.Success;
    }
}

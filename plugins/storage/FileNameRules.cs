using System.Globalization;
using System.Text;
using CameraService.Abstractions;

namespace CameraService.Plugins.Storage;

/// <summary>
/// The rules for names that come from clients (file names, camera ids, extensions) and the shape of the names
/// the service writes: <c>camera0_2026-11-27_10-15-00-123456.mp4</c> (MediaMTX's
/// <c>%path_%Y-%m-%d_%H-%M-%S-%f</c>) and <c>camera0_2026-11-27_10-15-02.jpg</c>.
/// </summary>
internal static class FileNameRules
{
    /// <summary>Linux NAME_MAX: longer names cannot exist on disk.</summary>
    public const int MaxNameBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Checks a bare file name and throws <see cref="InvalidParameterException"/> naming the broken rule.
    /// The check is purely lexical; containment on disk (symlinks) is checked separately by <see cref="SafePath"/>.
    /// </summary>
    public static void ValidateFileName(string? name, string parameter = "filename")
    {
        if (DescribeInvalidFileName(name) is { } rule)
        {
            throw new InvalidParameterException(parameter, rule);
        }
    }

    /// <summary>The rule a file name breaks, or null when it is acceptable.</summary>
    public static string? DescribeInvalidFileName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "must be a non-empty file name";
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                // NUL would truncate the path in the C library; the others have no place in a file name.
                return "must not contain control characters";
            }

            // Bidi overrides, zero-width characters and line/paragraph separators make a name display as
            // something it is not (e.g. "camera0_…4pm.exe" shown as "…exe.mp4") in logs, lists and download dialogs.
            var category = char.GetUnicodeCategory(c);
            if (category is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                return "must not contain invisible formatting characters (Unicode category Cf, line or paragraph separators)";
            }
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return "must be a bare file name without path separators";
        }

        if (name is "." || name.Contains("..", StringComparison.Ordinal))
        {
            return "must not contain '..'";
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return "must be valid Unicode text";
        }

        if (bytes > MaxNameBytes)
        {
            return $"must be at most {MaxNameBytes} bytes in UTF-8";
        }

        return null;
    }

    /// <summary>
    /// Checks a camera id used as a directory name: letters, digits, '_' and '-', starting with a letter or
    /// digit, at most 64 characters (the API's ids are <c>camera&lt;N&gt;</c>).
    /// </summary>
    public static void ValidateCameraId(string? cameraId, string parameter = "device")
    {
        if (!IsValidCameraId(cameraId))
        {
            throw new InvalidParameterException(parameter, "must be a camera id such as 'camera0' (letters, digits, '_' or '-')");
        }
    }

    /// <summary>Whether <paramref name="cameraId"/> is a safe camera directory name.</summary>
    public static bool IsValidCameraId(string? cameraId)
    {
        if (string.IsNullOrEmpty(cameraId) || cameraId.Length > 64 || !char.IsAsciiLetterOrDigit(cameraId[0]))
        {
            return false;
        }

        foreach (var c in cameraId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks a file extension without the dot: 1–8 ASCII letters or digits.</summary>
    public static void ValidateExtension(string? extension, string parameter = "format")
    {
        if (string.IsNullOrEmpty(extension) || extension.Length > 8 || !extension.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidParameterException(parameter, "must be a file extension of 1 to 8 letters or digits, such as 'jpg'");
        }
    }

    /// <summary>The generated snapshot name for a moment: <c>camera0_2026-11-27_10-15-02.jpg</c>, with <c>_N</c> before the extension when <paramref name="counter"/> &gt; 0.</summary>
    public static string SnapshotName(string cameraId, DateTimeOffset localTime, string extension, int counter)
    {
        var stamp = localTime.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture);
        return counter == 0
            ? $"{cameraId}_{stamp}.{extension}"
            : string.Create(CultureInfo.InvariantCulture, $"{cameraId}_{stamp}_{counter}.{extension}");
    }

    /// <summary>
    /// Reads the start time a service-written name carries (<c>…_yyyy-MM-dd_HH-mm-ss[-ffffff][_N].ext</c>), read in
    /// <paramref name="zone"/> because MediaMTX fills its <c>recordPath</c> with the server's local time.
    /// </summary>
    public static DateTimeOffset? TryParseNameTime(string fileName, TimeZoneInfo zone)
    {
        // The camera id may itself contain '_', so find the date by its shape: "_dddd-dd-dd_dd-dd-dd".
        var stem = Path.GetFileNameWithoutExtension(fileName.AsSpan());
        for (var i = 0; i + 20 <= stem.Length; i++)
        {
            if (stem[i] != '_' || !LooksLikeStamp(stem.Slice(i + 1, 19)))
            {
                continue;
            }

            var text = stem.Slice(i + 1, 19);
            if (!DateTime.TryParseExact(text, "yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                continue;
            }

            var rest = stem[(i + 20)..];
            if (rest.Length >= 7 && rest[0] == '-' && int.TryParse(rest.Slice(1, 6), NumberStyles.None, CultureInfo.InvariantCulture, out var micros))
            {
                time = time.AddTicks(micros * 10L);
            }

            try
            {
                return new DateTimeOffset(time, zone.GetUtcOffset(time)).ToUniversalTime();
            }
            catch (ArgumentException)
            {
                // A local time that does not exist (skipped by a DST change): fall back to the file system time.
                return null;
            }
        }

        return null;
    }

    /// <summary>The content type served for a file, from its extension.</summary>
    public static string ContentTypeOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".mp4" or ".m4s" => "video/mp4",
        ".ts" => "video/mp2t",
        ".mkv" => "video/x-matroska",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        _ => "application/octet-stream",
    };

    private static bool LooksLikeStamp(ReadOnlySpan<char> s) =>
        s.Length == 19 && s[4] == '-' && s[7] == '-' && s[10] == '_' && s[13] == '-' && s[16] == '-';
}

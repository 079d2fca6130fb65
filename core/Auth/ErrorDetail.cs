using System.Text.RegularExpressions;

namespace CameraService.Core.Auth;

/// <summary>
/// What a client may see of a dependency's failure (<c>-32050 data.detail</c>): the words, never the internals. URLs
/// (which may carry the media server's address and credentials, e.g. an ffmpeg error quoting
/// <c>rtsp://user:pass@127.0.0.1:8554/camera0</c>) and absolute file system paths (ffmpeg, state and media
/// locations) are replaced by placeholders. The full text stays in the service log.
/// </summary>
internal static partial class ErrorDetail
{
    private const int MaxLength = 300;

    public static string? Redact(string? detail)
    {
        if (string.IsNullOrEmpty(detail))
        {
            return detail;
        }

        string text;
        try
        {
            text = Url().Replace(detail, "<url>");
            text = HostPort().Replace(text, "<address>");
            text = AbsolutePath().Replace(text, "$1<path>");
        }
        catch (RegexMatchTimeoutException)
        {
            return "the dependency failed; the service log has the details";
        }

        return text.Length <= MaxLength ? text : text[..MaxLength] + "…";
    }

    [GeneratedRegex(@"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'""<>]*", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Url();

    [GeneratedRegex(@"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b|\[[0-9A-Fa-f:]+\](?::\d{1,5})?", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex HostPort();

    [GeneratedRegex(@"(^|[\s'""(=:])/(?:[^\s'""/:)]+/?)+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex AbsolutePath();
}

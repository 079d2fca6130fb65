using System.Globalization;
using System.Text;
using CameraService.Abstractions.Media;
using CameraService.Core.Rpc;

namespace CameraService.Core.Media;

/// <summary>
/// Cursor paging of <c>list_recordings</c>/<c>list_snapshots</c> (docs/storage.md): a cursor names the last file of a
/// page by (modified time, file name), and the next page is the files strictly after it in the order newest first,
/// then by name descending (the catalog's order). Unlike <c>offset</c>, a page boundary does not move when new files are written meanwhile.
/// </summary>
internal static class ListCursor
{
    private const int ReadPage = 1000;

    /// <summary>The cursor of a file: base64url of <c>&lt;unix ms&gt;|&lt;file name&gt;</c>.</summary>
    public static string Of(MediaFile file) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{file.Modified.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}|{file.FileName}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes a cursor, or fails with -32602 naming <c>cursor</c>.</summary>
    public static (long Millis, string FileName) Parse(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var millis))
            {
                return (millis, text[(bar + 1)..]);
            }
        }
        catch (FormatException)
        {
            // Reported below.
        }

        throw RpcErrorException.InvalidParams("cursor", "must be a next_cursor returned by this method");
    }

    /// <summary>
    /// The page after <paramref name="cursor"/>: reads the catalog newest first (through <paramref name="list"/>, which
    /// applies the caller's camera scope) until the page is complete.
    /// </summary>
    public static async Task<(List<MediaFile> Files, int Total)> AfterAsync(Func<MediaQuery, CancellationToken, Task<MediaPage>> list, string? device, string cursor, int limit, CancellationToken cancellationToken)
    {
        var (millis, name) = Parse(cursor);
        var after = new List<MediaFile>();
        var offset = 0;
        var total = 0;
        while (true)
        {
            var page = await list(new MediaQuery { Offset = offset, Limit = ReadPage, CameraId = device }, cancellationToken).ConfigureAwait(false);
            total = page.Total;
            foreach (var file in page.Files)
            {
                var t = file.Modified.ToUnixTimeMilliseconds();
                if (t < millis || (t == millis && string.CompareOrdinal(file.FileName, name) < 0))
                {
                    after.Add(file);
                }
            }

            offset += page.Files.Count;

            // Complete once the page is full and no later file can still sort before its last entry.
            var sorted = after.OrderByDescending(f => f.Modified.ToUnixTimeMilliseconds()).ThenByDescending(f => f.FileName, StringComparer.Ordinal).ToList();
            var done = page.Files.Count < ReadPage
                || (sorted.Count >= limit && page.Files[^1].Modified.ToUnixTimeMilliseconds() < sorted[limit - 1].Modified.ToUnixTimeMilliseconds());
            if (done)
            {
                return ([.. sorted.Take(limit)], total);
            }
        }
    }
}

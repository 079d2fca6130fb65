using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MediaMtxEmulator;

/// <summary>
/// recordstore.Path: encodes a segment file name from a recordPath template and decodes file names back into
/// (path name, start). Times are in the given zone unless %z or %s is used.
/// </summary>
internal sealed class RecordPath
{
    private readonly string _template;

    public RecordPath(string recordPath, string format, string root)
    {
        var full = Path.IsPathRooted(recordPath) ? recordPath : Path.Combine(root, recordPath);
        _template = full + (format == "mpegts" ? ".ts" : ".mp4");
    }

    /// <summary>The directory prefix before the first placeholder (recordstore.CommonPath).</summary>
    public string CommonPath(string? pathName)
    {
        var t = pathName is null ? _template : _template.Replace("%path", pathName, StringComparison.Ordinal);
        var idx = t.IndexOf('%', StringComparison.Ordinal);
        var prefix = idx < 0 ? t : t[..idx];
        var slash = prefix.LastIndexOf('/');
        return slash <= 0 ? "/" : prefix[..slash];
    }

    /// <summary>The file name of a segment of <paramref name="pathName"/> starting at <paramref name="start"/> (its own offset).</summary>
    public string Encode(string pathName, DateTimeOffset start)
    {
        var sb = new StringBuilder();
        var t = _template;
        for (var i = 0; i < t.Length; i++)
        {
            if (t[i] != '%' || i + 1 >= t.Length)
            {
                sb.Append(t[i]);
                continue;
            }

            if (string.CompareOrdinal(t, i, "%path", 0, 5) == 0)
            {
                sb.Append(pathName);
                i += 4;
                continue;
            }

            var c = t[i + 1];
            var piece = c switch
            {
                'Y' => start.Year.ToString("0000", CultureInfo.InvariantCulture),
                'm' => start.Month.ToString("00", CultureInfo.InvariantCulture),
                'd' => start.Day.ToString("00", CultureInfo.InvariantCulture),
                'H' => start.Hour.ToString("00", CultureInfo.InvariantCulture),
                'M' => start.Minute.ToString("00", CultureInfo.InvariantCulture),
                'S' => start.Second.ToString("00", CultureInfo.InvariantCulture),
                'f' => GoFormat.Micros(start).ToString("000000", CultureInfo.InvariantCulture),
                'z' => start.Offset == TimeSpan.Zero ? "Z" : start.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", string.Empty, StringComparison.Ordinal),
                's' => start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                _ => null,
            };
            if (piece is null)
            {
                sb.Append('%');
                continue;
            }

            sb.Append(piece);
            i++;
        }

        return sb.ToString();
    }

    /// <summary>Decodes a full file path into the path name and start, or null when it does not match the template.</summary>
    public (string PathName, DateTimeOffset Start)? Decode(string file, string? pathName, TimeZoneInfo zone)
    {
        var re = new StringBuilder("^");
        var t = _template;
        var order = new List<char>();
        for (var i = 0; i < t.Length; i++)
        {
            if (t[i] == '%' && string.CompareOrdinal(t, i, "%path", 0, 5) == 0)
            {
                re.Append(pathName is null ? "(?<path>[0-9a-zA-Z_\\-/\\.~]+?)" : Regex.Escape(pathName));
                i += 4;
                continue;
            }

            if (t[i] == '%' && i + 1 < t.Length && "YmdHMSfzs".Contains(t[i + 1], StringComparison.Ordinal))
            {
                var c = t[i + 1];
                re.Append(c switch
                {
                    'Y' => "(?<Y>\\d{4})",
                    'f' => "(?<f>\\d{6})",
                    'z' => "(?<z>Z|[+-]\\d{4})",
                    's' => "(?<s>\\d{10})",
                    _ => $"(?<{c}>\\d{{2}})",
                });
                i++;
                continue;
            }

            re.Append(Regex.Escape(t[i].ToString()));
        }

        // recordstore.Path.Decode (internal/recordstore/path.go:113-176) runs FindStringSubmatch on a pattern with no
        // end anchor: "…-500000.mp4.bak" is a segment to MediaMTX too.
        var m = Regex.Match(file, re.ToString(), RegexOptions.None, TimeSpan.FromSeconds(1));
        if (!m.Success)
        {
            return null;
        }

        var name = pathName ?? m.Groups["path"].Value;
        if (ConfigStore.PathNameProblem(name) != null)
        {
            return null;
        }

        int G(string g, int dflt) => m.Groups[g].Success ? int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : dflt;
        DateTimeOffset start;
        if (m.Groups["s"].Success)
        {
            start = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(long.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture)), zone);
        }
        else
        {
            var local = new DateTime(G("Y", 1), G("m", 1), G("d", 1), G("H", 0), G("M", 0), G("S", 0), DateTimeKind.Unspecified);
            TimeSpan offset;
            if (m.Groups["z"].Success)
            {
                var z = m.Groups["z"].Value;
                offset = z == "Z" ? TimeSpan.Zero : TimeSpan.ParseExact(z[1..], "hhmm", CultureInfo.InvariantCulture) * (z[0] == '-' ? -1 : 1);
            }
            else
            {
                offset = zone.GetUtcOffset(local);
            }

            start = new DateTimeOffset(local, offset);
        }

        if (m.Groups["f"].Success)
        {
            start = start.AddTicks(long.Parse(m.Groups["f"].Value, CultureInfo.InvariantCulture) * 10);
        }

        // Report in the server's local zone, like Go's time.Local.
        return (name, TimeZoneInfo.ConvertTime(start, zone));
    }
}

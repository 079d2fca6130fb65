using System.Globalization;
using System.Text;

namespace MediaMtxEmulator;

/// <summary>
/// Go value formats MediaMTX puts on the wire: <c>time.Duration</c> with MediaMTX's extra day unit, bytefmt sizes,
/// RFC3339Nano times, go-shellquote splitting and <c>os.Expand</c>. Written by hand because the wire format is Go's
/// and no .NET library reproduces it exactly.
/// </summary>
internal static class GoFormat
{
    private const long TicksPerMicro = 10;

    /// <summary>Formats like MediaMTX's conf.Duration: zero is "", whole days "Nd", more than a day "Nd" + Go string of the rest.</summary>
    public static string FormatDuration(TimeSpan d)
    {
        if (d == TimeSpan.Zero)
        {
            return string.Empty;
        }

        if (d > TimeSpan.Zero && d.Ticks % TimeSpan.TicksPerDay == 0)
        {
            return (d.Ticks / TimeSpan.TicksPerDay).ToString(CultureInfo.InvariantCulture) + "d";
        }

        if (d >= TimeSpan.FromDays(1))
        {
            var days = d.Ticks / TimeSpan.TicksPerDay;
            return days.ToString(CultureInfo.InvariantCulture) + "d" + GoDurationString(TimeSpan.FromTicks(d.Ticks % TimeSpan.TicksPerDay));
        }

        return GoDurationString(d);
    }

    /// <summary>Go's time.Duration.String().</summary>
    public static string GoDurationString(TimeSpan d)
    {
        long ns = d.Ticks * 100;
        if (ns == 0)
        {
            return "0s";
        }

        var neg = ns < 0;
        ulong u = neg ? (ulong)(-ns) : (ulong)ns;
        var sb = new StringBuilder();
        if (u < 1_000_000_000UL)
        {
            // Sub-second: one unit with a decimal fraction (ns, µs, ms).
            string unit;
            ulong div;
            if (u < 1_000UL)
            {
                unit = "ns";
                div = 1;
            }
            else if (u < 1_000_000UL)
            {
                unit = "µs";
                div = 1_000;
            }
            else
            {
                unit = "ms";
                div = 1_000_000;
            }

            sb.Append(Fraction(u, div)).Append(unit);
        }
        else
        {
            var totalSeconds = u / 1_000_000_000UL;
            var fracNs = u % 1_000_000_000UL;
            var h = totalSeconds / 3600;
            var m = totalSeconds / 60 % 60;
            var s = totalSeconds % 60;
            if (h > 0)
            {
                sb.Append(h).Append('h');
            }

            if (h > 0 || m > 0)
            {
                sb.Append(m).Append('m');
            }

            sb.Append(Fraction((s * 1_000_000_000UL) + fracNs, 1_000_000_000UL)).Append('s');
        }

        return (neg ? "-" : string.Empty) + sb;
    }

    private static string Fraction(ulong v, ulong div)
    {
        var whole = (v / div).ToString(CultureInfo.InvariantCulture);
        var rest = v % div;
        if (rest == 0)
        {
            return whole;
        }

        var digits = div.ToString(CultureInfo.InvariantCulture).Length - 1;
        var frac = rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        return whole + "." + frac;
    }

    /// <summary>Parses Go duration syntax plus MediaMTX's day unit; "" is zero.</summary>
    public static bool TryParseDuration(string s, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (s.Length == 0 || s == "0")
        {
            return true;
        }

        var i = 0;
        var neg = false;
        if (s[0] is '-' or '+')
        {
            neg = s[0] == '-';
            i++;
        }

        if (i >= s.Length)
        {
            return false;
        }

        decimal totalNs = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !decimal.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            decimal mult = s[unitStart..i] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                "d" => 86_400_000_000_000m,
                _ => -1m,
            };
            if (mult < 0)
            {
                return false;
            }

            totalNs += number * mult;
        }

        value = TimeSpan.FromTicks((long)(totalNs / 100m) * (neg ? -1 : 1));
        return true;
    }

    /// <summary>bytefmt.ByteSize: the largest unit with one decimal, ".0" trimmed (52428800 → "50M").</summary>
    public static string FormatSize(ulong bytes)
    {
        (string Unit, ulong Size)[] units = [("E", 1UL << 60), ("P", 1UL << 50), ("T", 1UL << 40), ("G", 1UL << 30), ("M", 1UL << 20), ("K", 1UL << 10)];
        foreach (var (unit, size) in units)
        {
            if (bytes >= size)
            {
                var v = Math.Round((double)bytes / size, 1).ToString("0.0", CultureInfo.InvariantCulture);
                if (v.EndsWith(".0", StringComparison.Ordinal))
                {
                    v = v[..^2];
                }

                return v + unit;
            }
        }

        return bytes == 0 ? "0B" : bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }

    /// <summary>bytefmt.ToBytes: a positive number followed by a unit (B, K/KB/KiB, M, G, T, P, E).</summary>
    public static bool TryParseSize(string s, out ulong bytes)
    {
        bytes = 0;
        var t = s.Trim().ToUpperInvariant();
        var i = 0;
        while (i < t.Length && (char.IsAsciiDigit(t[i]) || t[i] == '.'))
        {
            i++;
        }

        if (i == 0 || !double.TryParse(t.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }

        int shift = t[i..] switch
        {
            "E" or "EB" or "EIB" => 60,
            "P" or "PB" or "PIB" => 50,
            "T" or "TB" or "TIB" => 40,
            "G" or "GB" or "GIB" => 30,
            "M" or "MB" or "MIB" => 20,
            "K" or "KB" or "KIB" => 10,
            "B" => 0,
            _ => -1,
        };
        if (shift < 0)
        {
            return false;
        }

        bytes = (ulong)(n * (1UL << shift));
        return true;
    }

    /// <summary>RFC3339Nano as Go writes it: trailing zero fractions trimmed, "Z" for UTC.</summary>
    public static string FormatTime(DateTimeOffset t)
    {
        var sb = new StringBuilder(t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        var frac = t.Ticks % TimeSpan.TicksPerSecond;
        if (frac != 0)
        {
            // .NET has 100 ns ticks; Go has ns: the extra digits are always zero and trimmed anyway.
            sb.Append('.').Append(frac.ToString("0000000", CultureInfo.InvariantCulture).TrimEnd('0'));
        }

        sb.Append(t.Offset == TimeSpan.Zero ? "Z" : t.ToString("zzz", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>
    /// Go's <c>time.Parse(time.RFC3339, s)</c> as the deletesegment handler calls it (api_recordings.go:105): the
    /// general layout parser of Go's time/format.go walked over "2006-01-02T15:04:05Z07:00", so a bad value gets Go's
    /// exact error text ("parsing time … as …: cannot parse … as …", "… out of range", "extra text"). Returns null
    /// and the time (in the given offset) on success. Works on the UTF-8 bytes, like Go's string indexing.
    /// </summary>
    public static string? ParseRfc3339(string text, out DateTimeOffset t)
    {
        const string Layout = "2006-01-02T15:04:05Z07:00";
        t = default;
        var all = Encoding.UTF8.GetBytes(text);
        var pos = 0;
        bool Digit(int i) => i < all.Length && all[i] >= '0' && all[i] <= '9';
        int Two(int i) => ((all[i] - '0') * 10) + (all[i + 1] - '0');
        string Bad(string layoutElem, int at) =>
            $"parsing time {Quote(all)} as \"{Layout}\": cannot parse {Quote(all.AsSpan(at))} as \"{layoutElem}\"";
        string Range(string what) => $"parsing time {Quote(all)}: {what} out of range";

        // A literal of the layout (skip).
        string? Lit(char c)
        {
            if (pos >= all.Length || all[pos] != c)
            {
                return Bad(c.ToString(), pos);
            }

            pos++;
            return null;
        }

        // getnum: one or two digits, two when fixed width; then the element's range check.
        string? Num(string elem, bool fixedWidth, Func<int, bool> outOfRange, string what, out int n)
        {
            n = 0;
            if (!Digit(pos) || (fixedWidth && !Digit(pos + 1)))
            {
                return Bad(elem, pos);
            }

            (n, pos) = Digit(pos + 1) ? (Two(pos), pos + 2) : (all[pos] - '0', pos + 1);
            return outOfRange(n) ? Range(what) : null;
        }

        // 2006: four bytes, all digits (atoi).
        if (all.Length < 4 || !Digit(0) || !Digit(1) || !Digit(2) || !Digit(3))
        {
            return Bad("2006", 0);
        }

        var year = (Two(0) * 100) + Two(2);
        pos = 4;
        int month = 0, day = 0, hour = 0, minute = 0, second = 0;
        var error = Lit('-')
            ?? Num("01", true, m => m is <= 0 or > 12, "month", out month)
            ?? Lit('-')
            ?? Num("02", true, _ => false, "day", out day)
            ?? Lit('T')
            ?? Num("15", false, h => h >= 24, "hour", out hour)
            ?? Lit(':')
            ?? Num("04", true, m => m >= 60, "minute", out minute)
            ?? Lit(':')
            ?? Num("05", true, x => x >= 60, "second", out second);
        if (error != null)
        {
            return error;
        }

        // A fraction after the seconds (period or comma, then digits; at most 9 digits count).
        long nanos = 0;
        if (pos + 1 < all.Length && all[pos] is (byte)'.' or (byte)',' && Digit(pos + 1))
        {
            var n = pos + 1;
            while (Digit(n))
            {
                n++;
            }

            nanos = long.Parse(Encoding.ASCII.GetString(all, pos + 1, Math.Min(n - pos - 1, 9)).PadRight(9, '0'), CultureInfo.InvariantCulture);
            pos = n;
        }

        // Z07:00
        var offsetSeconds = 0;
        if (pos < all.Length && all[pos] == 'Z')
        {
            pos++;
        }
        else
        {
            var hold = pos;
            if (all.Length - pos < 6 || all[pos + 3] != ':' || !Digit(pos + 1) || !Digit(pos + 2) || !Digit(pos + 4) || !Digit(pos + 5))
            {
                return Bad("Z07:00", hold);
            }

            int oh = Two(pos + 1), om = Two(pos + 4);
            if (om > 60 || oh > 24)
            {
                return Range(om > 60 ? "time zone offset minute" : "time zone offset hour");
            }

            if (all[pos] is not ((byte)'+' or (byte)'-'))
            {
                return Bad("Z07:00", hold);
            }

            offsetSeconds = ((oh * 60) + om) * 60 * (all[pos] == '-' ? -1 : 1);
            pos += 6;
        }

        if (pos < all.Length)
        {
            return $"parsing time {Quote(all)}: extra text: {Quote(all.AsSpan(pos))}";
        }

        // Go's daysIn: the proleptic Gregorian calendar, year 0 included (a leap year).
        var leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        var daysInMonth = month == 2 ? (leap ? 29 : 28) : DateTime.DaysInMonth(2001, month);
        if (day < 1 || day > daysInMonth)
        {
            return $"parsing time {Quote(all)}: day out of range";
        }

        // Go represents year 0 and offsets up to ±24:60; .NET does not. Say so instead of pretending.
        try
        {
            t = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.FromSeconds(offsetSeconds)).AddTicks(nanos / 100);
            return null;
        }
        catch (ArgumentException)
        {
            return $"the MediaMTX emulator cannot represent {Quote(all)} (year 0, an offset beyond ±14:00 or a UTC time outside years 1-9999); Go accepts it";
        }
    }

    /// <summary>Go time's quote(): ASCII printable kept ('"' and '\\' escaped), every other byte as \\xNN.</summary>
    private static string Quote(ReadOnlySpan<byte> s)
    {
        var sb = new StringBuilder("\"");
        foreach (var b in s)
        {
            if (b is < 0x20 or >= 0x80)
            {
                sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                continue;
            }

            if (b is (byte)'"' or (byte)'\\')
            {
                sb.Append('\\');
            }

            sb.Append((char)b);
        }

        return sb.Append('"').ToString();
    }

    /// <summary>Microseconds of a time (the %f placeholder).</summary>
    public static long Micros(DateTimeOffset t) => t.Ticks % TimeSpan.TicksPerSecond / TicksPerMicro;

    /// <summary>go-shellquote Split: whitespace separates words; single quotes are literal; double quotes and backslashes escape.</summary>
    public static IReadOnlyList<string> ShellSplit(string input)
    {
        var words = new List<string>();
        var cur = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (c is ' ' or '\t' or '\n')
            {
                if (inWord)
                {
                    words.Add(cur.ToString());
                    cur.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c == '\\' && i + 1 < input.Length)
            {
                cur.Append(input[++i]);
            }
            else if (c == '\'')
            {
                var end = input.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    throw new FormatException("Unterminated single-quoted string");
                }

                cur.Append(input, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                i++;
                while (i < input.Length && input[i] != '"')
                {
                    if (input[i] == '\\' && i + 1 < input.Length && input[i + 1] is '"' or '\\' or '$' or '`')
                    {
                        i++;
                    }

                    cur.Append(input[i]);
                    i++;
                }

                if (i >= input.Length)
                {
                    throw new FormatException("Unterminated double-quoted string");
                }
            }
            else
            {
                cur.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(cur.ToString());
        }

        return words;
    }

    /// <summary>Go os.Expand: $VAR and ${VAR}; unknown variables become empty.</summary>
    public static string Expand(string s, Func<string, string?> lookup)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '$' || i + 1 >= s.Length)
            {
                sb.Append(s[i]);
                continue;
            }

            if (s[i + 1] == '{')
            {
                var end = s.IndexOf('}', i + 2);
                if (end < 0)
                {
                    sb.Append(s[i]);
                    continue;
                }

                sb.Append(lookup(s[(i + 2)..end]) ?? string.Empty);
                i = end;
                continue;
            }

            var j = i + 1;
            while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '_'))
            {
                j++;
            }

            if (j == i + 1)
            {
                sb.Append(s[i]);
                continue;
            }

            sb.Append(lookup(s[(i + 1)..j]) ?? string.Empty);
            i = j - 1;
        }

        return sb.ToString();
    }
}

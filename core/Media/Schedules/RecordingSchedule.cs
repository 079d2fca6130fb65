using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CameraService.Abstractions;

namespace CameraService.Core.Media.Schedules;

/// <summary>
/// A weekly window of a recording schedule: on each of <see cref="Days"/> from <see cref="Start"/> to <see cref="End"/>,
/// wall-clock time in the schedule's zone. An end at or before the start ends on the next day (22:00–06:00);
/// <c>24:00</c> is the end of the day.
/// </summary>
/// <param name="Days">Wire day names (<c>mon</c> … <c>sun</c>) on which the window starts.</param>
/// <param name="Start">Wire start time, <c>HH:MM</c>.</param>
/// <param name="End">Wire end time, <c>HH:MM</c> (or <c>24:00</c>).</param>
internal sealed record ScheduleWindow(
    [property: AllowedValues("mon", "tue", "wed", "thu", "fri", "sat", "sun")] IReadOnlyList<string> Days,
    [property: Description("HH:MM")] string Start,
    [property: Description("HH:MM; 24:00 = end of the day; at or before start = on the next day")] string End);

/// <summary>A camera's recording schedule as stored and on the wire (api-contract.md §8.2).</summary>
/// <param name="Enabled">Whether the schedule drives the camera's recording.</param>
/// <param name="Windows">The weekly windows.</param>
/// <param name="TimeZone">An IANA zone id (<c>Europe/Berlin</c>); null for the box's own zone.</param>
internal sealed record RecordingSchedule(bool Enabled, IReadOnlyList<ScheduleWindow> Windows, string? TimeZone);

/// <summary>One occurrence of a window: from <see cref="Start"/> to <see cref="End"/>, instants.</summary>
internal readonly record struct WindowOccurrence(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}

/// <summary>
/// The schedule's arithmetic: validation of the wire form, and which window occurrence is open at an instant, or
/// which comes next. Wall-clock times are turned into instants in the schedule's zone one by one, so a window that
/// spans a DST change keeps the wall-clock bounds the user wrote (01:00–05:00 on the night clocks go forward is 3 h
/// long, on the night they go back 5 h). A start or end inside the spring gap is moved to the end of the gap; one in
/// the repeated autumn hour is its first occurrence.
/// </summary>
internal static class ScheduleCalendar
{
    /// <summary>The wire day names, Monday first.</summary>
    public static readonly IReadOnlyList<string> DayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>At most this many windows per camera (a week of hourly windows is 168).</summary>
    public const int MaxWindows = 200;

    /// <summary>Checks a schedule from the wire; throws -32602 naming the first bad field. Returns the zone.</summary>
    public static TimeZoneInfo Validate(RecordingSchedule schedule, TimeZoneInfo localZone)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var zone = ResolveZone(schedule.TimeZone, localZone);
        if (schedule.Windows.Count > MaxWindows)
        {
            throw new InvalidParameterException("windows", $"at most {MaxWindows} windows per camera");
        }

        for (var i = 0; i < schedule.Windows.Count; i++)
        {
            var w = schedule.Windows[i];
            if (w.Days.Count == 0)
            {
                throw new InvalidParameterException($"windows[{i}].days", "name at least one day: mon, tue, wed, thu, fri, sat, sun");
            }

            foreach (var day in w.Days)
            {
                if (!DayNames.Contains(day))
                {
                    throw new InvalidParameterException($"windows[{i}].days", $"'{day}' is not a day; use mon, tue, wed, thu, fri, sat, sun");
                }
            }

            var start = ParseTime(w.Start, $"windows[{i}].start", allowEndOfDay: false);
            var end = ParseTime(w.End, $"windows[{i}].end", allowEndOfDay: true);
            if (start == end)
            {
                throw new InvalidParameterException($"windows[{i}].end", "the window is empty (end equals start); for a whole day use 00:00 to 24:00");
            }
        }

        return zone;
    }

    /// <summary>The zone of an id, or <paramref name="localZone"/> for null; -32602 for an unknown id.</summary>
    public static TimeZoneInfo ResolveZone(string? id, TimeZoneInfo localZone)
    {
        if (id is null)
        {
            return localZone;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            throw new InvalidParameterException("time_zone", $"'{id}' is not a known IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)");
        }
    }

    /// <summary>
    /// The stretch of recording open at <paramref name="now"/>, or null. Overlapping or touching windows form one
    /// stretch (a Monday 22:00–24:00 and a Tuesday 00:00–06:00 window record through midnight without a cut).
    /// </summary>
    public static WindowOccurrence? OpenAt(RecordingSchedule schedule, TimeZoneInfo zone, DateTimeOffset now) =>
        Stretches(schedule, zone, now).Where(o => o.Contains(now)).Select(o => (WindowOccurrence?)o).FirstOrDefault();

    /// <summary>The first stretch starting after <paramref name="now"/> (within the next week), or null.</summary>
    public static WindowOccurrence? NextAfter(RecordingSchedule schedule, TimeZoneInfo zone, DateTimeOffset now) =>
        Stretches(schedule, zone, now).Where(o => o.Start > now).Select(o => (WindowOccurrence?)o).FirstOrDefault();

    /// <summary>The occurrences of every window from the day before <paramref name="instant"/> to 8 days after, merged and in order.</summary>
    private static List<WindowOccurrence> Stretches(RecordingSchedule schedule, TimeZoneInfo zone, DateTimeOffset instant)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        var windows = schedule.Windows
            .Select(w => (w.Days, Start: ParseTime(w.Start, "start", allowEndOfDay: false), End: ParseTime(w.End, "end", allowEndOfDay: true)))
            .ToList();
        var all = new List<WindowOccurrence>();
        for (var offset = -1; offset <= 8; offset++)
        {
            var day = today.AddDays(offset);
            var name = DayNames[((int)day.DayOfWeek + 6) % 7];
            foreach (var (_, start, end) in windows.Where(w => w.Days.Contains(name)))
            {
                var endDay = end <= start ? day.AddDays(1) : day;
                var occurrence = new WindowOccurrence(ToInstant(day, start, zone), ToInstant(endDay, end, zone));
                if (occurrence.End > occurrence.Start)
                {
                    all.Add(occurrence);
                }
            }
        }

        all.Sort((a, b) => a.Start.CompareTo(b.Start));
        var merged = new List<WindowOccurrence>(all.Count);
        foreach (var o in all)
        {
            if (merged.Count > 0 && o.Start <= merged[^1].End)
            {
                merged[^1] = merged[^1] with { End = o.End > merged[^1].End ? o.End : merged[^1].End };
            }
            else
            {
                merged.Add(o);
            }
        }

        return merged;
    }

    /// <summary>A wall-clock time of a day in a zone as an instant (gap: moved past it; repeated hour: first occurrence).</summary>
    internal static DateTimeOffset ToInstant(DateOnly day, TimeSpan timeOfDay, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified) + timeOfDay;
        if (zone.IsInvalidTime(local))
        {
            // In the spring gap: the wall clock jumps over it; a bound inside it is the instant of the jump, the
            // first instant whose wall-clock time is at or after the one written (gaps are whole minutes).
            var probe = new DateTimeOffset(local - zone.GetUtcOffset(local.AddDays(1)), TimeSpan.Zero);
            var latest = new DateTimeOffset(local - zone.GetUtcOffset(local.AddDays(-1)), TimeSpan.Zero);
            if (latest < probe)
            {
                (probe, latest) = (latest, probe);
            }

            while (probe < latest && TimeZoneInfo.ConvertTime(probe, zone).DateTime < local)
            {
                probe = probe.AddMinutes(1);
            }

            return probe;
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }

    private static TimeSpan ParseTime(string text, string field, bool allowEndOfDay)
    {
        if (allowEndOfDay && text == "24:00")
        {
            return TimeSpan.FromHours(24);
        }

        return text.Length == 5 && TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time.ToTimeSpan()
            : throw new InvalidParameterException(field, $"'{text}' is not a time; use HH:MM (00:00 to 23:59{(allowEndOfDay ? ", or 24:00" : "")})");
    }
}

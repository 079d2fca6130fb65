using System.CommandLine;
using System.Text.RegularExpressions;
using CameraService.Client;
using Spectre.Console;

namespace CameraService.Camctl;

/// <summary><c>camctl schedule show|set|list</c>: a camera's weekly recording windows.</summary>
internal static partial class Program
{
    private static readonly string[] WeekDays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    private static void AddScheduleCommands(RootCommand root, Io io, Argument<string> device)
    {
        var schedule = new Command("schedule", "Recording schedules: weekly windows in which a camera records");
        Add(schedule, new Command("show", "Show a camera's recording schedule and what it does now") { device }, io, async (c, o, p, ct) =>
        {
            var s = await c.GetRecordingScheduleAsync(p.GetValue(device)!, ct);
            o.Write(s, con => WriteSchedule(con, s));
        });

        var windows = new Argument<string[]>("window")
        {
            Description = "Windows as DAYS@HH:MM-HH:MM, e.g. mon-fri@08:00-18:00 sat,sun@22:00-06:00 daily@00:00-24:00",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var zone = new Option<string?>("--tz") { Description = "IANA time zone of the windows, e.g. Europe/Berlin (default: the service box's zone)" };
        var disable = new Option<bool>("--disable") { Description = "Keep the windows but stop the schedule from recording" };
        Add(schedule, new Command("set", "Replace a camera's recording windows (operator)") { device, windows, zone, disable }, io, async (c, o, p, ct) =>
        {
            var id = p.GetValue(device)!;
            var given = (p.GetValue(windows) ?? []).Select(ParseWindow).ToList();
            var enabled = !p.GetValue(disable);
            string? timeZone = p.GetValue(zone);
            if (given.Count == 0)
            {
                if (enabled)
                {
                    throw new UsageException("give at least one window (e.g. mon-fri@08:00-18:00), or --disable to switch the schedule off");
                }

                // Switching off keeps what is stored, so it can be switched on again as it was.
                var current = await c.GetRecordingScheduleAsync(id, ct);
                given = [.. current.Windows];
                timeZone ??= current.TimeZone;
            }

            var s = await c.SetRecordingScheduleAsync(id, enabled, given, timeZone, ct);
            o.Write(s, con => WriteSchedule(con, s));
        });

        Add(schedule, new Command("list", "Every camera that has a recording schedule"), io, async (c, o, _, ct) =>
        {
            var list = await c.ListRecordingSchedulesAsync(ct);
            o.Write(list, con =>
            {
                var t = Output.Table("CAMERA", "ENABLED", "ZONE", "WINDOWS", "NOW");
                foreach (var s in list.Schedules)
                {
                    t.AddRow(Markup.Escape(s.Device), s.Enabled ? "yes" : "no", Markup.Escape(s.TimeZone), Markup.Escape(string.Join("  ", s.Windows.Select(FormatWindow))), Markup.Escape(Now(s)));
                }

                con.Write(t);
                con.MarkupLineInterpolated($"{list.Total} camera(s) with a schedule");
            });
        });
        root.Subcommands.Add(schedule);
    }

    /// <summary>Parses <c>DAYS@HH:MM-HH:MM</c>: days as a list (<c>mon,wed</c>), a range (<c>mon-fri</c>), or <c>daily</c>.</summary>
    internal static ScheduleWindow ParseWindow(string text)
    {
        var m = WindowText().Match(text);
        if (!m.Success)
        {
            throw new UsageException($"'{text}' is not a window; write DAYS@HH:MM-HH:MM, e.g. mon-fri@08:00-18:00");
        }

        var days = new List<string>();
        foreach (var part in m.Groups["days"].Value.ToLowerInvariant().Split(','))
        {
            if (part is "daily" or "all")
            {
                days.AddRange(WeekDays);
                continue;
            }

            var range = part.Split('-');
            var from = Array.IndexOf(WeekDays, range[0]);
            var to = range.Length == 2 ? Array.IndexOf(WeekDays, range[1]) : from;
            if (range.Length > 2 || from < 0 || to < 0 || to < from)
            {
                throw new UsageException($"'{part}' in the window '{text}' is not a day or a day range (mon … sun, e.g. mon-fri)");
            }

            days.AddRange(WeekDays[from..(to + 1)]);
        }

        return new ScheduleWindow([.. days.Distinct(StringComparer.Ordinal)], m.Groups["start"].Value, m.Groups["end"].Value);
    }

    private static void WriteSchedule(IAnsiConsole con, RecordingSchedule s)
    {
        con.MarkupLineInterpolated($"{s.Device}: schedule {(s.Enabled ? "enabled" : "disabled")}, time zone {s.TimeZone}");
        foreach (var w in s.Windows)
        {
            con.MarkupLineInterpolated($"  {FormatWindow(w)}");
        }

        con.MarkupLineInterpolated($"Now: {Now(s)}");
    }

    private static string FormatWindow(ScheduleWindow w) => string.Join(',', w.Days) + "@" + w.Start + "-" + w.End;

    private static string Now(RecordingSchedule s) =>
        s.HeldOff ? "held off by a stop until the next window"
        : s.Active ? $"recording window open until {s.WindowEnd:u}"
        : s.NextStart is { } next ? $"next window {next:u}"
        : s.Enabled ? "no window in the coming week" : "off";

    [GeneratedRegex(@"^(?<days>[A-Za-z,\-]+)@(?<start>\d{2}:\d{2})-(?<end>\d{2}:\d{2})$")]
    private static partial Regex WindowText();
}

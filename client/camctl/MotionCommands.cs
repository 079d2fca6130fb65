using System.CommandLine;
using CameraService.Client;
using Spectre.Console;

namespace CameraService.Camctl;

/// <summary><c>camctl motion show|set|list</c>: a camera's motion detection and motion recording.</summary>
internal static partial class Program
{
    private static void AddMotionCommands(RootCommand root, Io io, Argument<string> device)
    {
        var motion = new Command("motion", "Motion detection: motion_detected events and motion-triggered recording");
        Add(motion, new Command("show", "Show a camera's motion detection and what it sees now") { device }, io, async (c, o, p, ct) =>
        {
            var m = await c.GetMotionDetectionAsync(p.GetValue(device)!, ct);
            o.Write(m, con => WriteMotion(con, m));
        });

        var state = new Argument<string>("on|off") { Description = "Turn detection on or off" };
        state.AcceptOnlyFromAmong("on", "off");
        var threshold = new Option<int?>("--threshold") { Description = "Brightness change of a pixel (1-255) that counts as changed; lower = more sensitive" };
        var minArea = new Option<double?>("--min-area") { Description = "Percent of the picture (0.01-100) that must change; lower = more sensitive" };
        var record = new Option<bool?>("--record") { Description = "Whether motion records (true/false)" };
        var pre = new Option<int?>("--pre") { Description = "Seconds before the motion a recording includes (0-30)" };
        var post = new Option<int?>("--post") { Description = "Seconds a recording goes on after the last motion" };
        Add(motion, new Command("set", "Turn a camera's motion detection on or off (operator); options left out keep their value") { device, state, threshold, minArea, record, pre, post }, io, async (c, o, p, ct) =>
        {
            var m = await c.SetMotionDetectionAsync(
                p.GetValue(device)!, p.GetValue(state) == "on", p.GetValue(threshold), p.GetValue(minArea), p.GetValue(record), p.GetValue(pre), p.GetValue(post), ct);
            o.Write(m, con => WriteMotion(con, m));
        });

        Add(motion, new Command("list", "Every camera's motion detection"), io, async (c, o, _, ct) =>
        {
            var list = await c.ListMotionDetectionAsync(ct);
            o.Write(list, con =>
            {
                var t = Output.Table("CAMERA", "DETECTION", "THRESHOLD", "MIN AREA %", "RECORD", "NOW");
                foreach (var m in list.Cameras)
                {
                    t.AddRow(Markup.Escape(m.Device), Markup.Escape(m.State), m.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        m.MinArea.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), m.Record ? $"yes (-{m.PreSeconds}s/+{m.PostSeconds}s)" : "no", m.Motion ? "MOTION" : "-");
                }

                con.Write(t);
                con.MarkupLineInterpolated($"{list.Total} camera(s)");
            });
        });
        root.Subcommands.Add(motion);
    }

    private static void WriteMotion(IAnsiConsole con, MotionDetection m)
    {
        con.MarkupLineInterpolated($"{m.Device}: motion detection {(m.Enabled ? "on" : "off")} ({m.State}), threshold {m.Threshold}, min area {m.MinArea:0.##} %");
        con.MarkupLineInterpolated($"Recording on motion: {(m.Record ? $"yes, {m.PreSeconds} s before, {m.PostSeconds} s after the last motion" : "no")}");
        con.MarkupLineInterpolated($"Now: {(m.Motion ? "motion" : "no motion")}{(m.LastMotion is { } t ? $", last motion {t:u}" : string.Empty)}");
        if (m.LastError is { } error)
        {
            con.MarkupLineInterpolated($"Last error: {error}");
        }
    }
}

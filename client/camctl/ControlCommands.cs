using System.CommandLine;
using System.Globalization;
using CameraService.Client;
using Spectre.Console;

namespace CameraService.Camctl;

/// <summary><c>camctl controls</c>, <c>camctl set</c>, <c>camctl reset</c>.</summary>
internal static partial class Program
{
    private static void AddControlCommands(RootCommand root, Io io, Argument<string> device)
    {
        Add(root, new Command("controls", "List a camera's controls (brightness, exposure, focus, pan/tilt/zoom…)") { device }, io, async (c, o, p, ct) =>
        {
            var result = await c.GetCameraControlsAsync(p.GetValue(device)!, ct);
            o.Write(result, con =>
            {
                if (result.Controls.Count == 0)
                {
                    con.MarkupLine("This camera has no controls.");
                    return;
                }

                var t = Output.Table("CONTROL", "TYPE", "VALUE", "DEFAULT", "RANGE", "FLAGS");
                foreach (var k in result.Controls)
                {
                    t.AddRow(Markup.Escape(k.Name), Markup.Escape(k.Type), Markup.Escape(Describe(k, k.Value)), Markup.Escape(Describe(k, k.Default)),
                        Markup.Escape(Range(k)), Markup.Escape(Flags(k)));
                }

                con.Write(t);
            });
        });

        var assignments = new Argument<string[]>("name=value") { Description = "Values to set, e.g. brightness=140 auto_exposure=1 power_line_frequency=\"50 Hz\"", Arity = ArgumentArity.OneOrMore };
        var noPersist = new Option<bool>("--no-persist") { Description = "Do not keep the values across replug and restart" };
        Add(root, new Command("set", "Set camera controls, all or nothing (operator)") { device, assignments, noPersist }, io, async (c, o, p, ct) =>
        {
            var id = p.GetValue(device)!;
            var parsed = ParseAssignments(p.GetValue(assignments) ?? []);

            // Booleans and menu labels are resolved against the camera's own list, so a typo is named before anything is sent.
            IReadOnlyList<CameraControl>? known = parsed.Values.Any(v => v.Number is null) ? (await c.GetCameraControlsAsync(id, ct)).Controls : null;
            var values = parsed.ToDictionary(a => a.Key, a => a.Value.Number ?? Resolve(a.Key, a.Value.Text, known!), StringComparer.Ordinal);
            var result = await c.SetCameraControlsAsync(id, values, !p.GetValue(noPersist), ct);
            o.Write(result, con =>
            {
                foreach (var (name, value) in result.Applied)
                {
                    con.MarkupLineInterpolated($"{name} = {value}");
                }

                con.MarkupLine(result.Persisted ? "Saved: re-applied when the camera is replugged or the service restarts." : "Not saved (--no-persist).");
            });
        });

        Add(root, new Command("reset", "Restore a camera's default control values and forget saved ones (operator)") { device }, io, async (c, o, p, ct) =>
        {
            var result = await c.ResetCameraControlsAsync(p.GetValue(device)!, ct);
            o.Write(result, con =>
            {
                con.MarkupLineInterpolated($"{result.Device}: {result.Applied.Count} control(s) back to their defaults; saved values forgotten.");
                foreach (var (name, reason) in result.Skipped ?? new Dictionary<string, string>())
                {
                    con.MarkupLineInterpolated($"  {name} left as it is ({reason})");
                }
            });
        });
    }

    /// <summary>Parses <c>name=value</c> words; a number stays a number, anything else is resolved later.</summary>
    internal static Dictionary<string, (long? Number, string Text)> ParseAssignments(IEnumerable<string> words)
    {
        var result = new Dictionary<string, (long?, string)>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == word.Length - 1)
            {
                throw new UsageException($"'{word}' is not name=value (e.g. brightness=140)");
            }

            var name = word[..eq].Trim();
            var text = word[(eq + 1)..].Trim();
            if (!result.TryAdd(name, (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null, text)))
            {
                throw new UsageException($"'{name}' is given twice");
            }
        }

        return result;
    }

    private static long Resolve(string name, string text, IReadOnlyList<CameraControl> controls)
    {
        var control = controls.FirstOrDefault(k => k.Name == name)
            ?? throw new UsageException($"The camera has no control '{name}'. List them with camctl controls <camera>.");
        if (control.Type == "boolean")
        {
            return text.ToLowerInvariant() switch
            {
                "true" or "on" or "yes" => 1,
                "false" or "off" or "no" => 0,
                _ => throw new UsageException($"{name} is a boolean: use 0/1, on/off or true/false (got '{text}')"),
            };
        }

        return control.Menu?.FirstOrDefault(m => string.Equals(m.Label, text, StringComparison.OrdinalIgnoreCase))?.Value
            ?? throw new UsageException(control.Menu is { Count: > 0 } menu
                ? $"{name} has no entry '{text}'; choose one of: {string.Join(", ", menu.Select(m => $"{m.Value} ({m.Label})"))}"
                : $"{name} takes an integer (got '{text}')");
    }

    private static string Describe(CameraControl k, long? value) => value is not { } v
        ? "-"
        : k.Menu?.FirstOrDefault(m => m.Value == v) is { } entry ? $"{v} ({entry.Label})" : v.ToString(CultureInfo.InvariantCulture);

    private static string Range(CameraControl k) => k.Type switch
    {
        "boolean" => "0|1",
        "button" => "-",
        "menu" => string.Join("|", (k.Menu ?? []).Select(m => m.Value.ToString(CultureInfo.InvariantCulture))),
        _ => k.Step > 1 ? $"{k.Min}..{k.Max} step {k.Step}" : $"{k.Min}..{k.Max}",
    };

    private static string Flags(CameraControl k) => string.Join(
        ",",
        new[] { (k.ReadOnly, "read-only"), (k.Inactive, "inactive"), (k.Grabbed, "grabbed"), (k.Relative, "relative"), (k.AutoMode, "auto"), (k.Persisted, "saved") }
            .Where(f => f.Item1).Select(f => f.Item2));
}

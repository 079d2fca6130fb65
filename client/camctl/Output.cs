using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace CameraService.Camctl;

/// <summary>Writes results as tables for people or as JSON (<c>--json</c>) for scripts.</summary>
internal sealed class Output(IAnsiConsole console, TextWriter raw, bool json)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public bool Json { get; } = json;

    public IAnsiConsole Console { get; } = console;

    /// <summary>Where this invocation connected (downloads send its token to the same service).</summary>
    public ConnectionSettings? Settings { get; set; }

    /// <summary>In JSON mode writes <paramref name="value"/>; otherwise runs <paramref name="human"/>.</summary>
    public void Write<T>(T value, Action<IAnsiConsole> human)
    {
        if (Json)
        {
            raw.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        }
        else
        {
            human(Console);
        }
    }

    private static readonly JsonSerializerOptions JsonLineOptions = new(JsonOptions) { WriteIndented = false };

    /// <summary>Like <see cref="Write"/>, but JSON goes out as one line (JSON Lines, for streams such as <c>camctl events --json</c>).</summary>
    public void WriteLine<T>(T value, Action<IAnsiConsole> human)
    {
        if (Json)
        {
            raw.WriteLine(JsonSerializer.Serialize(value, JsonLineOptions));
            raw.Flush();
        }
        else
        {
            human(Console);
        }
    }

    public void Error(string message)
    {
        if (Json)
        {
            raw.WriteLine(JsonSerializer.Serialize(new { error = message }, JsonOptions));
        }
        else
        {
            Console.MarkupLineInterpolated($"[red]error:[/] {message}");
        }
    }

    public static Table Table(params string[] columns)
    {
        var t = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            t.AddColumn(c);
        }

        return t;
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:F1} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / 1048576.0:F1} MiB",
        _ => $"{bytes / 1073741824.0:F2} GiB",
    };
}

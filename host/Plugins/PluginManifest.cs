using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameraService.Host.Plugins;

/// <summary>The <c>plugin.json</c> of a plugin folder.</summary>
internal sealed record PluginManifest(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("abstractions")] string? Abstractions,
    [property: JsonPropertyName("assembly")] string? Assembly,
    [property: JsonPropertyName("description")] string? Description)
{
    public const string FileName = "plugin.json";

    /// <summary>Reads and checks a manifest; returns the error that makes it unusable, or null.</summary>
    public static (PluginManifest? Manifest, string? Error) Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return (null, $"no {FileName} in the plugin folder; every plugin folder needs a manifest with id, version, abstractions and assembly");
        }

        PluginManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllText(path), ManifestJsonContext.Default.PluginManifest);
        }
        catch (JsonException ex)
        {
            return (null, $"{FileName} is not valid JSON ({ex.Message})");
        }

        if (manifest is null)
        {
            return (null, $"{FileName} is empty");
        }

        if (string.IsNullOrWhiteSpace(manifest.Id) || !IsValidId(manifest.Id))
        {
            return (manifest, $"{FileName}: 'id' must be lower-case letters, digits or '-' (got '{manifest.Id}')");
        }

        if (string.IsNullOrWhiteSpace(manifest.Version))
        {
            return (manifest, $"{FileName}: 'version' is required");
        }

        if (!TryParseAbstractions(manifest.Abstractions, out _))
        {
            return (manifest, $"{FileName}: 'abstractions' must be the targeted SDK version as 'major.minor' (got '{manifest.Abstractions}')");
        }

        if (string.IsNullOrWhiteSpace(manifest.Assembly) || !manifest.Assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return (manifest, $"{FileName}: 'assembly' must name the entry .dll in the plugin folder");
        }

        // The entry assembly must be a plain file name inside the folder: no separators, no '..', no rooted path.
        if (manifest.Assembly != Path.GetFileName(manifest.Assembly) || manifest.Assembly.Contains("..", StringComparison.Ordinal))
        {
            return (manifest, $"{FileName}: 'assembly' must be a file name inside the plugin folder, not a path ('{manifest.Assembly}' points outside it)");
        }

        var full = Path.GetFullPath(Path.Combine(directory, manifest.Assembly));
        var root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            return (manifest, $"{FileName}: 'assembly' points outside the plugin folder");
        }

        return (manifest, null);
    }

    public static bool TryParseAbstractions(string? text, out Version version)
    {
        version = new Version(0, 0);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor) || major < 0 || minor < 0)
        {
            return false;
        }

        version = new Version(major, minor);
        return true;
    }

    private static bool IsValidId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}

[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(PluginManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

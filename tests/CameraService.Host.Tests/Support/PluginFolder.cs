using System.Text.Json.Nodes;

namespace CameraService.Tests.Support;

/// <summary>A temporary plugins folder assembled from built fixture plugins; deleted on dispose.</summary>
internal sealed class PluginFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("cs-plugins-").FullName;

    /// <summary>Copies the built fixture <paramref name="fixtureId"/> into <c>&lt;folder&gt;/&lt;folderName&gt;</c>, leaving out <paramref name="without"/>.</summary>
    public string Add(string fixtureId, string? folderName = null, params string[] without)
    {
        var source = System.IO.Path.Combine(RepositoryPaths.FixturePlugins, fixtureId);
        if (!Directory.Exists(source))
        {
            throw new InvalidOperationException($"Fixture plugin '{fixtureId}' is not built at {source}; build tests/CameraService.Host.Tests (it builds tests/Fixtures/*).");
        }

        var target = System.IO.Path.Combine(Path, folderName ?? fixtureId);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var name = System.IO.Path.GetFileName(file);
            if (!without.Contains(name, StringComparer.Ordinal))
            {
                File.Copy(file, System.IO.Path.Combine(target, name));
            }
        }

        return target;
    }

    /// <summary>Rewrites the plugin.json of <paramref name="folderName"/>.</summary>
    public void EditManifest(string folderName, Action<JsonObject> edit)
    {
        var file = System.IO.Path.Combine(Path, folderName, "plugin.json");
        var json = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        edit(json);
        File.WriteAllText(file, json.ToJsonString());
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

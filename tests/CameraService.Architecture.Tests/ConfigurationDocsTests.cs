using System.Text.Json;
using System.Text.RegularExpressions;
using CameraService.Tests.Support;

namespace CameraService.Architecture.Tests;

/// <summary>
/// Keeps the configuration reference from drifting: every key the host reads (host/Configuration/ConfigurationKeys.cs)
/// and every property of every options class in the built host, core and plugin assemblies must appear as the first
/// cell of a table row in some docs/*.md file (docs/configuration.md for the host; each area documents its own).
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    /// <summary>
    /// Keys the core reads straight from IConfiguration, without an options class: component selection
    /// (core/Plugins/ActiveComponents.cs), media methods (core/Methods/MediaMethods.cs), the metrics endpoint and the
    /// alert monitor (core/Metrics, core/Health). Move them into options classes with a SectionName and delete this list.
    /// </summary>
    private static readonly string[] CoreKeysWithoutOptionsClass =
    [
        "CameraService:StreamBackend", "CameraService:MediaStore", "CameraService:CameraSources", "CameraService:Transports",
        "Snapshots:Timeout", "Metrics:RequireToken", "Alerts:IntervalSeconds",
        .. new[] { "P95LatencyMs", "ErrorRatePercent", "CpuPercent", "MemoryMb", "Connections" }
            .SelectMany(name => new[] { $"Alerts:{name}:Warning", $"Alerts:{name}:Critical" }),
    ];

    private static string AbstractionsDll =>
        Path.Combine(RepositoryPaths.Root, "abstractions", "bin", RepositoryPaths.Configuration, RepositoryPaths.TargetFramework, "CameraService.Abstractions.dll");

    [Fact]
    public void Docs_EveryConfigurationKey_IsDocumentedInADocsTable()
    {
        var documented = DocumentedKeys();
        var missing = new List<string>();
        foreach (var (key, where) in AllKeys())
        {
            if (!IsDocumented(key, documented))
            {
                missing.Add($"{key}  (from {where})");
            }
        }

        Assert.True(missing.Count == 0,
            "These configuration keys are not documented in any docs/*.md table (first cell of a `| key | default | meaning |` row):\n  " +
            string.Join("\n  ", missing));
    }

    [Fact]
    public void Options_EveryOptionsClass_DeclaresSectionName()
    {
        var offenders = ProductAssemblies().SelectMany(a => OptionsKeyCollector.Scan(a.Path, AbstractionsDll).MissingSectionName.Select(t => $"{t} in {a.Name}")).ToList();

        Assert.True(offenders.Count == 0,
            "Options classes must declare `public const string SectionName = \"Section:Path\";` (the section they bind from):\n  " +
            string.Join("\n  ", offenders));
    }

    [Fact]
    public void Scan_FixtureOptions_CollectsKeysAndFlagsClassesWithoutSectionName()
    {
        var good = Path.Combine(RepositoryPaths.FixturePlugins, "good", "Fixtures.Good.dll");

        var scan = OptionsKeyCollector.Scan(good, AbstractionsDll);

        Assert.Equal(["Plugins:good:Alias", "Plugins:good:Channels:<key>:Label", "Plugins:good:Greeting", "Plugins:good:Limits:Depth"], scan.Keys);
        Assert.Equal(["CameraService.Tests.Fixtures.UnsectionedOptions"], scan.MissingSectionName);
    }

    [Theory]
    [InlineData("Plugins:V4l2:DeviceRoot", "plugins:v4l2:deviceroot", true)]
    [InlineData("Plugins:<Id>:Enabled", "Plugins:<Id>:Enabled", true)]
    [InlineData("Auth:ApiKeys", "Auth:ApiKeys:<n>", true)]
    [InlineData("Api:Port", "Api:PortRange", false)]
    [InlineData("Plugins:V4l2:Cameras:<key>:Fps", "Plugins:V4l2:Cameras:<stableId>:Fps", true)]
    [InlineData("Plugins:V4l2:Cameras:<key>:Fps", "Plugins:V4l2:Cameras:usb-1:Fps", false)]
    public void IsDocumented_MatchesCaseInsensitiveAndSubKeys(string key, string documentedKey, bool expected) =>
        Assert.Equal(expected, IsDocumented(key, [documentedKey]));

    /// <summary>
    /// Whether a documented key equals <paramref name="key"/> or is one of its sub-keys, case-insensitively; a
    /// placeholder segment (<c>&lt;key&gt;</c>, <c>&lt;stableId&gt;</c>, …) matches any other placeholder.
    /// </summary>
    private static bool IsDocumented(string key, IReadOnlyCollection<string> documented)
    {
        var normalized = Placeholder().Replace(key, "<>");
        return documented.Select(d => Placeholder().Replace(d, "<>")).Any(d =>
            string.Equals(d, normalized, StringComparison.OrdinalIgnoreCase)
            || d.StartsWith(normalized + ":", StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<(string Key, string Where)> AllKeys()
    {
        var hostDll = Path.Combine(RepositoryPaths.HostOutput, "camera-service.dll");
        foreach (var key in OptionsKeyCollector.ConstantStrings(hostDll, "CameraService.Host.Configuration.ConfigurationKeys"))
        {
            yield return (key, "host ConfigurationKeys");
        }

        foreach (var key in CoreKeysWithoutOptionsClass)
        {
            yield return (key, "core, read without an options class");
        }

        foreach (var (name, path) in ProductAssemblies())
        {
            foreach (var key in OptionsKeyCollector.Scan(path, AbstractionsDll).Keys)
            {
                yield return (key, name);
            }
        }
    }

    /// <summary>The host, the core and every deployed in-repo plugin (entry assembly from its plugin.json).</summary>
    private static IEnumerable<(string Name, string Path)> ProductAssemblies()
    {
        yield return ("host", Path.Combine(RepositoryPaths.HostOutput, "camera-service.dll"));
        yield return ("core", Path.Combine(RepositoryPaths.HostOutput, "CameraService.Core.dll"));
        var pluginsRoot = Path.Combine(RepositoryPaths.HostOutput, "plugins");
        Assert.True(Directory.Exists(pluginsRoot), $"{pluginsRoot} does not exist; build the host first.");
        foreach (var folder in Directory.EnumerateDirectories(pluginsRoot).Order(StringComparer.Ordinal))
        {
            var manifestFile = Path.Combine(folder, "plugin.json");
            if (!File.Exists(manifestFile))
            {
                continue;
            }

            using var manifest = JsonDocument.Parse(File.ReadAllText(manifestFile));
            var assembly = manifest.RootElement.GetProperty("assembly").GetString()!;
            yield return ($"plugin {Path.GetFileName(folder)}", Path.Combine(folder, assembly));
        }
    }

    /// <summary>The first cell of every table row of every docs/*.md file, without backticks.</summary>
    internal static List<string> DocumentedKeys()
    {
        var docs = Path.Combine(RepositoryPaths.Root, "docs");
        if (!Directory.Exists(docs))
        {
            return [];
        }

        return Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => TableRow().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["first"].Value.Replace("`", string.Empty, StringComparison.Ordinal).Trim())
            .Where(cell => cell.Length > 0)
            .ToList();
    }

    [GeneratedRegex(@"^\s*\|(?<first>[^|]*)\|")]
    private static partial Regex TableRow();

    [GeneratedRegex("<[^<>:]+>")]
    private static partial Regex Placeholder();
}

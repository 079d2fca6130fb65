using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using CameraService.Tests.Support;

namespace CameraService.Architecture.Tests;

/// <summary>One of our product projects: its project file and its built assembly.</summary>
public sealed record ProductProject(string Kind, string ProjectFile)
{
    public string Folder => Path.GetDirectoryName(ProjectFile)!;

    public XDocument Xml => XDocument.Load(ProjectFile);

    /// <summary>AssemblyName from the project file, or the project file's name.</summary>
    public string AssemblyName =>
        Xml.Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0)
        ?? Path.GetFileNameWithoutExtension(ProjectFile);

    public string AssemblyPath =>
        Path.Combine(Folder, "bin", RepositoryPaths.Configuration, RepositoryPaths.TargetFramework, AssemblyName + ".dll");

    /// <summary>Project references that make the project compile against another project's assembly.</summary>
    public IReadOnlyList<string> CompileProjectReferences() =>
        Xml.Descendants("ProjectReference")
            .Where(e => !string.Equals((string?)e.Attribute("ReferenceOutputAssembly") ?? e.Element("ReferenceOutputAssembly")?.Value, "false", StringComparison.OrdinalIgnoreCase))
            .Select(e => ((string?)e.Attribute("Include") ?? string.Empty).Replace('\\', '/'))
            .Where(include => include.Length > 0)
            .ToList();

    /// <summary>Every project reference, including build-order-only ones.</summary>
    public IReadOnlyList<string> AllProjectReferences() =>
        Xml.Descendants("ProjectReference")
            .Select(e => ((string?)e.Attribute("Include") ?? string.Empty).Replace('\\', '/'))
            .Where(include => include.Length > 0)
            .ToList();

    /// <summary>The assembly references in the built assembly's metadata.</summary>
    public IReadOnlyList<string> BuiltAssemblyReferences()
    {
        Assert.True(File.Exists(AssemblyPath), $"{AssemblyPath} is not built; build {ProjectFile} first.");
        using var stream = File.OpenRead(AssemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        return reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToList();
    }

    public override string ToString() => Path.GetRelativePath(RepositoryPaths.Root, ProjectFile);
}

/// <summary>Finds the product projects: abstractions, core, host, and every plugins/*/ folder.</summary>
public static class ProjectGraph
{
    public const string AbstractionsAssembly = "CameraService.Abstractions";
    public const string CoreAssembly = "CameraService.Core";

    public static ProductProject Abstractions => Single("abstractions");

    public static ProductProject Core => Single("core");

    public static ProductProject Host => Single("host");

    /// <summary>Every plugin project, found by globbing plugins/*/*.csproj, so a new plugin is covered without editing the tests.</summary>
    public static IReadOnlyList<ProductProject> Plugins =>
        Directory.EnumerateDirectories(Path.Combine(RepositoryPaths.Root, "plugins"))
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*.csproj"))
            .Order(StringComparer.Ordinal)
            .Select(file => new ProductProject("plugin", file))
            .ToList();

    public static IReadOnlyList<ProductProject> All => [Abstractions, Core, Host, .. Plugins];

    /// <summary>
    /// The one assembly of ours besides its own that a plugin folder of a DEVELOPMENT build (the host's bin folder)
    /// may hold: the v4l2 plugin's fake-device mode, installed there by tests/CameraService.Plugins.V4l2.Fakes and
    /// loaded by the plugin itself into its own context. Release layouts never have it (DebianPackageTests).
    /// </summary>
    public static string? DevelopmentExtensionOf(string pluginId) => pluginId == "v4l2" ? "CameraService.Plugins.V4l2.Fakes" : null;

    /// <summary>Names of all our assemblies: every product project's, plus anything named CameraService.*.</summary>
    public static bool IsOurs(string assemblyName) =>
        assemblyName.StartsWith("CameraService.", StringComparison.Ordinal)
        || All.Any(p => string.Equals(p.AssemblyName, assemblyName, StringComparison.Ordinal));

    /// <summary>The project file a reference include points at, as a full path.</summary>
    public static string Resolve(ProductProject from, string include) => Path.GetFullPath(Path.Combine(from.Folder, include));

    private static ProductProject Single(string folder)
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, folder), "*.csproj");
        Assert.True(files.Length == 1, $"expected one project in {folder}/");
        return new ProductProject(folder, files[0]);
    }
}

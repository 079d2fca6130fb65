using CameraService.Tests.Support;

namespace CameraService.Architecture.Tests;

/// <summary>
/// The dependency rules of architecture.md, checked in the project files and in the built assemblies:
/// abstractions depend on nothing of ours; core and every plugin only on the abstractions; the host on core
/// and abstractions, never on a plugin (plugins are loaded from disk).
/// </summary>
public sealed class DependencyRuleTests
{
    public static TheoryData<string> PluginProjects()
    {
        var data = new TheoryData<string>();
        foreach (var plugin in ProjectGraph.Plugins)
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Root, plugin.ProjectFile));
        }

        return data;
    }

    [Fact]
    public void Plugins_Glob_FindsTheInRepoPlugins()
    {
        var folders = ProjectGraph.Plugins.Select(p => Path.GetFileName(p.Folder)).ToList();

        Assert.Superset(new HashSet<string>(["mediamtx", "storage", "v4l2", "websocket"]), folders.ToHashSet());
    }

    [Fact]
    public void Abstractions_BuiltAssembly_ReferencesNothingOfOurs() =>
        AssertOnlyOurs(ProjectGraph.Abstractions.BuiltAssemblyReferences(), [], ProjectGraph.Abstractions);

    [Fact]
    public void Abstractions_ProjectFile_HasNoProjectReferences() =>
        Assert.Empty(ProjectGraph.Abstractions.AllProjectReferences());

    [Fact]
    public void Core_BuiltAssembly_ReferencesOnlyTheAbstractions() =>
        AssertOnlyOurs(ProjectGraph.Core.BuiltAssemblyReferences(), [ProjectGraph.AbstractionsAssembly], ProjectGraph.Core);

    [Fact]
    public void Core_ProjectFile_ReferencesOnlyTheAbstractions() =>
        AssertProjectReferences(ProjectGraph.Core, ProjectGraph.Core.AllProjectReferences(), [ProjectGraph.Abstractions]);

    [Fact]
    public void Host_BuiltAssembly_ReferencesOnlyCoreAndAbstractions() =>
        AssertOnlyOurs(ProjectGraph.Host.BuiltAssemblyReferences(), [ProjectGraph.AbstractionsAssembly, ProjectGraph.CoreAssembly], ProjectGraph.Host);

    [Fact]
    public void Host_ProjectFile_CompilesOnlyAgainstCoreAndAbstractions() =>
        AssertProjectReferences(ProjectGraph.Host, ProjectGraph.Host.CompileProjectReferences(), [ProjectGraph.Abstractions, ProjectGraph.Core]);

    [Theory]
    [MemberData(nameof(PluginProjects))]
    public void Plugin_BuiltAssembly_ReferencesOnlyTheAbstractions(string projectFile)
    {
        var plugin = new ProductProject("plugin", Path.Combine(RepositoryPaths.Root, projectFile));

        AssertOnlyOurs(plugin.BuiltAssemblyReferences(), [ProjectGraph.AbstractionsAssembly], plugin);
    }

    [Theory]
    [MemberData(nameof(PluginProjects))]
    public void Plugin_ProjectFile_ReferencesOnlyTheAbstractions(string projectFile)
    {
        var plugin = new ProductProject("plugin", Path.Combine(RepositoryPaths.Root, projectFile));

        // Any project reference of a plugin, even a build-order one, is a dependency on another of our projects.
        AssertProjectReferences(plugin, plugin.AllProjectReferences(), [ProjectGraph.Abstractions]);
    }

    [Theory]
    [MemberData(nameof(PluginProjects))]
    public void Plugin_DeployedFolder_ShipsNoAssemblyOfOursButItsOwn(string projectFile)
    {
        var plugin = new ProductProject("plugin", Path.Combine(RepositoryPaths.Root, projectFile));
        var id = plugin.Xml.Descendants("PluginId").Select(e => e.Value.Trim()).FirstOrDefault();
        Assert.False(string.IsNullOrEmpty(id), $"{plugin} sets no <PluginId>");
        var deployed = Path.Combine(RepositoryPaths.HostOutput, "plugins", id);
        Assert.True(Directory.Exists(deployed), $"{deployed} does not exist; build the host (it builds and deploys the plugins).");

        var ours = Directory.EnumerateFiles(deployed, "*.dll", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => ProjectGraph.IsOurs(name!) && name != plugin.AssemblyName && name != ProjectGraph.DevelopmentExtensionOf(id))
            .ToList();

        Assert.True(ours.Count == 0, $"plugin folder {deployed} ships {string.Join(", ", ours)}; reference the abstractions with Private=\"false\" ExcludeAssets=\"runtime\" and nothing else of ours");
    }

    [Fact]
    public void HostPluginsFolder_HoldsOnlyInRepoPlugins()
    {
        // Test fixtures deploy elsewhere (tests/Fixtures/bin); nothing else may land in the host's plugins folder.
        var ids = ProjectGraph.Plugins
            .Select(p => p.Xml.Descendants("PluginId").Select(e => e.Value.Trim()).FirstOrDefault())
            .ToHashSet(StringComparer.Ordinal);
        var deployed = Directory.EnumerateDirectories(Path.Combine(RepositoryPaths.HostOutput, "plugins")).Select(Path.GetFileName).ToList();

        Assert.All(deployed, folder => Assert.True(ids.Contains(folder), $"host plugins folder holds '{folder}', which is no plugins/*/ project"));
    }

    private static void AssertOnlyOurs(IReadOnlyList<string> references, string[] allowed, ProductProject project)
    {
        var forbidden = references.Where(ProjectGraph.IsOurs).Where(r => !allowed.Contains(r, StringComparer.Ordinal)).ToList();

        Assert.True(forbidden.Count == 0,
            $"{project} ({project.AssemblyName}.dll) references {string.Join(", ", forbidden)}; allowed of ours: {(allowed.Length == 0 ? "nothing" : string.Join(", ", allowed))} (see architecture.md, dependency rules)");
    }

    private static void AssertProjectReferences(ProductProject project, IReadOnlyList<string> includes, ProductProject[] allowed)
    {
        var allowedFiles = allowed.Select(a => Path.GetFullPath(a.ProjectFile)).ToHashSet(StringComparer.Ordinal);
        var forbidden = includes
            .Where(include => !allowedFiles.Contains(ProjectGraph.Resolve(project, include)))
            .ToList();

        Assert.True(forbidden.Count == 0,
            $"{project} has project references to {string.Join(", ", forbidden)}; allowed: {string.Join(", ", allowed.Select(a => a.ToString()))} (see architecture.md, dependency rules)");
    }
}

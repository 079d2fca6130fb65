using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using CameraService.Tests.Support;

namespace CameraService.Architecture.Tests;

/// <summary>
/// Test doubles stay out of what ships (issue 15, item 6): no product assembly — abstractions, core, host, any
/// plugin, in particular the v4l2 plugin whose fake ioctl responder moved to tests/CameraService.Plugins.V4l2.Fakes —
/// defines a type named <c>Fake*</c>.
/// </summary>
public sealed class TestDoubleTests
{
    public static TheoryData<string> ProductAssemblies()
    {
        var data = new TheoryData<string>();
        foreach (var project in ProjectGraph.All)
        {
            data.Add(project.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ProductAssemblies))]
    public void ProductAssembly_DefinesNoFakeType(string projectFile)
    {
        var project = ProjectGraph.All.Single(p => p.ToString() == projectFile);

        var fakes = TypeNames(project.AssemblyPath).Where(n => n.Split('.', '+')[^1].StartsWith("Fake", StringComparison.Ordinal)).ToList();

        Assert.True(fakes.Count == 0, $"{project.AssemblyName}.dll ships test doubles: {string.Join(", ", fakes)}; move them into a test assembly (see tests/CameraService.Plugins.V4l2.Fakes)");
    }

    [Fact]
    public void V4l2Plugin_ReferencesNoFakesAndTheFakesAssemblyIsSeparate()
    {
        var v4l2 = ProjectGraph.Plugins.Single(p => p.AssemblyName == "CameraService.Plugins.V4l2");
        var fakes = Path.Combine(RepositoryPaths.Root, "tests", "CameraService.Plugins.V4l2.Fakes", "bin",
            RepositoryPaths.Configuration, RepositoryPaths.TargetFramework, "CameraService.Plugins.V4l2.Fakes.dll");

        Assert.DoesNotContain("CameraService.Plugins.V4l2.Fakes", v4l2.BuiltAssemblyReferences());
        Assert.Contains(TypeNames(fakes), n => n == "CameraService.Plugins.V4l2.Fakes.FakeVideoSyscalls");
    }

    private static List<string> TypeNames(string assemblyPath)
    {
        Assert.True(File.Exists(assemblyPath), $"{assemblyPath} is not built");
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        return reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h))
            .Select(t => reader.GetString(t.Namespace) is { Length: > 0 } ns ? ns + "." + reader.GetString(t.Name) : reader.GetString(t.Name))
            .ToList();
    }
}

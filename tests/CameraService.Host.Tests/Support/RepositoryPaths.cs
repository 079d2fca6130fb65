using System.Reflection;

namespace CameraService.Tests.Support;

/// <summary>Where the repository and the build outputs of the current configuration are, found from the test's own output folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The repository root (the folder holding CameraService.slnx).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration of the running tests (Debug or Release).</summary>
    public static string Configuration { get; } =
        typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The target framework folder name of the running tests, e.g. net10.0.</summary>
    public static string TargetFramework { get; } = Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>The host's build output, with the in-repo plugins under <c>plugins/</c>.</summary>
    public static string HostOutput => Path.Combine(Root, "host", "bin", Configuration, TargetFramework);

    /// <summary>The built host.</summary>
    public static string HostDll => Path.Combine(HostOutput, "camera-service.dll");

    /// <summary>Where the fixture plugins are deployed (tests/Fixtures/Directory.Build.targets).</summary>
    public static string FixturePlugins => Path.Combine(Root, "tests", "Fixtures", "bin", "plugins", Configuration);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CameraService.slnx above {AppContext.BaseDirectory}; run the tests from a checkout of the repository.");
    }
}

using CameraService.Abstractions.Plugins;
using CameraService.Host.Plugins;
using CameraService.Tests.Support;

namespace CameraService.Host.Tests;

public sealed class PluginManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cs-manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("../evil.dll")]
    [InlineData("sub/evil.dll")]
    [InlineData("/etc/evil.dll")]
    public void Read_AssemblyOutsideFolder_IsRejected(string assembly)
    {
        File.WriteAllText(Path.Combine(_dir, "plugin.json"),
            $$"""{"id":"x","version":"1.0.0","abstractions":"1.0","assembly":"{{assembly}}"}""");

        var (_, error) = PluginManifest.Read(_dir);

        Assert.NotNull(error);
        Assert.Contains("assembly", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ValidManifest_HasNoError()
    {
        File.WriteAllText(Path.Combine(_dir, "plugin.json"),
            """{"id":"good-plugin","version":"1.2.3","abstractions":"1.0","assembly":"Good.dll"}""");

        var (manifest, error) = PluginManifest.Read(_dir);

        Assert.Null(error);
        Assert.Equal("good-plugin", manifest!.Id);
    }

    [Fact]
    public void WrittenByPluginTargets_DescriptionWithSemicolonQuotesAndBackslashes_IsValidJsonAndKeptExactly()
    {
        // tests/Fixtures/Good sets this PluginDescription; plugins/Plugin.targets once split it at ';' into several lines.
        var folder = Path.Combine(RepositoryPaths.FixturePlugins, "good");
        var text = File.ReadAllText(Path.Combine(folder, "plugin.json"));

        var (manifest, error) = PluginManifest.Read(folder);

        Assert.True(error is null, $"{error}\n{text}");
        Assert.Equal("""Loader test fixture; a "well-behaved" camera source (C:\cams\; 100% fine)""", manifest!.Description);
        Assert.Equal("good", manifest.Id);
    }
}

public sealed class SdkVersionRuleTests
{
    [Fact]
    public void IsCompatible_SameMajorAndMinor_IsTrue() =>
        Assert.True(PluginLoader.IsCompatible(new Version(AbstractionsVersion.Major, AbstractionsVersion.Minor)));

    [Fact]
    public void IsCompatible_SameMajorOlderMinor_IsTrue()
    {
        for (var minor = 0; minor <= AbstractionsVersion.Minor; minor++)
        {
            Assert.True(PluginLoader.IsCompatible(new Version(AbstractionsVersion.Major, minor, 0, 0)));
        }
    }

    [Fact]
    public void IsCompatible_NewerMinor_IsFalse() =>
        Assert.False(PluginLoader.IsCompatible(new Version(AbstractionsVersion.Major, AbstractionsVersion.Minor + 1)));

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void IsCompatible_OtherMajor_IsFalse(int delta) =>
        Assert.False(PluginLoader.IsCompatible(new Version(Math.Max(0, AbstractionsVersion.Major + delta), 0)));
}

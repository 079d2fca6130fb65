using CameraService.Host.Plugins;

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
}

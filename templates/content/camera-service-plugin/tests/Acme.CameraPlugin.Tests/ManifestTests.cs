using System.Reflection;
using System.Text.Json;
using CameraService.Abstractions.Plugins;

namespace Acme.CameraPlugin.Tests;

/// <summary>plugin.json is what the host reads before any code runs: it must describe this assembly.</summary>
public sealed class ManifestTests
{
    private static readonly JsonElement Manifest =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "plugin.json"))).RootElement;

    [Fact]
    public void Id_IsThePluginsId() => Assert.Equal(new Plugin().Id, Manifest.GetProperty("id").GetString());

    [Fact]
    public void Assembly_IsThePluginAssembly() =>
        Assert.Equal(Path.GetFileName(typeof(Plugin).Assembly.Location), Manifest.GetProperty("assembly").GetString());

    [Fact]
    public void Version_IsTheProjectVersion() =>
        Assert.Equal(
            typeof(Plugin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0],
            Manifest.GetProperty("version").GetString());

    [Fact]
    public void Abstractions_IsTheSdkVersionTheAssemblyWasBuiltAgainst()
    {
        var referenced = typeof(Plugin).Assembly.GetReferencedAssemblies().Single(a => a.Name == "CameraService.Abstractions").Version!;
        Assert.Equal($"{referenced.Major}.{referenced.Minor}", Manifest.GetProperty("abstractions").GetString());
        Assert.Equal(AbstractionsVersion.Major, referenced.Major);
    }
}

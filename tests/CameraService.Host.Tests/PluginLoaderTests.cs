using System.Runtime.Loader;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using CameraService.Core.Plugins;
using CameraService.Host.Configuration;
using CameraService.Host.Plugins;
using CameraService.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Host.Tests;

/// <summary>Loads real, built fixture plugins (tests/Fixtures) from a temporary plugins folder.</summary>
public sealed class PluginLoaderTests : IDisposable
{
    private readonly PluginFolder _plugins = new();

    public void Dispose() => _plugins.Dispose();

    [Fact]
    public void LoadAll_GoodPlugin_IsLoadedWithItsContractResolvable()
    {
        _plugins.Add("good");

        var (catalog, provider) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(("good", "1.0.0", PluginState.Loaded, (string?)null), (record.Id, record.Version, record.State, record.Reason));
        Assert.Equal(["ICameraSource"], record.Contracts);
        var source = Assert.Single(provider.GetServices<ICameraSource>());
        Assert.Equal("fixture-good", source.Name);
        // Loaded in its own context, yet it implements the host's ICameraSource (shared abstractions).
        Assert.NotSame(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(source.GetType().Assembly));
        Assert.Same(typeof(IPlugin).Assembly, source.GetType().GetInterface(nameof(ICameraSource))!.Assembly);
    }

    [Fact]
    public void LoadAll_PluginShipsOwnAbstractions_IsIncompatibleNamingTheCopy()
    {
        _plugins.Add("own-abstractions");

        var (catalog, provider) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.Contains("ships its own copy of CameraService.Abstractions.dll", record.Reason, StringComparison.Ordinal);
        Assert.Contains("Private=\"false\"", record.Reason, StringComparison.Ordinal);
        Assert.Empty(provider.GetServices<ICameraSource>());
    }

    [Fact]
    public void LoadAll_PluginBuiltAgainstNewerAbstractionsMajor_IsIncompatibleThoughManifestClaimsCurrent()
    {
        _plugins.Add("newer-major");

        var (catalog, _) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.Contains($"was built against CameraService.Abstractions {AbstractionsVersion.Major + 1}.0", record.Reason, StringComparison.Ordinal);
        Assert.Contains($"this host provides {AbstractionsVersion.Major}.{AbstractionsVersion.Minor}", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAll_ManifestTargetsNewerMajor_IsIncompatibleBeforeRunningCode()
    {
        _plugins.Add("manifest-v2");

        var (catalog, provider) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.Contains($"targets plugin SDK (abstractions) {AbstractionsVersion.Major + 1}.0", record.Reason, StringComparison.Ordinal);
        Assert.Empty(provider.GetServices<ICameraSource>());
    }

    [Fact]
    public void LoadAll_ManifestTargetsNewerMinor_IsIncompatible()
    {
        _plugins.Add("good");
        var newer = $"{AbstractionsVersion.Major}.{AbstractionsVersion.Minor + 1}";
        _plugins.EditManifest("good", m => m["abstractions"] = newer);

        var (catalog, _) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.Contains($"targets plugin SDK (abstractions) {newer}", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAll_PluginThrowsInConfigureServices_IsFaultedAndOthersStillLoad()
    {
        _plugins.Add("good");
        _plugins.Add("throws");

        var (catalog, provider) = Load();

        Assert.Equal(PluginState.Loaded, Find(catalog, "good").State);
        var throws = Find(catalog, "throws");
        Assert.Equal(PluginState.Faulted, throws.State);
        Assert.Equal("threw in ConfigureServices: InvalidOperationException: fixture failure: the device table is corrupt", throws.Reason);
        // The source it registered before throwing is not kept.
        Assert.Equal(["fixture-good"], provider.GetServices<ICameraSource>().Select(s => s.Name));
    }

    [Fact]
    public void LoadAll_PluginDisabledByConfiguration_IsDisabledAndRegistersNothing()
    {
        _plugins.Add("good");

        var (catalog, provider) = Load(("Plugins:good:Enabled", "false"));

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Disabled, record.State);
        Assert.Equal("disabled by configuration (Plugins:good:Enabled=false)", record.Reason);
        Assert.Empty(provider.GetServices<ICameraSource>());
    }

    [Fact]
    public void LoadAll_EnabledIsNotABoolean_ThrowsConfigurationErrorNamingTheKey()
    {
        _plugins.Add("good");

        var ex = Assert.Throws<ConfigurationException>(() => Load(("Plugins:good:Enabled", "nope")));

        Assert.Equal("Plugins:good:Enabled", ex.Key);
        Assert.Equal("Plugins:good:Enabled: must be true or false (got 'nope')", ex.Message);
    }

    [Theory]
    [InlineData("../good/Fixtures.Good.dll")]
    [InlineData("/tmp/Fixtures.Good.dll")]
    public void LoadAll_ManifestAssemblyPointsOutsideItsFolder_IsRejected(string assembly)
    {
        _plugins.Add("good");
        var evil = _plugins.Add("good", "evil", "Fixtures.Good.dll");
        _plugins.EditManifest("evil", m =>
        {
            m["id"] = "evil";
            m["assembly"] = assembly;
        });

        var (catalog, provider) = Load();

        var record = Find(catalog, "evil");
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.Contains("'assembly' must be a file name inside the plugin folder", record.Reason, StringComparison.Ordinal);
        Assert.Equal(evil, record.Directory);
        Assert.Equal(PluginState.Loaded, Find(catalog, "good").State);
        Assert.Single(provider.GetServices<ICameraSource>());
    }

    [Fact]
    public void LoadAll_DependencyMissingFromPluginFolder_IsIncompatibleNamingIt()
    {
        _plugins.Add("missing-dependency", without: "Fixtures.Library.dll");

        var (catalog, provider) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.StartsWith("missing dependency: Fixtures.Library, Version=", record.Reason, StringComparison.Ordinal);
        Assert.EndsWith("ship it in the plugin folder", record.Reason, StringComparison.Ordinal);
        Assert.Empty(provider.GetServices<ICameraSource>());
    }

    [Fact]
    public void LoadAll_DependencyPresent_LoadsPrivateDependency()
    {
        _plugins.Add("missing-dependency");

        var (catalog, provider) = Load();

        Assert.Equal(PluginState.Loaded, Assert.Single(catalog.Plugins).State);
        Assert.Equal("fixture-library", Assert.Single(provider.GetServices<ICameraSource>()).Name);
    }

    [Fact]
    public void LoadAll_FolderWithoutManifest_IsIncompatible()
    {
        Directory.CreateDirectory(Path.Combine(_plugins.Path, "stray"));

        var (catalog, _) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(("stray", PluginState.Incompatible), (record.Id, record.State));
        Assert.StartsWith("no plugin.json in the plugin folder", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAll_ManifestIsNotJson_IsIncompatible()
    {
        _plugins.Add("good");
        File.WriteAllText(Path.Combine(_plugins.Path, "good", "plugin.json"), "{ not json");

        var (catalog, _) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.StartsWith("plugin.json is not valid JSON", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAll_TwoFoldersWithTheSameId_SecondIsIncompatible()
    {
        _plugins.Add("good", "a-good");
        _plugins.Add("good", "b-good");

        var (catalog, provider) = Load();

        Assert.Equal([PluginState.Loaded, PluginState.Incompatible], catalog.Plugins.Select(p => p.State));
        Assert.Contains("plugin id 'good' is already used", catalog.Plugins[1].Reason, StringComparison.Ordinal);
        Assert.Single(provider.GetServices<ICameraSource>());
    }

    [Fact]
    public void LoadAll_ManifestIdDiffersFromPluginId_IsIncompatible()
    {
        _plugins.Add("good");
        _plugins.EditManifest("good", m => m["id"] = "other");

        var (catalog, _) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(("other", PluginState.Incompatible), (record.Id, record.State));
        Assert.Equal("IPlugin.Id is 'good' but plugin.json says 'other'; make them equal", record.Reason);
    }

    [Fact]
    public void LoadAll_EntryAssemblyMissing_IsIncompatible()
    {
        _plugins.Add("good", without: "Fixtures.Good.dll");

        var (catalog, _) = Load();

        var record = Assert.Single(catalog.Plugins);
        Assert.Equal(PluginState.Incompatible, record.State);
        Assert.Contains("entry assembly 'Fixtures.Good.dll' named in plugin.json is missing", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAll_PluginsDirectoryMissing_FindsNothing()
    {
        var catalog = new PluginLoader(new ConfigurationBuilder().Build())
            .LoadAll(Path.Combine(_plugins.Path, "does-not-exist"), new ServiceCollection());

        Assert.Empty(catalog.Plugins);
    }

    [Fact]
    public void FindOwner_TypeFromLoadedPlugin_ReturnsThatPlugin()
    {
        _plugins.Add("good");
        _plugins.Add("missing-dependency");

        var (catalog, provider) = Load();

        var owners = provider.GetServices<ICameraSource>().Select(s => catalog.FindOwner(s.GetType())?.Id).Order(StringComparer.Ordinal);
        Assert.Equal(["good", "missing-dependency"], owners);
        Assert.Null(catalog.FindOwner(typeof(PluginLoader)));
    }

    private (PluginCatalog Catalog, ServiceProvider Provider) Load(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build();
        var services = new ServiceCollection();
        var catalog = new PluginLoader(configuration).LoadAll(_plugins.Path, services);
        return (catalog, services.BuildServiceProvider());
    }

    private static PluginRecord Find(PluginCatalog catalog, string id) =>
        catalog.Plugins.SingleOrDefault(p => p.Id == id) ?? throw new InvalidOperationException($"no plugin '{id}' in the catalog");
}

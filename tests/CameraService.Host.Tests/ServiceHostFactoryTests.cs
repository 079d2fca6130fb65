using CameraService.Core.Plugins;
using CameraService.Host.Configuration;
using CameraService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CameraService.Host.Tests;

/// <summary>The whole host built by the production factory, with a plugins folder full of broken fixtures.</summary>
public sealed class ServiceHostFactoryTests : IDisposable
{
    private readonly PluginFolder _plugins = new();
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        _plugins.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Build_BadPluginsPresent_HostStartsAndStopsWithTheGoodOne()
    {
        _plugins.Add("good");
        _plugins.Add("own-abstractions");
        _plugins.Add("newer-major");
        _plugins.Add("manifest-v2");
        _plugins.Add("throws");
        _plugins.Add("missing-dependency", without: "Fixtures.Library.dll");
        _plugins.Add("duplicate");
        _plugins.Add("good", "evil", "Fixtures.Good.dll");
        _plugins.EditManifest("evil", m =>
        {
            m["id"] = "evil";
            m["assembly"] = "../good/Fixtures.Good.dll";
        });

        var (host, catalog) = Build("--Plugins:duplicate:Enabled=false");
        using (host)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(timeout.Token);

            var components = host.Services.GetRequiredService<ActiveComponents>();
            Assert.Equal(["fixture-good"], components.CameraSources.Select(s => s.Name));
            await host.StopAsync(timeout.Token);
        }

        var states = catalog.Plugins.ToDictionary(p => p.Id, p => p.State);
        Assert.Equal(new Dictionary<string, PluginState>
        {
            ["duplicate"] = PluginState.Disabled,
            ["evil"] = PluginState.Incompatible,
            ["good"] = PluginState.Loaded,
            ["manifest-v2"] = PluginState.Incompatible,
            ["missing-dependency"] = PluginState.Incompatible,
            ["newer-major"] = PluginState.Incompatible,
            ["own-abstractions"] = PluginState.Incompatible,
            ["throws"] = PluginState.Faulted,
        }, states);
        Assert.All(catalog.Plugins.Where(p => p.State != PluginState.Loaded), p => Assert.False(string.IsNullOrWhiteSpace(p.Reason)));
    }

    [Fact]
    public async Task Build_TwoPluginsProvideTheSameSourceName_StartFailsNamingBothPluginIds()
    {
        _plugins.Add("good");
        _plugins.Add("duplicate");

        var (host, _) = Build();
        using (host)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(timeout.Token));

            Assert.Equal(
                "Two camera sources are named 'fixture-good' (from plugin 'duplicate' and plugin 'good'); disable one of the plugins with Plugins:<Id>:Enabled=false.",
                ex.Message);
        }
    }

    [Fact]
    public void Build_HostOptions_UseHostShutdownTimeout()
    {
        var (host, _) = Build("--Host:ShutdownTimeout=45s");
        using (host)
        {
            var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value;
            Assert.Equal(TimeSpan.FromSeconds(45), options.ShutdownTimeout);
        }
    }

    private (IHost Host, PluginCatalog Catalog) Build(params string[] arguments)
    {
        var emptyConfig = Directory.CreateDirectory(_temp.Combine("etc")).FullName;
        var configuration = ConfigurationFactory.Build(emptyConfig,
        [
            $"--Plugins:Directory={_plugins.Path}",
            $"--State:Directory={_temp.Combine("state")}",
            $"--Storage:Root={_temp.Combine("media")}",
            .. arguments,
        ]);
        return ServiceHostFactory.Build(configuration, HostSettings.Read(configuration));
    }
}

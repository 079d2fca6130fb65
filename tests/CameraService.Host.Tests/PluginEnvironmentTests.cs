using CameraService.Abstractions.Plugins;
using CameraService.Core.Rpc;
using CameraService.Host.Configuration;
using CameraService.Host.Plugins;
using CameraService.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Host.Tests;

/// <summary>IServiceEnvironment: what the host tells each plugin, and how each plugin gets its own instance.</summary>
public sealed class PluginEnvironmentTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void For_GivesEachPluginItsOwnExistingStateFolderAndTheSharedValues()
    {
        var environments = Environments(new ApiOptions { PublicBaseUrl = "https://cams.example.org:8443/" });

        var storage = environments.For("storage");
        var mediamtx = environments.For("mediamtx");

        Assert.Equal(_temp.Combine("state", "plugins", "storage"), storage.StateDirectory);
        Assert.Equal(_temp.Combine("state", "plugins", "mediamtx"), mediamtx.StateDirectory);
        Assert.True(Directory.Exists(storage.StateDirectory));
        Assert.Equal("https://cams.example.org:8443", storage.PublicBaseUrl);
        Assert.Equal("cams.example.org", storage.PublicHost);
        Assert.Equal(_temp.Combine("media"), storage.Media.RootDirectory);
        Assert.Equal(_temp.Combine("media", "recordings"), storage.Media.RecordingsDirectory);
        Assert.Equal(_temp.Combine("media", "snapshots"), storage.Media.SnapshotsDirectory);
        Assert.Equal(Program.Version, storage.ServiceVersion);
        Assert.Same(TimeProvider.System, storage.Time);
        Assert.Same(storage, environments.For("storage"));
    }

    [Theory]
    [InlineData(null, "http://box.local:9000")]
    [InlineData("/etc/camera-service/cert.pem", "https://box.local:9000")]
    public void For_WithoutPublicBaseUrl_BuildsItFromPublicHostPortAndTls(string? certificate, string expected)
    {
        var environments = Environments(new ApiOptions { PublicHost = "box.local", Port = 9000, Tls = new TlsOptions { CertificatePath = certificate } });

        Assert.Equal(expected, environments.For("ffmpeg").PublicBaseUrl);
        Assert.Equal("box.local", environments.For("ffmpeg").PublicHost);
    }

    [Fact]
    public void Bind_PluginClassesAndFactories_GetTheirOwnPluginsEnvironment()
    {
        IServiceCollection services = new ServiceCollection();
        services.AddSingleton(Environments(new ApiOptions { PublicBaseUrl = "http://127.0.0.1:8002" }));
        PluginScopedServices.AddServiceEnvironment(services);
        var assembly = typeof(NeedsEnvironment).Assembly;
        services.Add(PluginScopedServices.Bind(ServiceDescriptor.Singleton<NeedsEnvironment, NeedsEnvironment>(), "alpha", assembly));
        services.Add(PluginScopedServices.Bind(
            ServiceDescriptor.Singleton(sp => new FromFactory(sp.GetRequiredService<IServiceEnvironment>())), "beta", assembly));
        using var provider = services.BuildServiceProvider();

        Assert.EndsWith(Path.Combine("plugins", "alpha"), provider.GetRequiredService<NeedsEnvironment>().Environment.StateDirectory, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("plugins", "beta"), provider.GetRequiredService<FromFactory>().Environment.StateDirectory, StringComparison.Ordinal);
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IServiceEnvironment>());
        Assert.Contains("constructors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_TellsWhatPluginsMustNotReadFromOtherSections_PathNodeAndSelectedComponents()
    {
        var environment = Environments(
            new ApiOptions { PublicBaseUrl = "http://127.0.0.1:8002", Path = "/api/ws" },
            new() { ["Fleet:NodeId"] = "box-7", ["CameraService:StreamBackend"] = "ffmpeg", ["CameraService:MediaStore"] = "acme-store" }).For("webui");

        Assert.Equal("/api/ws", environment.ApiWebSocketPath);
        Assert.Equal("box-7", environment.NodeId);
        Assert.Equal("ffmpeg", environment.SelectedStreamBackend);
        Assert.Equal("acme-store", environment.SelectedMediaStore);
    }

    [Fact]
    public void For_WithoutThoseKeys_TellsTheDefaults()
    {
        var environment = Environments(new ApiOptions { PublicBaseUrl = "http://127.0.0.1:8002" }).For("mqtt");

        Assert.Equal("/ws", environment.ApiWebSocketPath);
        Assert.Equal(System.Environment.MachineName, environment.NodeId);
        Assert.Equal("mediamtx", environment.SelectedStreamBackend);
        Assert.Equal("storage", environment.SelectedMediaStore);
    }

    private PluginEnvironments Environments(ApiOptions api, Dictionary<string, string?>? settings = null) =>
        new(new HostSettings(_temp.Combine("state"), _temp.Combine("media"), _temp.Combine("plugins"), TimeSpan.FromSeconds(5)),
            new PublicEndpoint(Options.Create(api)),
            TimeProvider.System,
            new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());

    internal sealed class NeedsEnvironment(IServiceEnvironment environment)
    {
        public IServiceEnvironment Environment { get; } = environment;
    }

    internal sealed class FromFactory(IServiceEnvironment environment)
    {
        public IServiceEnvironment Environment { get; } = environment;
    }
}

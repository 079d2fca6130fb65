using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Plugins.Storage.Tests.Fakes;
using CameraService.Abstractions.Plugins;
using CameraService.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Storage.Tests;

public sealed class PluginWiringTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("storage-wiring-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void ConfigureServices_ValidConfig_OneStoreServesBothContracts()
    {
        using var provider = Build(new() { ["Storage:RetentionInterval"] = "30m", ["Storage:DownloadUrlTtl"] = "00:30:00" }, withAccess: true);

        var store = provider.GetRequiredService<IMediaStore>();
        var endpoints = provider.GetRequiredService<IHttpEndpointSource>();

        Assert.Equal("storage", store.Name);
        Assert.Same(store, provider.GetRequiredService<StorageMediaStore>());
        Assert.Equal(2, endpoints.Endpoints.Count);
        var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(30), options.RetentionInterval);
        Assert.Equal(TimeSpan.FromMinutes(30), options.DownloadUrlTtl);
        Assert.Equal(80, options.WarnPercent);
        Assert.Equal(90, options.BlockPercent);
    }

    [Fact]
    public async Task ConfigureServices_NoAccessControl_StillResolvesAndDownloadsAnswer503()
    {
        using var provider = Build([], withAccess: false);

        var endpoints = provider.GetRequiredService<IHttpEndpointSource>();
        var reply = await endpoints.Endpoints[0].Handler(
            new HttpRequestData { Method = "GET", Path = "/files/recordings/x.mp4", RouteValues = new Dictionary<string, string> { ["filename"] = "x.mp4" }, Query = new Dictionary<string, string>(), Headers = new Dictionary<string, string>(), BearerToken = "t" },
            CancellationToken.None);

        Assert.Equal(503, reply.StatusCode);
    }

    [Theory]
    [InlineData("Storage:WarnPercent", "95", "Storage:WarnPercent")]
    [InlineData("Storage:BlockPercent", "0", "Storage:BlockPercent")]
    [InlineData("Storage:DownloadUrlTtl", "1s", "Storage:DownloadUrlTtl")]
    [InlineData("Storage:MonitorInterval", "0s", "Storage:MonitorInterval")]
    public void ConfigureServices_BadValue_ValidationNamesTheKey(string key, string value, string expectedKey)
    {
        using var provider = Build(new() { [key] = value }, withAccess: true);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.StartsWith(expectedKey, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Storage:BlockPercent", "ninety")]
    [InlineData("Storage:RetentionInterval", "soon")]
    public void ConfigureServices_UnparsableValue_BindingFailureNamesTheKey(string key, string value)
    {
        using var provider = Build(new() { [key] = value }, withAccess: true);

        // The binder's failure; the host turns it into one line naming the key and the accepted forms (Host.Tests).
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains($"at '{key}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RescanInterval", "30s", 30)]
    [InlineData("MonitorInterval", "500ms", 0.5)]
    [InlineData("RescanInterval", "10m", 600)]
    [InlineData("RetentionInterval", "1h", 3600)]
    [InlineData("RetentionInterval", "1d", 86400)]
    [InlineData("RescanInterval", "00:05:00", 300)]
    public void ConfigureServices_DurationForms_BindWithTheServiceConverter(string property, string text, double seconds)
    {
        using var provider = Build(new() { ["Storage:" + property] = text }, withAccess: true);

        var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(seconds), typeof(StorageOptions).GetProperty(property)!.GetValue(options));
    }

    private ServiceProvider Build(Dictionary<string, string?> settings, bool withAccess)
    {
        // What the host does before it binds anything (shared/DurationConverter.cs, linked into this test project).
        CameraService.Shared.DurationConverter.Register();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IServiceEnvironment>(new TestServiceEnvironment(_dir.FullName));
        if (withAccess)
        {
            services.AddSingleton<IAccessControl>(new FakeAccessControl(TimeProvider.System));
        }

        new StoragePlugin().ConfigureServices(services, configuration);
        return services.BuildServiceProvider();
    }
}

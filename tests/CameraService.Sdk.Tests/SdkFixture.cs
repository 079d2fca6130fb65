using System.Globalization;
using System.Xml.Linq;
using CameraService.Client;
using CameraService.EndToEnd.Tests;

namespace CameraService.Sdk.Tests;

/// <summary>
/// Does once what a vendor does, outside the repository, and starts the real host with the result:
/// packs the SDK and the template (scripts/pack-sdk.sh) into a temporary feed; instantiates the template once per
/// kind (source, backend, store, transport), tests all four in one solution (one restore, one build) and publishes each
/// plugin against the package only; publishes samples/NullBackend the same way; publishes the compatibility fixture
/// (tests/SdkCompat) against the RELEASED SDK in tests/sdk-feed; drops all of them beside the host's own websocket,
/// storage and testpattern plugins into a temporary plugins folder; starts two hosts on it: <see cref="Service"/> with
/// the sample backend and the template's store selected, <see cref="BackendService"/> with the template's backend.
/// </summary>
public sealed class SdkFixture : IAsyncLifetime
{
    public const string TemplatePluginId = "acme-cameras";
    public const string TemplateBackendId = "acme-recorder";
    public const string TemplateStoreId = "acme-archive";
    public const string TemplateTransportId = "acme-lines";
    public const string SamplePluginId = "null-backend";
    public const string CompatPluginId = "sdk-compat";
    // Generous: on a loaded shared machine one build of a small project has taken minutes.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Everything lives here, outside the repository; deleted at the end.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("cs-sdk-").FullName;

    public string Feed => Path.Combine(Root, "feed");

    public string Vendor => Path.Combine(Root, "vendor");

    public string Plugins => Path.Combine(Root, "plugins");

    /// <summary>The SDK version of this repository (abstractions/Version.props), major.minor.patch.</summary>
    public static Version SdkVersion { get; } = ReadSdkVersion();

    /// <summary>The template's kinds as the tests instantiate them: project name, <c>--kind</c>, plugin id.</summary>
    public static IReadOnlyList<(string Name, string Kind, string Id)> TemplateKinds { get; } =
    [
        ("Acme.Cameras", "source", TemplatePluginId),
        ("Acme.Recorder", "backend", TemplateBackendId),
        ("Acme.Archive", "store", TemplateStoreId),
        ("Acme.Lines", "transport", TemplateTransportId),
    ];

    /// <summary>The TCP port of the template's transport in <see cref="Service"/>.</summary>
    public int TransportPort { get; } = ServiceProcess.FreePort();

    /// <summary>The released SDK the compatibility fixture is built against: the oldest of this major in tests/sdk-feed.</summary>
    public Version CompatSdkVersion { get; private set; } = null!;

    /// <summary>Output of the template's own tests, run outside the repository.</summary>
    public string TemplateTestOutput { get; private set; } = string.Empty;

    /// <summary>The host with the sample backend (<c>null</c>) and the template's store selected.</summary>
    public ServiceProcess Service { get; private set; } = null!;

    public CameraServiceClient Client { get; private set; } = null!;

    /// <summary>A second host on the same plugins folder with the template's backend selected (a host has one backend).</summary>
    public ServiceProcess BackendService { get; private set; } = null!;

    public CameraServiceClient BackendClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Vendor);
        await Dotnet.RunAsync(Path.Combine(ServiceProcess.RepoRoot, "scripts", "pack-sdk.sh"), ServiceProcess.RepoRoot, null, BuildTimeout, Feed);

        // The vendor's machine: a NuGet.config with the SDK feed, and its own package folder so a package of the same
        // version from an earlier run can never be used instead of the one just packed.
        var vendorEnv = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };
        WriteNuGetConfig(Vendor, Feed);

        var hive = Path.Combine(Root, "template-hive");
        await RunDotnetAsync(Vendor, vendorEnv, "new", "install", Path.Combine(Feed, $"CameraService.Plugin.Templates.{SdkVersion}.nupkg"), "--debug:custom-hive", hive);
        foreach (var (name, kind, _) in TemplateKinds)
        {
            await RunDotnetAsync(Vendor, vendorEnv, "new", "camera-service-plugin", "-n", name, "--kind", kind, "-o", Path.Combine(Vendor, name), "--debug:custom-hive", hive);
        }

        // One solution over the four generated ones: one restore and one build for all kinds.
        new XDocument(new XElement("Solution", TemplateKinds.SelectMany(k => new[]
        {
            new XElement("Project", new XAttribute("Path", $"{k.Name}/src/{k.Name}/{k.Name}.csproj")),
            new XElement("Project", new XAttribute("Path", $"{k.Name}/tests/{k.Name}.Tests/{k.Name}.Tests.csproj")),
        }))).Save(Path.Combine(Vendor, "AllKinds.slnx"));
        CopyDirectory(Path.Combine(ServiceProcess.RepoRoot, "samples", "NullBackend"), Path.Combine(Vendor, "NullBackend"));

        // The compatibility fixture: its own machine, feed and package folder (the released package may share its
        // version number with the one just packed).
        var released = Path.Combine(ServiceProcess.RepoRoot, "tests", "sdk-feed");
        CompatSdkVersion = ReleasedVersions(released).Where(v => v.Major == SdkVersion.Major).Order().FirstOrDefault()
            ?? throw new InvalidOperationException($"tests/sdk-feed has no CameraService.Abstractions {SdkVersion.Major}.x package; add the first release of this major (tests/sdk-feed/README.md).");
        var compat = Path.Combine(Root, "compat");
        CopyDirectory(Path.Combine(ServiceProcess.RepoRoot, "tests", "SdkCompat", "CompatPlugin"), compat);
        WriteNuGetConfig(compat, released);

        // The three builds are independent (own folders); run side by side, they take the time of the longest.
        await Task.WhenAll(
            BuildTemplatePluginsAsync(vendorEnv),
            RunDotnetAsync(Path.Combine(Vendor, "NullBackend"), vendorEnv, "publish", "-c", "Release", "-o", Path.Combine(Plugins, SamplePluginId),
                $"-p:CameraServiceSdkVersion={SdkVersion}"),
            RunDotnetAsync(compat, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages-compat") },
                "publish", "-c", "Release", "-o", Path.Combine(Plugins, CompatPluginId), $"-p:CameraServiceSdkVersion={CompatSdkVersion.ToString(3)}"));

        // The host's own plugins this test needs: the API transport, the media store and the synthetic cameras.
        var hostPlugins = Path.Combine(Path.GetDirectoryName(ServiceProcess.HostDll)!, "plugins");
        foreach (var id in new[] { "websocket", "storage", "testpattern" })
        {
            CopyDirectory(Path.Combine(hostPlugins, id), Path.Combine(Plugins, id));
        }

        var cameras = new Dictionary<string, string>
        {
            ["Plugins:Directory"] = Plugins,
            ["Plugins:TestPattern:Enabled"] = "true",
            ["Plugins:TestPattern:Count"] = "1",
            ["Plugins:TestPattern:Width"] = "320",
            ["Plugins:TestPattern:Height"] = "240",
            [$"Plugins:{TemplatePluginId}:Cameras:0:Name"] = "Gate",
            [$"Plugins:{TemplatePluginId}:Cameras:0:Url"] = "rtsp://127.0.0.1:8554/gate",
        };
        Service = new ServiceProcess(Root, new Dictionary<string, string>(cameras)
        {
            ["CameraService:StreamBackend"] = "null",
            ["CameraService:MediaStore"] = TemplateStoreId,
            [$"Plugins:{TemplateTransportId}:Port"] = TransportPort.ToString(CultureInfo.InvariantCulture),
        });
        var backendRoot = Directory.CreateDirectory(Path.Combine(Root, "backend-host")).FullName;
        BackendService = new ServiceProcess(backendRoot, new Dictionary<string, string>(cameras)
        {
            ["CameraService:StreamBackend"] = TemplateBackendId,
            ["CameraService:MediaStore"] = "storage",
            [$"Plugins:{TemplateTransportId}:Enabled"] = "false",
        });
        await Task.WhenAll(Service.StartAsync(TimeSpan.FromSeconds(90)), BackendService.StartAsync(TimeSpan.FromSeconds(90)));
        Client = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = Service.WebSocketUrl, Token = await Service.CreateTokenAsync("admin") });
        BackendClient = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = BackendService.WebSocketUrl, Token = await BackendService.CreateTokenAsync("admin") });
    }

    /// <summary>The vendor's loop for every kind: run the generated tests (one solution), then publish each plugin folder.</summary>
    private async Task BuildTemplatePluginsAsync(IReadOnlyDictionary<string, string> vendorEnv)
    {
        TemplateTestOutput = await RunDotnetAsync(Vendor, vendorEnv, "test", "AllKinds.slnx", "-c", "Release");
        foreach (var (name, _, id) in TemplateKinds)
        {
            await RunDotnetAsync(Path.Combine(Vendor, name), vendorEnv, "publish", $"src/{name}", "-c", "Release", "--no-build", "-o", Path.Combine(Plugins, id));
        }
    }

    public async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (BackendClient is not null)
        {
            await BackendClient.DisposeAsync();
        }

        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        if (BackendService is not null)
        {
            await BackendService.DisposeAsync();
        }

        if (Environment.GetEnvironmentVariable("SDK_TESTS_KEEP") == "1")
        {
            // Debugging aid: keep the vendor folder, the feed and the plugins to rerun a step by hand.
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling build process may still hold a file; the OS temp cleaner takes the rest.
        }
    }

    /// <summary>The versions of CameraService.Abstractions in a feed folder.</summary>
    public static IEnumerable<Version> ReleasedVersions(string feed) =>
        Directory.EnumerateFiles(feed, "CameraService.Abstractions.*.nupkg")
            .Select(f => Path.GetFileNameWithoutExtension(f)["CameraService.Abstractions.".Length..])
            .Select(v => Version.Parse(v));

    private static Task<string> RunDotnetAsync(string directory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Dotnet.RunAsync("dotnet", directory, environment, BuildTimeout, args);

    /// <summary>
    /// A NuGet.config with the SDK feed for CameraService.* and, for everything else, this machine's package folder
    /// (offline, fast) before nuget.org.
    /// </summary>
    private static void WriteNuGetConfig(string directory, string feed)
    {
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var sources = new XElement("packageSources", new XElement("clear"), Source("sdk", feed));
        var mapping = new XElement("packageSourceMapping", Mapping("sdk", "CameraService.*"));
        if (Directory.Exists(globalPackages))
        {
            sources.Add(Source("machine", globalPackages));
            mapping.Add(Mapping("machine", "*"));
        }

        sources.Add(Source("nuget.org", "https://api.nuget.org/v3/index.json"));
        mapping.Add(Mapping("nuget.org", "*"));
        new XDocument(new XElement("configuration", sources, mapping)).Save(Path.Combine(directory, "NuGet.config"));

        static XElement Source(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));
        static XElement Mapping(string key, string pattern) => new("packageSource", new XAttribute("key", key), new XElement("package", new XAttribute("pattern", pattern)));
    }

    private static Version ReadSdkVersion()
    {
        var props = XDocument.Load(Path.Combine(ServiceProcess.RepoRoot, "abstractions", "Version.props"));
        int Read(string name) => int.Parse(props.Descendants(name).Single().Value, CultureInfo.InvariantCulture);
        return new Version(Read("AbstractionsMajor"), Read("AbstractionsMinor"), Read("AbstractionsPatch"));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SdkCollection : ICollectionFixture<SdkFixture>
{
    public const string Name = "sdk";
}

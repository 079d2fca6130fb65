using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using CameraService.Client;

namespace CameraService.Sdk.Tests;

/// <summary>
/// A vendor with only the packages: the template's plugin and the sample backend, built outside the repository
/// against the package, load into the real host and work through the API.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class VendorPluginTests(SdkFixture sdk)
{
    [Fact]
    public async Task TemplatePlugin_BuiltAgainstThePackage_IsLoadedAndItsCameraListed()
    {
        await AssertLoadedAsync(SdkFixture.TemplatePluginId);

        var cameras = await WaitForCamerasAsync(c => c.Name == "Gate");
        var gate = cameras.Single(c => c.Name == "Gate");
        Assert.Equal(SdkFixture.TemplatePluginId, gate.Source);
        Assert.False(File.Exists(Path.Combine(sdk.Plugins, SdkFixture.TemplatePluginId, "CameraService.Abstractions.dll")),
            "the plugin must not ship the SDK: the host provides it");
    }


    [Fact]
    public async Task SampleBackend_IsLoaded_AndStoresPngSnapshotsOfSyntheticCameras()
    {
        await AssertLoadedAsync(SdkFixture.SamplePluginId);
        var camera = (await WaitForCamerasAsync(c => c.Source == "testpattern")).First(c => c.Source == "testpattern");

        var snapshot = await sdk.Client.TakeSnapshotAsync(camera.Device, format: "png");

        var file = Directory.EnumerateFiles(sdk.Service.MediaRoot, snapshot.Filename, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        Assert.Equal(snapshot.FileSize, bytes.Length);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.Equal(320, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));   // IHDR width
        Assert.True(File.Exists(Path.Combine(sdk.Plugins, SdkFixture.SamplePluginId, "System.IO.Hashing.dll")), "its private dependency ships in its folder");
    }

    [Fact]
    public async Task SampleBackend_SnapshotOfANetworkCamera_IsRefusedWithWhatToDo()
    {
        var gate = (await WaitForCamerasAsync(c => c.Name == "Gate")).Single(c => c.Name == "Gate");

        var error = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => sdk.Client.TakeSnapshotAsync(gate.Device, format: "png"));

        Assert.Contains("synthetic cameras only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbstractionsPackage_HasDocsReadmeSymbolsAndTheSdkVersion()
    {
        var version = SdkFixture.SdkVersion.ToString(3);
        using var package = ZipFile.OpenRead(Path.Combine(sdk.Feed, $"CameraService.Abstractions.{version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("README.md", entries);
        Assert.Contains("lib/net10.0/CameraService.Abstractions.dll", entries);
        Assert.Contains("lib/net10.0/CameraService.Abstractions.xml", entries);

        using var nuspecStream = package.GetEntry("CameraService.Abstractions.nuspec")!.Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.Equal(version, metadata.Elements().Single(e => e.Name.LocalName == "version").Value);
        Assert.Equal("README.md", metadata.Elements().Single(e => e.Name.LocalName == "readme").Value);
        Assert.Matches("^[0-9a-f]{40}$", metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("commit")?.Value ?? string.Empty);

        using var symbols = ZipFile.OpenRead(Path.Combine(sdk.Feed, $"CameraService.Abstractions.{version}.snupkg"));
        using var pdb = new MemoryStream();
        using (var entry = symbols.GetEntry("lib/net10.0/CameraService.Abstractions.pdb")!.Open())
        {
            entry.CopyTo(pdb);
        }

        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        Assert.NotEmpty(provider.GetMetadataReader().Documents);

        // The assembly's version is major.minor only, so a patch or a minor addition does not break binding.
        using var dll = new MemoryStream();
        using (var entry = package.GetEntry("lib/net10.0/CameraService.Abstractions.dll")!.Open())
        {
            entry.CopyTo(dll);
        }

        dll.Position = 0;
        using var pe = new PEReader(dll);
        Assert.Equal(new Version(SdkFixture.SdkVersion.Major, SdkFixture.SdkVersion.Minor, 0, 0), pe.GetMetadataReader().GetAssemblyDefinition().Version);
    }

    [Fact]
    public void TemplatePackage_DefaultsToThisSdkVersion()
    {
        using var package = ZipFile.OpenRead(Path.Combine(sdk.Feed, $"CameraService.Plugin.Templates.{SdkFixture.SdkVersion.ToString(3)}.nupkg"));
        using var stream = package.GetEntry("content/camera-service-plugin/.template.config/template.json")!.Open();
        using var template = JsonDocument.Parse(stream);

        Assert.Equal(SdkFixture.SdkVersion.ToString(3), template.RootElement.GetProperty("symbols").GetProperty("sdkVersion").GetProperty("defaultValue").GetString());
        Assert.Equal(["source", "backend", "store", "transport"],
            template.RootElement.GetProperty("symbols").GetProperty("kind").GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("choice").GetString()));
    }

    private Task AssertLoadedAsync(string pluginId) => Cameras.AssertLoadedAsync(sdk, pluginId);

    private async Task<IReadOnlyList<Camera>> WaitForCamerasAsync(Func<Camera, bool> wanted) => await Cameras.WaitAsync(sdk, wanted);
}

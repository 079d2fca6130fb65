using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace CameraService.Sdk.Tests;

/// <summary>
/// The binary-compatibility promise (docs/plugins.md, "Versioning rule"): a plugin built against a RELEASED SDK of
/// this major (tests/sdk-feed; the fixture is tests/SdkCompat/CompatPlugin) loads into the current host and works —
/// its descriptors, events, capture description, HTTP endpoint and IServiceEnvironment all bind.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class SdkCompatibilityTests(SdkFixture sdk)
{
    [Fact]
    public void Fixture_IsBuiltAgainstTheReleasedPackage_NotThisRepository()
    {
        using var stream = File.OpenRead(Path.Combine(sdk.Plugins, SdkFixture.CompatPluginId, "SdkCompat.Plugin.dll"));
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var sdkReference = reader.AssemblyReferences.Select(reader.GetAssemblyReference)
            .Single(r => reader.GetString(r.Name) == "CameraService.Abstractions");

        Assert.Equal(new Version(sdk.CompatSdkVersion.Major, sdk.CompatSdkVersion.Minor, 0, 0), sdkReference.Version);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(sdk.Plugins, SdkFixture.CompatPluginId, "plugin.json")));
        Assert.Equal(sdk.CompatSdkVersion.ToString(2), manifest.RootElement.GetProperty("abstractions").GetString());
    }

    [Fact]
    public async Task PluginOfAReleasedSdk_IsLoaded_AndItsCameraListed()
    {
        await Cameras.AssertLoadedAsync(sdk, SdkFixture.CompatPluginId);

        var camera = (await Cameras.WaitAsync(sdk, c => c.Source == "sdk-compat")).Single(c => c.Source == "sdk-compat");

        Assert.Equal("SDK 2.0 camera", camera.Name);
        Assert.Equal("320x240", camera.Resolution);
    }

    [Fact]
    public async Task PluginOfAReleasedSdk_ItsCaptureDescriptionReachesTheBackend()
    {
        var camera = (await Cameras.WaitAsync(sdk, c => c.Source == "sdk-compat")).Single(c => c.Source == "sdk-compat");

        // The sample backend renders the synthetic input the old plugin described (colour bars, 320x240).
        var snapshot = await sdk.Client.TakeSnapshotAsync(camera.Device, format: "png");

        Assert.True(snapshot.FileSize > 0);
    }

    [Fact]
    public async Task PluginOfAReleasedSdk_GetsTheServiceEnvironment_AndServesItsEndpoint()
    {
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri($"{sdk.Service.BaseUrl}/sdk-compat/environment"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}\n{sdk.Service.Log}");
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("stateFileWritten").GetBoolean());
        Assert.Equal(sdk.Service.BaseUrl, json.RootElement.GetProperty("publicBaseUrl").GetString());
        Assert.Equal($"{SdkFixture.SdkVersion.Major}.{SdkFixture.SdkVersion.Minor}", json.RootElement.GetProperty("sdk").GetString());
        Assert.True(File.Exists(Path.Combine(sdk.Root, "state", "plugins", SdkFixture.CompatPluginId, "started.txt")));
    }
}

using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CameraService.Client;

namespace CameraService.Sdk.Tests;

/// <summary>
/// Every kind of the template (<c>--kind source|backend|store|transport</c>), generated outside the repository and built
/// against the package only, passes its own tests, loads into the real host, and — where the host selects one by
/// configuration — is the one the host uses.
/// </summary>
[Collection(SdkCollection.Name)]
public sealed class TemplateKindTests(SdkFixture sdk)
{
    public static TheoryData<string> Kinds() => [.. SdkFixture.TemplateKinds.Select(k => k.Kind)];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TemplateKind_OwnTests_PassOutsideTheRepository(string kind)
    {
        var name = SdkFixture.TemplateKinds.Single(k => k.Kind == kind).Name;

        Assert.Matches(new Regex(@"Passed!\s+-\s+Failed:\s+0, Passed:\s+[1-9][0-9]*,.*- " + Regex.Escape(name) + @"\.Tests\.dll"), sdk.TemplateTestOutput);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TemplateKind_BuiltAgainstThePackage_IsLoadedByTheHost(string kind)
    {
        var id = SdkFixture.TemplateKinds.Single(k => k.Kind == kind).Id;

        await Cameras.AssertLoadedAsync(sdk, id);
        if (kind != "transport")
        {
            // The second host disables the transport (its port belongs to the first).
            await Cameras.AssertLoadedAsync(sdk.BackendClient, sdk.BackendService, id);
        }

        Assert.False(File.Exists(Path.Combine(sdk.Plugins, id, "CameraService.Abstractions.dll")), $"{id} must not ship the SDK: the host provides it");
    }

    [Fact]
    public async Task TemplateStore_SelectedByConfiguration_KeepsTheSnapshotsAndAnswersForTheStorage()
    {
        var camera = (await Cameras.WaitAsync(sdk, c => c.Source == "testpattern")).First(c => c.Source == "testpattern");

        var snapshot = await sdk.Client.TakeSnapshotAsync(camera.Device, format: "png");

        // The template's store lays files out as <media>/snapshots/<camera>/ and lists them by reading that folder.
        Assert.True(File.Exists(Path.Combine(sdk.Service.MediaRoot, "snapshots", camera.Device, snapshot.Filename)), $"{snapshot.Filename} is not where the template's store puts it\n{sdk.Service.Log}");
        var listed = await sdk.Client.ListSnapshotsAsync(device: camera.Device);
        Assert.Contains(listed.Files, f => f.Filename == snapshot.Filename && f.FileSize == snapshot.FileSize);

        // Only the template's store answers like this: the storage plugin supports an age policy.
        var error = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() =>
            sdk.Client.SetRetentionPolicyAsync(new RetentionPolicy("age", Enabled: true, MaxAgeDays: 7)));
        Assert.Contains($"The {SdkFixture.TemplateStoreId} media store supports only the manual retention policy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TemplateBackend_SelectedByConfiguration_HasTheCamerasAndRefusesStreamingWithWhatToDo()
    {
        var camera = (await Cameras.WaitAsync(sdk.BackendClient, sdk.BackendService, c => c.Name == "Gate")).Single(c => c.Name == "Gate");

        var streams = await sdk.BackendClient.GetStreamsAsync();
        var error = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => sdk.BackendClient.StartStreamingAsync(camera.Device));

        Assert.Contains(streams, s => s.Name == camera.Device && !s.Ready);
        Assert.Contains($"The {SdkFixture.TemplateBackendId} stream backend does not provide live streams", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TemplateTransport_ServesTheApiAsJsonLinesOverTcp()
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tcp.ConnectAsync("127.0.0.1", sdk.TransportPort, timeout.Token);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var token = await sdk.Service.CreateTokenAsync("viewer");

        var auth = await CallAsync(1, "authenticate", $$"""{"auth_token":"{{token}}"}""");
        var list = await CallAsync(2, "get_camera_list", null);

        Assert.True(auth.TryGetProperty("result", out _), auth.ToString());
        var names = list.GetProperty("result").GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("Gate", names);

        async Task<JsonElement> CallAsync(int id, string method, string? parameters)
        {
            var request = $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}"{{(parameters is null ? string.Empty : ",\"params\":" + parameters)}}}""" + "\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), timeout.Token);
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                using var message = JsonDocument.Parse(line);
                if (message.RootElement.TryGetProperty("id", out var got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == id)
                {
                    return message.RootElement.Clone();
                }
            }

            throw new IOException($"the transport closed the connection before answering {method}\n{sdk.Service.Log}");
        }
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using CameraService.Client;
using CameraService.EndToEnd.Tests;

namespace CameraService.Fleet.Tests;

/// <summary>
/// A fleet on one machine: a real nats-server, two node processes (two test-pattern cameras each, ffmpeg backend)
/// and two gateways sharing the JWT secret, started in parallel once for the whole collection.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime
{
    public const string Secret = "fleet-test-credential-0123456789abcdef";
    public const string JwtSecret = "jwt-test-secret-0123456789abcdef0123456789";
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    private readonly string _root = Directory.CreateTempSubdirectory("cs-fleet-").FullName;

    public NatsServer Nats { get; private set; } = null!;

    public ConcurrentDictionary<string, ServiceProcess> Nodes { get; } = new(StringComparer.Ordinal);

    public ServiceProcess Gateway1 { get; private set; } = null!;

    public ServiceProcess Gateway2 { get; private set; } = null!;

    public string Token { get; private set; } = null!;

    public string Root => _root;

    public async Task InitializeAsync()
    {
        Nats = new NatsServer(_root);
        await Nats.StartAsync();
        Gateway1 = new ServiceProcess(Path.Combine(_root, "gw1"), GatewaySettings(Path.Combine(_root, "gw1")));
        Gateway2 = new ServiceProcess(Path.Combine(_root, "gw2"), GatewaySettings(Path.Combine(_root, "gw2")));
        foreach (var id in new[] { "n1", "n2" })
        {
            Nodes[id] = new ServiceProcess(Path.Combine(_root, id), NodeSettings(id, Path.Combine(_root, id)));
        }

        foreach (var p in Nodes.Values.Append(Gateway1).Append(Gateway2))
        {
            Directory.CreateDirectory(p.Root);
        }

        await Task.WhenAll(Nodes.Values.Append(Gateway1).Append(Gateway2).Select(p => p.StartAsync(TimeSpan.FromSeconds(120))));
        Token = await Gateway1.CreateTokenAsync("admin");
        await using var client = await ConnectAsync(Gateway1);
        Assert.True(
            await Media.WaitUntilAsync(async () => (await client.GetCameraListAsync()).Connected == 4, TimeSpan.FromSeconds(60)),
            "the gateway never listed the 4 connected cameras of both nodes:\n" + Gateway1.Log);
    }

    public Task<CameraServiceClient> ConnectAsync(ServiceProcess gateway) =>
        CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = gateway.WebSocketUrl, Token = Token, ReconnectDelay = TimeSpan.FromMilliseconds(300) });

    public Dictionary<string, string> NodeSettings(string id, string root) => new()
    {
        ["CameraService:StreamBackend"] = "ffmpeg",
        ["Plugins:Ffmpeg:HlsDirectory"] = Path.Combine(root, "hls"),
        ["Plugins:Ffmpeg:SegmentDuration"] = "00:00:02",
        ["Plugins:TestPattern:Enabled"] = "true",
        ["Plugins:TestPattern:Count"] = "2",
        ["Plugins:TestPattern:Width"] = "320",
        ["Plugins:TestPattern:Height"] = "240",
        ["Plugins:TestPattern:Fps"] = "5",
        ["CameraService:CameraSources:0"] = "testpattern",
        ["Fleet:Role"] = "node",
        ["Fleet:NodeId"] = id,
        ["Fleet:Nats:Url"] = Nats.Url,
        ["Fleet:Secret"] = Secret,
        ["Fleet:NodeTimeout"] = "3s",
        ["Recording:ProgressInterval"] = "1s",
    };

    private Dictionary<string, string> GatewaySettings(string root) => new()
    {
        ["CameraService:StreamBackend"] = "ffmpeg",
        ["Plugins:Ffmpeg:HlsDirectory"] = Path.Combine(root, "hls"),
        ["CameraService:CameraSources:0"] = "none",
        ["Auth:JwtSecret"] = JwtSecret,
        ["Fleet:Role"] = "gateway",
        ["Fleet:Nats:Url"] = Nats.Url,
        ["Fleet:Secret"] = Secret,
        ["Fleet:NodeTimeout"] = "3s",
    };

    /// <summary>Restarts a node killed by a test: same id, state, media folder and port.</summary>
    public async Task RestartNodeAsync(string id)
    {
        var old = Nodes[id];
        var again = new ServiceProcess(old.Root, old.Settings);
        await again.StartAsync(TimeSpan.FromSeconds(120));
        Nodes[id] = again;
        await old.DisposeAsync();
    }

    /// <summary>(node, stable id) → gateway id, from a gateway's camera list.</summary>
    public static async Task<Dictionary<(string Node, string Stable), string>> BindingsAsync(CameraServiceClient client)
    {
        var list = await client.CallAsync("get_camera_list");
        var map = new Dictionary<(string, string), string>();
        foreach (var camera in list.GetProperty("cameras").EnumerateArray())
        {
            map[(camera.GetProperty("node").GetString()!, camera.GetProperty("stable_id").GetString()!)] = camera.GetProperty("device").GetString()!;
        }

        return map;
    }

    public static JsonElement CameraOf(JsonElement list, string node, int index) =>
        list.GetProperty("cameras").EnumerateArray().Where(c => c.GetProperty("node").GetString() == node).OrderBy(c => c.GetProperty("stable_id").GetString(), StringComparer.Ordinal).ElementAt(index);

    public async Task DisposeAsync()
    {
        foreach (var p in Nodes.Values.Append(Gateway1).Append(Gateway2))
        {
            if (p is not null)
            {
                await p.DisposeAsync();
            }
        }

        if (Nats is not null)
        {
            await Nats.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling writer; the OS temp cleaner takes the rest.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetFixture>
{
    public const string Name = "fleet";
}

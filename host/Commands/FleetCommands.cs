using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;
using NATS.Net;

namespace CameraService.Host.Commands;

/// <summary>
/// <c>camera-service fleet status</c>: the fleet as NATS sees it (docs/fleet.md, "Operations"). It reads the
/// <c>Fleet:*</c> settings of this installation, the node announcements and camera bindings from JetStream KV, and
/// listens to heartbeats for one <c>Fleet:NodeTimeout</c> to tell live nodes from lost ones. The host talks to NATS
/// itself (NATS.Net, like the fleet plugin) because a command must not depend on a plugin being loadable.
/// </summary>
internal static class FleetCommands
{
    public static void AddTo(RootCommand root, Option<string?> configOption)
    {
        ArgumentNullException.ThrowIfNull(root);
        var fleet = new Command("fleet", "Fleet mode tools (docs/fleet.md)");
        var status = new Command("status", "Nodes, cameras, last heartbeat and versions of the fleet")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        status.SetAction((parse, ct) => StatusAsync(parse.GetValue(configOption), parse.UnmatchedTokens, ct));
        fleet.Subcommands.Add(status);
        root.Subcommands.Add(fleet);
    }

    private static async Task<int> StatusAsync(string? configPath, IReadOnlyList<string> extra, CancellationToken cancellationToken)
    {
        IConfiguration configuration;
        TimeSpan timeout;
        NatsOpts opts;
        try
        {
            configuration = ConfigurationFactory.Build(configPath, extra);
            timeout = Duration(configuration, "Fleet:NodeTimeout", TimeSpan.FromSeconds(5));
            opts = Options(configuration);
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        // A few attempts: a busy server (or machine) may miss one connect timeout.
        NatsConnection? nats = null;
        for (var attempt = 1; nats is null; attempt++)
        {
            var candidate = new NatsConnection(opts);
            try
            {
                await candidate.ConnectAsync().ConfigureAwait(false);
                nats = candidate;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException)
            {
                await candidate.DisposeAsync().ConfigureAwait(false);
                if (attempt == 3)
                {
                    await Console.Error.WriteLineAsync($"Cannot reach NATS at {opts.Url}: {ex.Message}. Check Fleet:Nats:Url and that nats-server runs.").ConfigureAwait(false);
                    return ExitCodes.MissingDependency;
                }
            }
        }

        await using var connection = nats;

        // Heartbeats heard during one node timeout tell which nodes are up; the KV copy names every node that ever joined.
        var heard = new Dictionary<string, (DateTimeOffset At, JsonElement Announcement)>(StringComparer.Ordinal);
        using (var listen = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            listen.CancelAfter(timeout);
            var listening = Task.Run(async () =>
            {
                try
                {
                    await foreach (var msg in nats.SubscribeAsync<byte[]>("fleet.hb.*", cancellationToken: listen.Token).ConfigureAwait(false))
                    {
                        if (msg.Data is { } data)
                        {
                            using var doc = JsonDocument.Parse(data);
                            if (doc.RootElement.TryGetProperty("node", out var id) && id.GetString() is { } nodeId)
                            {
                                lock (heard)
                                {
                                    heard[nodeId] = (TimeProvider.System.GetUtcNow(), doc.RootElement.Clone());
                                }
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Listened for one node timeout.
                }
            }, CancellationToken.None);
            await nats.PublishAsync("fleet.discover", Array.Empty<byte>(), cancellationToken: cancellationToken).ConfigureAwait(false);
            await listening.ConfigureAwait(false);
        }

        var known = await ReadBucketAsync(nats, "fleet_nodes", cancellationToken).ConfigureAwait(false);
        var bindings = await ReadBucketAsync(nats, "fleet_camera_ids", cancellationToken).ConfigureAwait(false);
        var ids = new Dictionary<(string Node, string Stable), string>();
        foreach (var (key, value) in bindings)
        {
            var parts = key.Split('.', 3);
            if (parts is ["b", var node, var stable])
            {
                ids[(node, Encoding.UTF8.GetString(Convert.FromBase64String(stable.Replace('-', '+').Replace('_', '/'))))] = Encoding.UTF8.GetString(value);
            }
        }

        var nodes = known.Keys.Union(heard.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (nodes.Count == 0)
        {
            Console.WriteLine($"No fleet node has announced itself on {opts.Url}.");
            return ExitCodes.Success;
        }

        var down = 0;
        Console.WriteLine($"Fleet on {opts.Url}: {nodes.Count} node(s), listened {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s for heartbeats");
        foreach (var node in nodes)
        {
            var live = heard.TryGetValue(node, out var h);
            down += live ? 0 : 1;
            using var stored = known.TryGetValue(node, out var bytes) ? JsonDocument.Parse(bytes) : null;
            var announcement = live ? h.Announcement : stored!.RootElement;
            Console.WriteLine();
            Console.WriteLine($"node {node}  {(live ? "UP" : "DOWN")}  version {Text(announcement, "version")}  base_url {Text(announcement, "base_url")}");
            Console.WriteLine($"  last heartbeat: {(live ? h.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : "none within the node timeout")}  started {Text(announcement, "started_at")}");
            if (announcement.TryGetProperty("cameras", out var cameras) && cameras.ValueKind == JsonValueKind.Array)
            {
                foreach (var camera in cameras.EnumerateArray())
                {
                    var stable = Text(camera, "stable_id");
                    var id = ids.GetValueOrDefault((node, stable), "(unassigned)");
                    Console.WriteLine($"  {id,-12} local {Text(camera, "device"),-10} {(live ? Text(camera, "status") : "DISCONNECTED"),-12} {Text(camera, "name")}  [{stable}]");
                }
            }
        }

        return down == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static async Task<Dictionary<string, byte[]>> ReadBucketAsync(NatsConnection nats, string bucket, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        INatsKVStore store;
        try
        {
            store = await nats.CreateKeyValueStoreContext().GetStoreAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsKVException or NATS.Client.JetStream.NatsJSException)
        {
            return result;
        }

        var keys = new List<string>();
        try
        {
            await foreach (var key in store.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                keys.Add(key);
            }
        }
        catch (NatsKVException)
        {
            return result;
        }

        foreach (var key in keys)
        {
            var entry = await store.GetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Value is { } value)
            {
                result[key] = value;
            }
        }

        return result;
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";

    private static NatsOpts Options(IConfiguration configuration)
    {
        string? Get(string key) => configuration[key] is { Length: > 0 } v ? v : null;
        var tlsRequired = Get("Fleet:Nats:Tls:Required") is { } r && bool.TryParse(r, out var b) && b;
        return NatsOpts.Default with
        {
            Url = Get("Fleet:Nats:Url") ?? "nats://127.0.0.1:4222",
            Name = "camera-service fleet status",
            AuthOpts = NatsAuthOpts.Default with
            {
                Username = Get("Fleet:Nats:User"),
                Password = Get("Fleet:Nats:Password"),
                Token = Get("Fleet:Nats:Token"),
                NKeyFile = Get("Fleet:Nats:NKeyFile"),
                CredsFile = Get("Fleet:Nats:CredsFile"),
            },
            TlsOpts = NatsTlsOpts.Default with
            {
                CaFile = Get("Fleet:Nats:Tls:CaFile"),
                CertFile = Get("Fleet:Nats:Tls:CertFile"),
                KeyFile = Get("Fleet:Nats:Tls:KeyFile"),
                Mode = tlsRequired ? TlsMode.Require : TlsMode.Auto,
            },
            ConnectTimeout = TimeSpan.FromSeconds(5),
            MaxReconnectRetry = 0,
        };
    }

    private static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        var t = text.Trim();
        var (number, scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : t.EndsWith('h') ? (t[..^1], 3600.0)
            : (t, double.NaN);
        if (!double.IsNaN(scale) && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return TimeSpan.FromSeconds(value * scale);
        }

        return TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new ConfigurationException(key, $"must be a duration such as 5s, 500ms or 00:00:05 (got '{text}')");
    }
}

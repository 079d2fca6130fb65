using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;
using NATS.Net;

namespace CameraService.Plugins.Fleet;

/// <summary>The NATS subjects and JetStream buckets of the fleet protocol (docs/fleet.md, "Protocol").</summary>
internal static class FleetSubjects
{
    /// <summary>Request/reply: JSON-RPC requests for one node (queue group <see cref="NodeQueue"/>).</summary>
    public static string Rpc(string nodeId) => $"fleet.rpc.{nodeId}";

    /// <summary>The queue group of a node's request subject: two processes started with the same id share the load instead of answering twice.</summary>
    public static string NodeQueue(string nodeId) => $"fleet-node-{nodeId}";

    /// <summary>A node's announcement (id, version, base URL, cameras), sent as its heartbeat.</summary>
    public static string Heartbeat(string nodeId) => $"fleet.hb.{nodeId}";

    public const string AllHeartbeats = "fleet.hb.*";

    /// <summary>Notifications: <c>fleet.evt.&lt;node&gt;.&lt;device or _&gt;.&lt;method&gt;</c>.</summary>
    public static string Event(string nodeId, string? device, string method) => $"fleet.evt.{nodeId}.{device ?? "_"}.{method}";

    public const string AllEvents = "fleet.evt.>";

    /// <summary>A gateway asks every node to announce itself now (after a gateway start or a reconnect).</summary>
    public const string Discover = "fleet.discover";

    /// <summary>KV bucket: camera id bindings (<c>b.&lt;node&gt;.&lt;stable id, base64url&gt;</c> → <c>camera&lt;N&gt;</c>) and the counter <c>next</c>.</summary>
    public const string CameraIdBucket = "fleet_camera_ids";

    /// <summary>KV bucket: the last announcement of every node that ever joined (key = node id).</summary>
    public const string NodeBucket = "fleet_nodes";

    // Request headers set by the gateway and covered by the signature.
    public const string HeaderTimestamp = "Fleet-Ts";
    public const string HeaderNonce = "Fleet-Nonce";
    public const string HeaderUser = "Fleet-User";
    public const string HeaderRole = "Fleet-Role";
    public const string HeaderGateway = "Fleet-Gateway";
    public const string HeaderSignature = "Fleet-Sig";
}

/// <summary>Builds the NATS client options from <c>Fleet:Nats</c>.</summary>
internal static class FleetNats
{
    public static NatsOpts Options(FleetOptions options, string clientName, ILoggerFactory loggerFactory)
    {
        var nats = options.Nats;
        var auth = NatsAuthOpts.Default with
        {
            Username = NullIfEmpty(nats.User),
            Password = NullIfEmpty(nats.Password),
            Token = NullIfEmpty(nats.Token),
            NKeyFile = NullIfEmpty(nats.NKeyFile),
            CredsFile = NullIfEmpty(nats.CredsFile),
        };
        var tlsRequired = bool.TryParse(nats.Tls.Required, out var r) && r;
        var tls = NatsTlsOpts.Default with
        {
            CaFile = NullIfEmpty(nats.Tls.CaFile),
            CertFile = NullIfEmpty(nats.Tls.CertFile),
            KeyFile = NullIfEmpty(nats.Tls.KeyFile),
            Mode = tlsRequired ? TlsMode.Require : TlsMode.Auto,
        };
        return NatsOpts.Default with
        {
            Url = string.IsNullOrWhiteSpace(nats.Url) ? "nats://127.0.0.1:4222" : nats.Url,
            Name = clientName,
            AuthOpts = auth,
            TlsOpts = tls,
            LoggerFactory = loggerFactory,

            // A box keeps working without NATS: the client keeps trying, forever, in the background.
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),

            // Publishing while disconnected fails fast instead of piling up: announcements catch up after a reconnect.
            PublishTimeoutOnDisconnected = true,
        };
    }

    /// <summary>The <c>fleet_nodes</c> bucket (created when missing): the node writes its announcement, the gateway reads all.</summary>
    public static ValueTask<INatsKVStore> NodeStoreAsync(NatsConnection nats, CancellationToken cancellationToken) =>
        nats.CreateKeyValueStoreContext().CreateOrUpdateStoreAsync(new NatsKVConfig(FleetSubjects.NodeBucket) { History = 1 }, cancellationToken);

    /// <summary>Every key of a bucket; none for an empty bucket (whose listing NATS answers with an error).</summary>
    public static async Task<List<string>> KeysAsync(INatsKVStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
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
            // An empty bucket has no keys to list.
        }

        return keys;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

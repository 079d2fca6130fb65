using System.Threading.Channels;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// A node's notifications on NATS: a session of its own subscribes to every topic of the contract, its notifications
/// are queued (4096, the oldest dropped first) without ever blocking the core's hub, and published on
/// <c>fleet.evt.&lt;node&gt;.&lt;device&gt;.&lt;method&gt;</c>. While NATS is down they are dropped and counted; the gateway
/// re-reads camera states from the next announcement.
/// </summary>
internal sealed partial class NodeEventForwarder(NatsConnection nats, string nodeId, FleetMetrics metrics, ILogger logger)
{
    // The contract's topics (api-contract.md §5 and §8): the forwarding session subscribes to all of them.
    private static readonly string[] AllTopics =
    [
        "camera.connected", "camera.disconnected", "camera.status_change", "recording.start", "recording.stop",
        "recording.error", "snapshot.taken", "storage.warning", "storage.critical", "system.health",
        "camera.controls", "recording.progress",
    ];

    private readonly Channel<byte[]> _events = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Opens the forwarding session (then <see cref="SubscribeAllAsync"/> it); its notifications fill the queue.</summary>
    public IRpcSession OpenSession(ITrustedRpcEndpoint endpoint, TrustedPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.OpenTrustedSession(new ForwardingConnection(_events.Writer, nodeId), principal);
    }

    /// <summary>Subscribes the forwarding session to every topic; a refusal is logged (requests and heartbeats go on).</summary>
    public async Task SubscribeAllAsync(IRpcSession session, CancellationToken cancellationToken)
    {
        var topics = string.Join(",", AllTopics.Select(t => $"\"{t}\""));
        try
        {
            await InProcessRpc.CallMethodAsync(session, "subscribe_events", $"{{\"topics\":[{topics}]}}", cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) // the core refused: say so, the node still serves requests and heartbeats
        {
            LogSubscribeFailed(logger, nodeId, ex.Message);
        }
    }

    /// <summary>Publishes the queued notifications until <paramref name="stoppingToken"/>.</summary>
    public async Task ForwardAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in _events.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            if (nats.ConnectionState != NatsConnectionState.Open)
            {
                // Dropped while NATS is down; the gateway re-reads camera states from the next announcement.
                metrics.RecordEventDropped();
                continue;
            }

            if (FleetEvents.SubjectOf(nodeId, message) is not { } subject)
            {
                continue;
            }

            try
            {
                await nats.PublishAsync(subject, message, cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException)
            {
                metrics.RecordEventDropped();
            }
        }
    }

    [LoggerMessage(EventId = 8007, Level = LogLevel.Error, Message = "Fleet node {NodeId} could not subscribe its forwarding session to every topic: {Answer}")]
    private static partial void LogSubscribeFailed(ILogger logger, string nodeId, string answer);

    /// <summary>The connection of the forwarding session: each notification is copied into the queue to NATS, never blocking the hub.</summary>
    private sealed class ForwardingConnection(ChannelWriter<byte[]> writer, string nodeId) : IRpcConnection
    {
        public string ConnectionId => $"fleet-events-{nodeId}";

        public string? RemoteAddress => "nats";

        public string? InitialCredential => null;

        public bool TrySendNotification(ReadOnlySpan<byte> utf8Message) => writer.TryWrite(utf8Message.ToArray());

        public void Close(string reason) => writer.TryComplete();
    }
}

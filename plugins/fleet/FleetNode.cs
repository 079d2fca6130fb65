using System.Text;
using System.Threading.Channels;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The node role (<c>Fleet:Role=node</c>): serves every API method for this box's cameras over NATS
/// request/reply on <c>fleet.rpc.&lt;node&gt;</c> by running each gateway-signed request through the core's
/// JSON-RPC path in a trusted session with the gateway client's role; announces itself (id, version, base URL,
/// cameras with stable ids) as its heartbeat and into the <c>fleet_nodes</c> KV bucket; forwards its
/// notifications to <c>fleet.evt.&lt;node&gt;.&lt;device&gt;.&lt;method&gt;</c>. NATS being down never touches the
/// local API: the client reconnects in the background and the node re-announces when it is back.
/// </summary>
internal sealed partial class FleetNode : IHostedService, IDisposable
{
    // The contract's topics (api-contract.md §5): the forwarding session subscribes to all of them.
    private static readonly string[] AllTopics =
    [
        "camera.connected", "camera.disconnected", "camera.status_change", "recording.start", "recording.stop",
        "recording.error", "snapshot.taken", "storage.warning", "storage.critical", "system.health",
    ];

    private readonly FleetOptions _options;
    private readonly string _nodeId;
    private readonly InProcessRpc _rpc;
    private readonly ITrustedRpcEndpoint _endpoint;
    private readonly FleetSigner _signer;
    private readonly FleetMetrics _metrics;
    private readonly ILogger<FleetNode> _logger;
    private readonly string? _baseUrl;
    private readonly TrustedPrincipal _self;
    private readonly NatsConnection _nats;
    private readonly BackgroundLoops _loops;
    private readonly Channel<byte[]> _events = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly SemaphoreSlim _announceNow = new(0, 1);
    private readonly SemaphoreSlim _concurrency = new(64);
    private readonly string _startedAt;
    private string? _lastStoredAnnouncement;
    private string? _version;
    private IRpcSession? _forwarding;
    private IRpcSession? _own;

    public FleetNode(
        IOptions<FleetOptions> options,
        ITrustedRpcEndpoint endpoint,
        FleetSigner signer,
        FleetMetrics metrics,
        IServiceEnvironment environment,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        ILogger<FleetNode> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Value;
        _nodeId = _options.NodeId!;
        _endpoint = endpoint;
        _rpc = new InProcessRpc(endpoint);
        _signer = signer;
        _metrics = metrics;
        _logger = logger;
        _baseUrl = environment.PublicBaseUrl;
        _self = new TrustedPrincipal { UserId = $"fleet:{_nodeId}", Role = ApiRole.Admin };
        _startedAt = time.GetUtcNow().UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        _loops = new BackgroundLoops(logger, time);
        _nats = FleetConnection.Create(_options, $"camera-service node {_nodeId}", loggerFactory, metrics, OnConnected, OnDisconnected);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loops.Start();

        // Notifications reach NATS through a session of their own that subscribes to every topic; the node's own
        // calls (announcements) run one at a time on another.
        var forwarding = _endpoint.OpenTrustedSession(new ForwardingConnection(_events.Writer, _nodeId), _self);
        _forwarding = forwarding;
        _own = _endpoint.OpenTrustedSession(new DiscardingConnection($"fleet-own-{_nodeId}", _self.UserId), _self);
        _loops.Run($"fleet node {_nodeId}: subscribe", stop => SubscribeAllAsync(forwarding, stop));

        // NATS trouble (the server gone mid-subscribe, …) must never stop the node: each loop is restarted after a pause.
        _loops.RunGuarded($"fleet node {_nodeId}: requests", ServeRequestsAsync, FleetConnection.LoopRestartDelay);
        _loops.RunGuarded($"fleet node {_nodeId}: discover", ServeDiscoverAsync, FleetConnection.LoopRestartDelay);
        _loops.RunGuarded($"fleet node {_nodeId}: heartbeat", HeartbeatAsync, FleetConnection.LoopRestartDelay);
        _loops.RunGuarded($"fleet node {_nodeId}: events", ForwardEventsAsync, FleetConnection.LoopRestartDelay);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await FleetConnection.CloseAsync(_loops, _nats, cancellationToken).ConfigureAwait(false);
        _forwarding?.Dispose();
        _own?.Dispose();
        _forwarding = null;
        _own = null;
    }

    public void Dispose()
    {
        _loops.Dispose();
        _announceNow.Dispose();
        _concurrency.Dispose();
    }

    private void OnConnected()
    {
        LogConnected(_logger, _nodeId, _options.Nats.Url ?? "nats://127.0.0.1:4222");
        _announceNow.TryRelease();
    }

    private void OnDisconnected() => LogDisconnected(_logger, _nodeId);

    private async Task ServeRequestsAsync(CancellationToken stoppingToken)
    {
        var subject = FleetSubjects.Rpc(_nodeId);
        await foreach (var msg in _nats.SubscribeAsync<byte[]>(subject, FleetSubjects.NodeQueue(_nodeId), cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            await _concurrency.WaitAsync(stoppingToken).ConfigureAwait(false);
            _ = Task.Run(async () =>
            {
                try
                {
                    await HandleRequestAsync(msg, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    _concurrency.Release();
                }
            }, stoppingToken);
        }
    }

    private async Task HandleRequestAsync(NatsMsg<byte[]> msg, CancellationToken stoppingToken)
    {
        var body = msg.Data ?? [];
        byte[] reply;
        try
        {
            var request = FleetRequest.Of(msg.Headers);
            var refused = request.Verify(_signer, _nodeId, body);
            var role = FleetRoles.Parse(request.Role);
            if (refused is null && role is null)
            {
                refused = "fleet_role_invalid";
            }

            if (refused is not null)
            {
                LogRefused(_logger, _nodeId, refused, request.Gateway);
                _metrics.RecordRefused(refused);
                reply = RpcReplies.Error(body, RpcReplies.AuthenticationFailed, refused);
            }
            else
            {
                var principal = new TrustedPrincipal { UserId = $"fleet:{request.Gateway}:{request.User}", Role = role!.Value };
                reply = await _rpc.CallAsync(principal, body, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) // answer the gateway rather than let it time out; the details are in this node's log
        {
            LogRequestFailed(_logger, ex, _nodeId);
            reply = RpcReplies.Error(body, RpcReplies.DependencyFailed, "node_internal_error");
        }

        if (msg.ReplyTo is not null)
        {
            await msg.ReplyAsync(reply, cancellationToken: stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task ServeDiscoverAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in _nats.SubscribeAsync<byte[]>(FleetSubjects.Discover, cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            _announceNow.TryRelease();
        }
    }

    private async Task HeartbeatAsync(CancellationToken stoppingToken)
    {
        INatsKVStore? store = null;
        var interval = _options.HeartbeatIntervalValue;
        _version ??= await ReadVersionAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_nats.ConnectionState == NatsConnectionState.Open)
            {
                var announcement = await AnnouncementAsync(stoppingToken).ConfigureAwait(false);
                try
                {
                    await _nats.PublishAsync(FleetSubjects.Heartbeat(_nodeId), announcement, cancellationToken: stoppingToken).ConfigureAwait(false);

                    // The KV copy lets a gateway that starts later (and `fleet status`) know nodes that are gone.
                    var text = Encoding.UTF8.GetString(announcement);
                    if (!string.Equals(text, _lastStoredAnnouncement, StringComparison.Ordinal))
                    {
                        store ??= await FleetNats.NodeStoreAsync(_nats, stoppingToken).ConfigureAwait(false);
                        await store.PutAsync(_nodeId, announcement, cancellationToken: stoppingToken).ConfigureAwait(false);
                        _lastStoredAnnouncement = text;
                    }
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException or InvalidOperationException)
                {
                    // NATS went away between the check and the publish: the next beat after the reconnect catches up.
                    store = null;
                    _lastStoredAnnouncement = null;
                    LogAnnounceFailed(_logger, _nodeId, ex.Message);
                }
            }
            else
            {
                _lastStoredAnnouncement = null;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(interval);
            try
            {
                await _announceNow.WaitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The interval passed.
            }
        }
    }

    /// <summary>The announcement: who this node is and its cameras as <c>get_camera_list</c> shows them.</summary>
    private async Task<byte[]> AnnouncementAsync(CancellationToken cancellationToken)
    {
        var cameras = await InProcessRpc.CallMethodAsync(_own!, "get_camera_list", "{}", cancellationToken).ConfigureAwait(false);
        return FleetAnnouncement.Write(_nodeId, _version ?? "unknown", _baseUrl, _startedAt, cameras.TryGetProperty("cameras", out var list) ? list : default);
    }

    private async Task<string> ReadVersionAsync(CancellationToken cancellationToken)
    {
        var info = await InProcessRpc.CallMethodAsync(_own!, "get_server_info", "{}", cancellationToken).ConfigureAwait(false);
        return info.TryGetProperty("version", out var v) ? v.GetString() ?? "unknown" : "unknown";
    }

    private async Task SubscribeAllAsync(IRpcSession session, CancellationToken cancellationToken)
    {
        var topics = string.Join(",", AllTopics.Select(t => $"\"{t}\""));
        try
        {
            await InProcessRpc.CallMethodAsync(session, "subscribe_events", $"{{\"topics\":[{topics}]}}", cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) // the core refused: say so, the node still serves requests and heartbeats
        {
            LogSubscribeFailed(_logger, _nodeId, ex.Message);
        }
    }

    private async Task ForwardEventsAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in _events.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            if (_nats.ConnectionState != NatsConnectionState.Open)
            {
                // Dropped while NATS is down; the gateway re-reads camera states from the next announcement.
                _metrics.RecordEventDropped();
                continue;
            }

            if (FleetEvents.SubjectOf(_nodeId, message) is not { } subject)
            {
                continue;
            }

            try
            {
                await _nats.PublishAsync(subject, message, cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException)
            {
                _metrics.RecordEventDropped();
            }
        }
    }

    /// <summary>The connection of the forwarding session: each notification is copied into the queue to NATS, never blocking the hub.</summary>
    private sealed class ForwardingConnection(ChannelWriter<byte[]> writer, string nodeId) : IRpcConnection
    {
        public string ConnectionId => $"fleet-events-{nodeId}";

        public string? RemoteAddress => "nats";

        public string? InitialCredential => null;

        public bool TrySendNotification(ReadOnlySpan<byte> utf8Message) => writer.TryWrite(utf8Message.ToArray());

        public void Close(string reason) => writer.TryComplete();
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Fleet node {NodeId} connected to NATS at {Url}")]
    private static partial void LogConnected(ILogger logger, string nodeId, string url);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Fleet node {NodeId} lost NATS; the local API keeps working and the node re-announces when NATS is back")]
    private static partial void LogDisconnected(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Fleet node {NodeId} refused a request ({Reason}) claiming gateway {Gateway}")]
    private static partial void LogRefused(ILogger logger, string nodeId, string reason, string? gateway);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Error, Message = "Fleet node {NodeId} failed to serve a request")]
    private static partial void LogRequestFailed(ILogger logger, Exception exception, string nodeId);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Debug, Message = "Fleet node {NodeId} could not announce itself: {Reason}")]
    private static partial void LogAnnounceFailed(ILogger logger, string nodeId, string reason);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Error, Message = "Fleet node {NodeId} could not subscribe its forwarding session to every topic: {Answer}")]
    private static partial void LogSubscribeFailed(ILogger logger, string nodeId, string answer);
}

internal static class SemaphoreExtensions
{
    /// <summary>Signals a one-slot semaphore unless it is already signalled.</summary>
    public static void TryRelease(this SemaphoreSlim semaphore)
    {
        try
        {
            if (semaphore.CurrentCount == 0)
            {
                semaphore.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled by another thread.
        }
    }
}

using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The node role (<c>Fleet:Role=node</c>): serves every API method for this box's cameras over NATS
/// request/reply on <c>fleet.rpc.&lt;node&gt;</c> by running each gateway-signed request through the core's
/// JSON-RPC path in a trusted session with the gateway client's role; announces itself (<see cref="NodeAnnouncer"/>)
/// and forwards its notifications (<see cref="NodeEventForwarder"/>). NATS being down never touches the local API:
/// the client reconnects in the background and the node re-announces when it is back.
/// </summary>
internal sealed partial class FleetNode : IHostedService, IDisposable
{
    private readonly FleetOptions _options;
    private readonly string _nodeId;
    private readonly InProcessRpc _rpc;
    private readonly ITrustedRpcEndpoint _endpoint;
    private readonly FleetSigner _signer;
    private readonly FleetMetrics _metrics;
    private readonly ILogger<FleetNode> _logger;
    private readonly TrustedPrincipal _self;
    private readonly NatsConnection _nats;
    private readonly BackgroundLoops _loops;
    private readonly NodeAnnouncer _announcer;
    private readonly NodeEventForwarder _forwarder;
    private readonly SemaphoreSlim _concurrency = new(64);
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
        _self = new TrustedPrincipal { UserId = $"fleet:{_nodeId}", Role = ApiRole.Admin };
        _loops = new BackgroundLoops(logger, time);
        _nats = FleetConnection.Create(_options, $"camera-service node {_nodeId}", loggerFactory, metrics, OnConnected, OnDisconnected);
        var startedAt = time.GetUtcNow().UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        _announcer = new NodeAnnouncer(_nats, _nodeId, environment.PublicBaseUrl, startedAt, _options.HeartbeatIntervalValue, logger);
        _forwarder = new NodeEventForwarder(_nats, _nodeId, metrics, logger);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loops.Start();

        // Notifications reach NATS through a session of their own that subscribes to every topic; the node's own
        // calls (announcements) run one at a time on another.
        var forwarding = _forwarder.OpenSession(_endpoint, _self);
        var own = _endpoint.OpenTrustedSession(new DiscardingConnection($"fleet-own-{_nodeId}", _self.UserId), _self);
        (_forwarding, _own) = (forwarding, own);
        _loops.Run($"fleet node {_nodeId}: subscribe", stop => _forwarder.SubscribeAllAsync(forwarding, stop));

        // NATS trouble (the server gone mid-subscribe, …) must never stop the node: each loop is restarted after a pause.
        _loops.RunGuarded($"fleet node {_nodeId}: requests", ServeRequestsAsync, FleetConnection.LoopRestartDelay);
        _loops.RunGuarded($"fleet node {_nodeId}: discover", _announcer.ServeDiscoverAsync, FleetConnection.LoopRestartDelay);
        _loops.RunGuarded($"fleet node {_nodeId}: heartbeat", stop => _announcer.HeartbeatAsync(own, stop), FleetConnection.LoopRestartDelay);
        _loops.RunGuarded($"fleet node {_nodeId}: events", _forwarder.ForwardAsync, FleetConnection.LoopRestartDelay);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await FleetConnection.CloseAsync(_loops, _nats, cancellationToken).ConfigureAwait(false);
        _forwarding?.Dispose();
        _own?.Dispose();
        (_forwarding, _own) = (null, null);
    }

    public void Dispose()
    {
        _loops.Dispose();
        _announcer.Dispose();
        _concurrency.Dispose();
    }

    private void OnConnected()
    {
        LogConnected(_logger, _nodeId, _options.Nats.Url ?? "nats://127.0.0.1:4222");
        _announcer.AnnounceNow();
    }

    private void OnDisconnected() => LogDisconnected(_logger, _nodeId);

    private async Task ServeRequestsAsync(CancellationToken stoppingToken)
    {
        var subject = FleetSubjects.Rpc(_nodeId);
        await foreach (var msg in _nats.SubscribeAsync<byte[]>(subject, FleetSubjects.NodeQueue(_nodeId), cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            // Up to 64 requests at a time, each on its own: one slow call (a snapshot) never holds up the others.
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

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Fleet node {NodeId} connected to NATS at {Url}")]
    private static partial void LogConnected(ILogger logger, string nodeId, string url);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Fleet node {NodeId} lost NATS; the local API keeps working and the node re-announces when NATS is back")]
    private static partial void LogDisconnected(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Fleet node {NodeId} refused a request ({Reason}) claiming gateway {Gateway}")]
    private static partial void LogRefused(ILogger logger, string nodeId, string reason, string? gateway);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Error, Message = "Fleet node {NodeId} failed to serve a request")]
    private static partial void LogRequestFailed(ILogger logger, Exception exception, string nodeId);
}

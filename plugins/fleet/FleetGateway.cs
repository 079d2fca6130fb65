using CameraService.Abstractions.Api;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway role (<c>Fleet:Role=gateway</c>): composes the gateway's parts on one NATS connection and runs their
/// loops. <see cref="GatewayNodes"/> keeps the view of the nodes (announcements, notifications, liveness),
/// <see cref="CameraIds"/> maps node-local camera ids to the gateway's <c>camera&lt;N&gt;</c> ids, <see cref="IdRewriter"/>
/// translates what nodes say, <see cref="NodeClient"/> sends signed requests to nodes, and <see cref="GatewayRouter"/>
/// answers the API with them. Holds no state of its own beyond caches: everything is rebuilt from NATS.
/// </summary>
internal sealed partial class FleetGateway : IHostedService, IDisposable
{
    private readonly FleetOptions _options;
    private readonly ILogger<FleetGateway> _logger;
    private readonly BackgroundLoops _loops;
    private readonly SemaphoreSlim _reconnected = new(0, 1);

    public FleetGateway(IOptions<FleetOptions> options, FleetSigner signer, FleetMetrics metrics, IRpcNotificationPublisher publisher, ILoggerFactory loggerFactory, TimeProvider time, ILogger<FleetGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _loops = new BackgroundLoops(logger, time);
        GatewayId = $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
        Nats = FleetConnection.Create(_options, $"camera-service gateway {GatewayId}", loggerFactory, metrics, OnConnected, OnDisconnected);
        Ids = new CameraIds(Nats);
        Rewriter = new IdRewriter(Ids);
        Nodes = new GatewayNodes(Nats, Ids, new GatewayNotifications(Rewriter, publisher), metrics, time, logger);
        Client = new NodeClient(Nats, GatewayId, _options, signer, metrics);
    }

    public string GatewayId { get; }

    public NatsConnection Nats { get; }

    public CameraIds Ids { get; }

    public IdRewriter Rewriter { get; }

    public GatewayNodes Nodes { get; }

    public NodeClient Client { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // NATS trouble (the server gone mid-subscribe, …) must never stop the gateway: each loop is restarted after a pause.
        var timeout = _options.NodeTimeoutValue;
        _loops.Start();
        _loops.RunGuarded("fleet gateway: heartbeats", Nodes.HeartbeatsAsync, FleetConnection.LoopRestartDelay);
        _loops.RunGuarded("fleet gateway: node events", Nodes.EventsAsync, FleetConnection.LoopRestartDelay);
        _loops.RunEvery("fleet gateway: node liveness", LivenessPeriod(timeout), () => Nodes.CheckLiveness(timeout));
        _loops.RunGuarded("fleet gateway: catch-up", CatchUpAsync, FleetConnection.LoopRestartDelay);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await FleetConnection.CloseAsync(_loops, Nats, cancellationToken).ConfigureAwait(false);
        Ids.Dispose();
    }

    public void Dispose()
    {
        _loops.Dispose();
        _reconnected.Dispose();
    }

    /// <summary>A tenth of the timeout, between 50 ms and 1 s: a lost node is reported soon after the timeout.</summary>
    private static TimeSpan LivenessPeriod(TimeSpan timeout) =>
        TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));

    /// <summary>After every (re)connect: read the known nodes and bindings from KV, then ask every node to announce itself now.</summary>
    private async Task CatchUpAsync(CancellationToken stoppingToken)
    {
        await Nats.ConnectAsync().ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Ids.LoadAsync(stoppingToken).ConfigureAwait(false);
                await Nodes.LoadKnownAsync(stoppingToken).ConfigureAwait(false);
                await Nats.PublishAsync(FleetSubjects.Discover, Array.Empty<byte>(), cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or NatsKVException)
            {
                LogCatchUpFailed(_logger, ex.Message);
            }

            await _reconnected.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private void OnConnected()
    {
        LogConnected(_logger, GatewayId);
        _reconnected.TryRelease();
    }

    private void OnDisconnected() => LogDisconnected(_logger, GatewayId);

    [LoggerMessage(EventId = 8020, Level = LogLevel.Information, Message = "Fleet gateway {GatewayId} connected to NATS")]
    private static partial void LogConnected(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 8021, Level = LogLevel.Warning, Message = "Fleet gateway {GatewayId} lost NATS; nodes will be reported lost after Fleet:NodeTimeout")]
    private static partial void LogDisconnected(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 8026, Level = LogLevel.Warning, Message = "Fleet gateway could not read the fleet's state from NATS: {Reason}")]
    private static partial void LogCatchUpFailed(ILogger logger, string reason);
}

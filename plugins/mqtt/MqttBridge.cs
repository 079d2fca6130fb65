using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Plugins;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The MQTT bridge (docs/mqtt.md): publishes availability, camera state, recording state, snapshots, storage, health
/// and every API notification to a broker, announces the cameras to Home Assistant, and executes commands.
/// It drives the service only through the public JSON-RPC API, in-process: one trusted session (admin, read-only
/// calls and notifications) for what it publishes and, when commands are enabled, one with the configured role
/// for what it executes.
/// </summary>
/// <remarks>
/// This class only composes and runs the parts: <see cref="MqttConnection"/> (connect, reconnect, publish),
/// <see cref="StatePublisher"/> (retained state and Home Assistant discovery), <see cref="EventPublisher"/>
/// (notifications and snapshots) and <see cref="CommandHandler"/> (commands), each on a loop of its own.
/// <see cref="StartAsync"/> returns without waiting for the broker, notifications reach the bridge through a bounded
/// queue that never blocks the service, and a broker outage only stops the publishing (reconnects with exponential
/// backoff; on reconnect every retained topic is republished). The transport's health stays RUNNING during an outage
/// (the API it serves is unaffected; the outage shows as <c>last_error</c> and in <c>camera_service_mqtt_connected</c>),
/// so a broker never takes <c>/health/ready</c> down.
/// </remarks>
internal sealed class MqttBridge : IApiTransport, IAsyncDisposable
{
    private const string ReaderUser = "mqtt";
    private const string CommandUser = "mqtt-commands";

    private static readonly string[] EventTopics =
    [
        "camera.connected", "camera.disconnected", "camera.status_change",
        "recording.start", "recording.stop", "recording.error",
        "snapshot.taken", "storage.warning", "storage.critical", "system.health",
    ];

    private readonly MqttOptions _options;
    private readonly IServiceProvider _services;
    private readonly string _mediaStoreName;
    private readonly TimeProvider _time;
    private readonly ILogger<MqttBridge> _logger;
    private readonly MqttTopics _topics;
    private readonly BackgroundLoops _loops;
    private readonly MqttConnection _connection;
    private readonly StatePublisher _state;
    private readonly EventPublisher _events;
    private readonly CommandHandler _commands;
    private ApiSession? _reader;
    private ApiSession? _commandSession;

    public MqttBridge(IOptions<MqttOptions> options, IServiceProvider services, IServiceEnvironment environment, TimeProvider time, MqttMetrics metrics, ILogger<MqttBridge> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Value;
        _services = services;
        _mediaStoreName = environment.SelectedMediaStore;
        _time = time;
        _logger = logger;
        _loops = new BackgroundLoops(logger, time);

        // Validated at start (MqttOptionsValidator); a disabled bridge may carry any URL.
        var broker = BrokerAddress.TryParse(_options.Url, out var parsed, out _) ? parsed! : new BrokerAddress("127.0.0.1", 1883, false, null, null);
        var nodeId = MqttTopics.Sanitize(environment.NodeId);
        _topics = new MqttTopics(_options.BaseTopic ?? $"camera-service/{nodeId}", _options.DiscoveryPrefix);
        _connection = new MqttConnection(_options, broker, _topics, _options.ClientId ?? $"camera-service-{nodeId}", time, metrics, logger,
            connected: OnConnected, received: OnMessage);
        _state = new StatePublisher(_connection, _topics, _options, nodeId, logger);
        _events = new EventPublisher(_connection, _state, _topics, _options, ActiveStore, logger);
        _commands = new CommandHandler(_connection, _state, _topics, _options, metrics, logger);
    }

    public string Name => "mqtt";

    public IReadOnlyList<string> Addresses => _options.Enabled ? [$"{_connection.Broker}/{_topics.Base}"] : [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            Log.Disabled(_logger);
            return;
        }

        var endpoint = _services.GetService<ITrustedRpcEndpoint>()
            ?? throw new InvalidOperationException("The MQTT bridge needs the core's trusted JSON-RPC endpoint (ITrustedRpcEndpoint), which is not registered.");
        var reader = new ApiSession(endpoint, ReaderUser, ApiRole.Admin, queueLength: 1024, _time);
        _reader = reader;
        var subscribed = await reader.ResultAsync("subscribe_events", w =>
        {
            w.WriteStartArray("topics");
            foreach (var topic in EventTopics)
            {
                w.WriteStringValue(topic);
            }

            w.WriteEndArray();
        }, cancellationToken).ConfigureAwait(false);
        if (subscribed.Error is { } error)
        {
            throw new InvalidOperationException($"The MQTT bridge could not subscribe to the service's events: {error.GetRawText()}");
        }

        ApiSession? commands = null;
        if (_options.Commands.Enabled)
        {
            var role = MqttRoles.TryParse(_options.Commands.Role, out var configured) ? configured : ApiRole.Operator;
            commands = new ApiSession(endpoint, CommandUser, role, queueLength: 1, _time);
            _commandSession = commands;
            await commands.CallAsync("unsubscribe_events", null, cancellationToken).ConfigureAwait(false); // it only executes commands
        }

        _loops.Start();
        _loops.Run("mqtt connection", _connection.RunAsync);
        _loops.Run("mqtt events", stop => _events.RunAsync(reader.Notifications, stop));
        _loops.Run("mqtt state", stop => _state.RunAsync(reader, stop));
        if (commands is not null)
        {
            _loops.Run("mqtt commands", stop => _commands.RunAsync(commands, stop));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loops.IsStarted)
        {
            _commands.Complete();
            try
            {
                await _loops.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the loops end on the stopping token; a stop that is itself cancelled leaves them to finish alone
            }

            await _connection.CloseAsync(cancellationToken).ConfigureAwait(false);
        }

        // Also after a start that failed half-way (the sessions are opened before the loops start).
        _reader?.Dispose();
        _commandSession?.Dispose();
        _reader = null;
        _commandSession = null;
    }

    public ComponentStatus GetHealth()
    {
        if (!_options.Enabled)
        {
            return ComponentStatus.Running;
        }

        // RUNNING even while the broker is away: the API this transport serves is not affected (see the remarks).
        return new ComponentStatus
        {
            State = ComponentState.Running,
            Message = _connection.IsUp ? null : $"MQTT broker {_connection.Broker} not connected; reconnecting",
            LastError = _connection.LastError,
            LastErrorTime = _connection.LastErrorTime,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _connection.Dispose();
        _state.Dispose();
        _loops.Dispose();
    }

    /// <summary>After every (re)connect the broker may have lost the retained topics: republish all of them.</summary>
    private void OnConnected() => _state.RequestFullRefresh();

    /// <summary>A message on a subscription: a retained camera state (of this or an earlier run) or a command.</summary>
    private void OnMessage(MqttApplicationMessage message)
    {
        if (_topics.ParseCameraTopic(message.Topic) is not var (camera, tail))
        {
            return;
        }

        if (tail == "state")
        {
            // A retained state of an earlier run: remember the camera, so it is cleared if it no longer exists.
            if (message.Retain && message.Payload.Length > 0)
            {
                _state.NoteRetainedCamera(camera);
            }

            return;
        }

        _commands.Receive(camera, tail, message);
    }

    /// <summary>The media store the service uses (<see cref="IServiceEnvironment.SelectedMediaStore"/>).</summary>
    private IMediaStore? ActiveStore()
    {
        var stores = _services.GetServices<IMediaStore>().ToList();
        return stores.FirstOrDefault(s => string.Equals(s.Name, _mediaStoreName, StringComparison.Ordinal)) ?? (stores.Count == 1 ? stores[0] : null);
    }
}

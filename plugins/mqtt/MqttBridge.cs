using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The MQTT bridge (docs/mqtt.md): publishes availability, camera state, recording state, snapshots, storage, health
/// and every API notification to a broker, announces the cameras to Home Assistant, and executes commands.
/// It drives the service only through the public JSON-RPC API, in-process: one trusted session (admin, read-only
/// calls and notifications) for what it publishes and, when commands are enabled, one with the configured role
/// for what it executes.
/// </summary>
/// <remarks>
/// Everything MQTT runs on the bridge's own tasks: <see cref="StartAsync"/> returns without waiting for the broker,
/// notifications reach the bridge through a bounded queue that never blocks the service, and a broker outage only
/// stops the publishing (reconnects with exponential backoff; on reconnect every retained topic is republished).
/// The transport's health stays RUNNING during an outage (the API it serves is unaffected; the outage shows as
/// <c>last_error</c> and in <c>camera_service_mqtt_connected</c>), so a broker never takes <c>/health/ready</c> down.
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
    private readonly MqttMetrics _metrics;
    private readonly ILogger<MqttBridge> _logger;
    private readonly BrokerAddress _broker;
    private readonly string _nodeId;
    private readonly MqttTopics _topics;
    private readonly IMqttClient _client;
    private readonly SemaphoreSlim _refreshSignal = new(0, 1);
    private readonly Channel<CommandMessage> _commands = Channel.CreateBounded<CommandMessage>(new BoundedChannelOptions(64) { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _retainedCameras = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _snapshots = new(StringComparer.Ordinal);

    // Owned by the refresh loop only.
    private readonly Dictionary<string, byte[]> _lastPublished = new(StringComparer.Ordinal);
    private HashSet<string> _publishedCameras = new(StringComparer.Ordinal);
    private HomeAssistantDiscovery? _discovery;

    private CancellationTokenSource? _stopping;
    private ApiSession? _reader;
    private ApiSession? _commandSession;
    private Task[] _loops = [];
    private TaskCompletionSource _connectionLost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _fullRefresh;
    private volatile bool _connected;
    private volatile string? _lastError;
    private DateTimeOffset? _lastErrorTime;

    public MqttBridge(IOptions<MqttOptions> options, IServiceProvider services, IServiceEnvironment environment, TimeProvider time, MqttMetrics metrics, ILogger<MqttBridge> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Value;
        _services = services;
        _mediaStoreName = environment.SelectedMediaStore;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        // Validated at start (MqttOptionsValidator); a disabled bridge may carry any URL.
        _broker = BrokerAddress.TryParse(_options.Url, out var broker, out _) ? broker! : new BrokerAddress("127.0.0.1", 1883, false, null, null);
        _nodeId = MqttTopics.Sanitize(environment.NodeId);
        _topics = new MqttTopics(_options.BaseTopic ?? $"camera-service/{_nodeId}", _options.DiscoveryPrefix);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.DisconnectedAsync += OnDisconnectedAsync;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
    }

    public string Name => "mqtt";

    public IReadOnlyList<string> Addresses => _options.Enabled ? [$"{_broker}/{_topics.Base}"] : [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            Log.Disabled(_logger);
            return;
        }

        var endpoint = _services.GetService<ITrustedRpcEndpoint>()
            ?? throw new InvalidOperationException("The MQTT bridge needs the core's trusted JSON-RPC endpoint (ITrustedRpcEndpoint), which is not registered.");
        _stopping = new CancellationTokenSource();
        _reader = new ApiSession(endpoint, ReaderUser, ApiRole.Admin, queueLength: 1024, _time);
        var subscribed = await _reader.ResultAsync("subscribe_events", w =>
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

        if (_options.Commands.Enabled)
        {
            var role = MqttRoles.TryParse(_options.Commands.Role, out var configured) ? configured : ApiRole.Operator;
            _commandSession = new ApiSession(endpoint, CommandUser, role, queueLength: 1, _time);
            await _commandSession.CallAsync("unsubscribe_events", null, cancellationToken).ConfigureAwait(false); // it only executes commands
        }

        var stop = _stopping.Token;
        _loops =
        [
            Task.Run(() => ConnectLoopAsync(stop), CancellationToken.None),
            Task.Run(() => EventLoopAsync(stop), CancellationToken.None),
            Task.Run(() => RefreshLoopAsync(stop), CancellationToken.None),
            Task.Run(() => CommandLoopAsync(stop), CancellationToken.None),
        ];
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _commands.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the loops end on the stopping token; a stop that is itself cancelled leaves them to finish alone
        }

        if (_client.IsConnected)
        {
            try
            {
                // A clean stop says offline itself (the broker sends the last will only when the connection is lost).
                await _client.PublishAsync(Message(_topics.Availability, "offline"u8.ToArray(), retain: true), cancellationToken).ConfigureAwait(false);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), cancellationToken).ConfigureAwait(false);
                Log.Stopped(_logger, _topics.Availability);
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                // the broker went away during the stop; it publishes the last will instead
            }
        }

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
            Message = _connected ? null : $"MQTT broker {_broker} not connected; reconnecting",
            LastError = _lastError,
            LastErrorTime = _lastErrorTime,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping is not null && !_stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _client.Dispose();
        _stopping?.Dispose();
        _refreshSignal.Dispose();
    }

    private async Task ConnectLoopAsync(CancellationToken stop)
    {
        var delay = _options.ReconnectDelay;
        while (!stop.IsCancellationRequested)
        {
            _connectionLost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    attempt.CancelAfter(TimeSpan.FromSeconds(30));
                    await _client.ConnectAsync(BuildClientOptions(), attempt.Token).ConfigureAwait(false);
                }

                _metrics.ConnectAttempt(success: true);
                _connected = true;
                _metrics.Connected = true;
                await OnConnectedAsync(stop).ConfigureAwait(false);
                Log.Connected(_logger, _broker.ToString(), _topics.Base);
                delay = _options.ReconnectDelay;
                await _connectionLost.Task.WaitAsync(stop).ConfigureAwait(false);
                continue; // reconnect at once after a lost connection; back off only when that fails
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // any failure to connect (refused, TLS, auth, timeout) is retried with backoff
            {
                _metrics.ConnectAttempt(success: false);
                NoteError(ex.Message);
                Log.ConnectFailed(_logger, _broker.ToString(), ex.Message, delay);
                if (_client.IsConnected)
                {
                    await SafeDisconnectAsync().ConfigureAwait(false);
                }
            }

            try
            {
                // Up to a quarter more, so that many boxes behind one broker do not reconnect in step.
                var jitter = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * delay.TotalMilliseconds / 4);
                await Task.Delay(delay + jitter, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
        }
    }

    private async Task SafeDisconnectAsync()
    {
        try
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException)
        {
            // already gone
        }
    }

    private async Task OnConnectedAsync(CancellationToken stop)
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(_topics.AllCommands).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(_topics.AllCameraStates).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build();
        await _client.SubscribeAsync(subscribe, stop).ConfigureAwait(false);
        await PublishAsync(_topics.Availability, "online"u8.ToArray(), retain: true, "state", stop).ConfigureAwait(false);
        Interlocked.Exchange(ref _fullRefresh, 1);
        SignalRefresh();
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (_connected)
        {
            _connected = false;
            _metrics.Connected = false;
            var reason = e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString();
            NoteError(reason);
            if (_stopping is { IsCancellationRequested: false })
            {
                Log.ConnectionLost(_logger, _broker.ToString(), reason);
            }
        }

        _connectionLost.TrySetResult();
        return Task.CompletedTask;
    }

    private void NoteError(string message)
    {
        _lastError = $"MQTT broker {_broker}: {message}";
        _lastErrorTime = _time.GetUtcNow();
    }

    private MqttClientOptions BuildClientOptions()
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Host, _broker.Port)
            .WithClientId(_options.ClientId ?? $"camera-service-{_nodeId}")
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(_topics.Availability)
            .WithWillPayload("offline"u8.ToArray())
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        var user = _options.Username ?? _broker.Username;
        if (!string.IsNullOrEmpty(user))
        {
            builder.WithCredentials(user, _options.Password ?? _broker.Password);
        }

        if (_broker.Tls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (!string.IsNullOrWhiteSpace(_options.ClientCertificatePath))
                {
                    tls.WithClientCertificates([X509Certificate2.CreateFromPemFile(_options.ClientCertificatePath, _options.ClientKeyPath)]);
                }

                if (!string.IsNullOrWhiteSpace(_options.CaCertificatePath))
                {
                    tls.WithTrustChain([.. LoadCertificates(_options.CaCertificatePath)]);
                }
            });
        }

        return builder.Build();
    }

    private static X509Certificate2Collection LoadCertificates(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return collection;
    }

    private async Task EventLoopAsync(CancellationToken stop)
    {
        var reader = _reader!;
        try
        {
            await foreach (var message in reader.Notifications.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await HandleNotificationAsync(message, stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    Log.Failed(_logger, ex, "a notification");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task HandleNotificationAsync(byte[] message, CancellationToken stop)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        var method = root.GetProperty("method"u8).GetString()!;
        var parameters = root.TryGetProperty("params"u8, out var p) ? p : default;
        var payload = parameters.ValueKind == JsonValueKind.Undefined ? "{}"u8.ToArray() : Encoding.UTF8.GetBytes(parameters.GetRawText());
        await PublishAsync(_topics.Event(method), payload, retain: false, "event", stop).ConfigureAwait(false);

        if (method == "snapshot_taken"
            && parameters.TryGetProperty("device"u8, out var device) && device.GetString() is { } camera
            && parameters.TryGetProperty("filename"u8, out var file) && file.GetString() is { } fileName)
        {
            await PublishSnapshotAsync(camera, fileName, stop).ConfigureAwait(false);
            return;
        }

        SignalRefresh();
    }

    private async Task PublishSnapshotAsync(string camera, string fileName, CancellationToken stop)
    {
        // Home Assistant's MQTT camera shows the bytes as an image; PNG snapshots are left out (the topic is JPEG).
        if (!fileName.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) && !fileName.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        byte[] bytes;
        try
        {
            var store = ActiveStore();
            if (store is null)
            {
                return;
            }

            var info = await store.GetAsync(MediaKind.Snapshot, fileName, stop).ConfigureAwait(false);
            if (info.Size > _options.SnapshotMaxBytes)
            {
                Log.SnapshotTooLarge(_logger, fileName, camera, info.Size, _options.SnapshotMaxBytes);
                return;
            }

            bytes = await File.ReadAllBytesAsync(info.Path, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CameraServiceException)
        {
            Log.SnapshotReadFailed(_logger, ex, fileName, camera);
            return;
        }

        if (bytes.Length > _options.SnapshotMaxBytes)
        {
            Log.SnapshotTooLarge(_logger, fileName, camera, bytes.Length, _options.SnapshotMaxBytes);
            return;
        }

        _snapshots[camera] = bytes;
        await PublishAsync(_topics.Snapshot(camera), bytes, retain: true, "snapshot", stop).ConfigureAwait(false);
    }

    /// <summary>The media store the service uses (<see cref="IServiceEnvironment.SelectedMediaStore"/>).</summary>
    private IMediaStore? ActiveStore()
    {
        var stores = _services.GetServices<IMediaStore>().ToList();
        return stores.FirstOrDefault(s => string.Equals(s.Name, _mediaStoreName, StringComparison.Ordinal)) ?? (stores.Count == 1 ? stores[0] : null);
    }

    private void SignalRefresh()
    {
        try
        {
            _refreshSignal.Release();
        }
        catch (SemaphoreFullException)
        {
            // a refresh is already pending
        }
    }

    private async Task RefreshLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _refreshSignal.WaitAsync(_options.RefreshInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!_client.IsConnected)
            {
                continue;
            }

            try
            {
                await RefreshAsync(Interlocked.Exchange(ref _fullRefresh, 0) == 1, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // a failed refresh is retried on the next signal or interval; the bridge goes on
            {
                Log.RefreshFailed(_logger, ex);
                Interlocked.Exchange(ref _fullRefresh, 1);
            }
        }
    }

    /// <summary>Reads the state through the API and publishes what changed (everything after a reconnect).</summary>
    private async Task RefreshAsync(bool full, CancellationToken stop)
    {
        var api = _reader!;
        if (full)
        {
            _lastPublished.Clear();
        }

        if (_discovery is null)
        {
            var info = await api.ResultAsync("get_server_info", null, stop).ConfigureAwait(false);
            var version = info.Result is { } r && r.TryGetProperty("version"u8, out var v) ? v.GetString() ?? "unknown" : "unknown";
            _discovery = new HomeAssistantDiscovery(_topics, _nodeId, version);
        }

        var list = await api.ResultAsync("get_camera_list", null, stop).ConfigureAwait(false);
        if (list.Result is not { } cameras)
        {
            throw new InvalidOperationException($"get_camera_list failed: {list.Error?.GetRawText()}");
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var camera in cameras.GetProperty("cameras"u8).EnumerateArray())
        {
            var id = camera.GetProperty("device"u8).GetString()!;
            known.Add(id);
            await PublishIfChangedAsync(_topics.CameraState(id), Encoding.UTF8.GetBytes(camera.GetRawText()), "state", stop).ConfigureAwait(false);

            var recording = await api.ResultAsync("get_recording_status", w => w.WriteString("device", id), stop).ConfigureAwait(false);
            if (recording.Result is { } status)
            {
                var on = status.TryGetProperty("status"u8, out var s) && s.ValueEquals("RECORDING"u8);
                await PublishIfChangedAsync(_topics.Recording(id), on ? "ON"u8.ToArray() : "OFF"u8.ToArray(), "state", stop).ConfigureAwait(false);
                await PublishIfChangedAsync(_topics.RecordingStatus(id), Encoding.UTF8.GetBytes(status.GetRawText()), "state", stop).ConfigureAwait(false);
            }

            if (full && _snapshots.TryGetValue(id, out var snapshot))
            {
                await PublishAsync(_topics.Snapshot(id), snapshot, retain: true, "snapshot", stop).ConfigureAwait(false);
            }

            if (_topics.DiscoveryEnabled)
            {
                var name = camera.TryGetProperty("name"u8, out var n) && n.GetString() is { Length: > 0 } text ? text : id;
                var model = camera.TryGetProperty("source"u8, out var src) ? src.GetString() : null;
                foreach (var message in _discovery.Camera(new DiscoveredCamera(id, name, model), _options.Commands.Enabled))
                {
                    await PublishIfChangedAsync(message.Topic, message.Payload, "discovery", stop).ConfigureAwait(false);
                }
            }
        }

        if (_topics.DiscoveryEnabled)
        {
            foreach (var message in _discovery.Service())
            {
                await PublishIfChangedAsync(message.Topic, message.Payload, "discovery", stop).ConfigureAwait(false);
            }
        }

        var storage = await api.ResultAsync("get_storage_info", null, stop).ConfigureAwait(false);
        if (storage.Result is { } storageInfo)
        {
            await PublishIfChangedAsync(_topics.Storage, Encoding.UTF8.GetBytes(storageInfo.GetRawText()), "state", stop).ConfigureAwait(false);
        }

        var health = await api.ResultAsync("get_status", null, stop).ConfigureAwait(false);
        if (health.Result is { } healthInfo)
        {
            await PublishIfChangedAsync(_topics.Health, Encoding.UTF8.GetBytes(healthInfo.GetRawText()), "state", stop).ConfigureAwait(false);
        }

        // Cameras that are gone (published before, or retained on the broker from an earlier run): clear their topics.
        var gone = _publishedCameras.Concat(_retainedCameras.Keys).Where(id => !known.Contains(id)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var id in gone)
        {
            await ClearCameraAsync(id, stop).ConfigureAwait(false);
        }

        _publishedCameras = known;
    }

    private async Task ClearCameraAsync(string id, CancellationToken stop)
    {
        var topics = new List<string> { _topics.CameraState(id), _topics.Recording(id), _topics.RecordingStatus(id), _topics.Snapshot(id) };
        if (_topics.DiscoveryEnabled && _discovery is not null)
        {
            topics.AddRange(_discovery.RemoveCamera(id).Select(m => m.Topic));
        }

        var cleared = true;
        foreach (var topic in topics)
        {
            cleared &= await PublishAsync(topic, [], retain: true, "discovery", stop).ConfigureAwait(false);
            _lastPublished.Remove(topic);
        }

        if (cleared)
        {
            _retainedCameras.TryRemove(id, out _);
            _snapshots.TryRemove(id, out _);
            Log.CameraCleared(_logger, id);
        }
    }

    private async Task PublishIfChangedAsync(string topic, byte[] payload, string kind, CancellationToken stop)
    {
        if (_lastPublished.TryGetValue(topic, out var previous) && previous.AsSpan().SequenceEqual(payload))
        {
            return;
        }

        if (await PublishAsync(topic, payload, retain: true, kind, stop).ConfigureAwait(false))
        {
            _lastPublished[topic] = payload;
        }
    }

    private async Task<bool> PublishAsync(string topic, byte[] payload, bool retain, string kind, CancellationToken stop)
    {
        if (!_client.IsConnected)
        {
            _metrics.PublishFailed(kind);
            return false;
        }

        try
        {
            var result = await _client.PublishAsync(Message(topic, payload, retain), stop).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                _metrics.PublishFailed(kind);
                return false;
            }

            _metrics.Published(kind);
            return true;
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException
                                   || (ex is OperationCanceledException && !stop.IsCancellationRequested))
        {
            // The connection dropped under the publish; the reconnect republishes the state.
            _metrics.PublishFailed(kind);
            return false;
        }
    }

    private static MqttApplicationMessage Message(string topic, byte[] payload, bool retain, string? responseTopic = null) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        if (_topics.ParseCameraTopic(message.Topic) is not var (camera, rest))
        {
            return Task.CompletedTask;
        }

        if (rest == "state")
        {
            // A retained state of an earlier run: remember the camera, so it is cleared if it no longer exists.
            if (message.Retain && message.Payload.Length > 0 && !_retainedCameras.ContainsKey(camera))
            {
                _retainedCameras[camera] = 0;
                SignalRefresh();
            }

            return Task.CompletedTask;
        }

        var command = rest switch
        {
            "recording/set" => "recording",
            "snapshot/set" => "snapshot",
            _ => null,
        };
        if (command is null)
        {
            return Task.CompletedTask;
        }

        if (!_options.Commands.Enabled)
        {
            _metrics.Command(command, "ignored");
            Log.CommandIgnored(_logger, message.Topic);
            return Task.CompletedTask;
        }

        var payload = message.Payload.ToArray();
        if (!_commands.Writer.TryWrite(new CommandMessage(camera, command, payload, message.ResponseTopic, message.CorrelationData)))
        {
            _metrics.Command(command, "dropped");
            Log.CommandDropped(_logger, message.Topic);
        }

        return Task.CompletedTask;
    }

    private async Task CommandLoopAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var command in _commands.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await ExecuteAsync(command, stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    Log.Failed(_logger, ex, $"the {command.Command} command for {command.Camera}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task ExecuteAsync(CommandMessage command, CancellationToken stop)
    {
        var session = _commandSession!;
        byte[] answer;
        string outcome;
        if (command.Command == "recording")
        {
            var (parsed, invalid) = CommandPayload.ParseRecording(command.Payload);
            if (invalid is not null)
            {
                answer = InvalidParams(invalid);
                outcome = "invalid";
            }
            else
            {
                var response = parsed!.Start
                    ? await session.CallAsync("start_recording", w =>
                    {
                        w.WriteString("device", command.Camera);
                        if (parsed.DurationSeconds is { } seconds)
                        {
                            w.WriteNumber("duration", seconds);
                        }
                    }, stop).ConfigureAwait(false)
                    : await session.CallAsync("stop_recording", w => w.WriteString("device", command.Camera), stop).ConfigureAwait(false);
                (answer, outcome) = Answer(response);
                SignalRefresh();
            }
        }
        else
        {
            var response = await session.CallAsync("take_snapshot", w => w.WriteString("device", command.Camera), stop).ConfigureAwait(false);
            (answer, outcome) = Answer(response);
        }

        _metrics.Command(command.Command, outcome);
        Log.CommandDone(_logger, command.Command, command.Camera, outcome);
        var resultTopic = command.Command == "recording" ? _topics.RecordingResult(command.Camera) : _topics.SnapshotResult(command.Camera);
        await PublishAsync(resultTopic, answer, retain: false, "result", stop).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(command.ResponseTopic))
        {
            // MQTT 5 request/response: also answer where the requester asked, with its correlation data.
            var reply = new MqttApplicationMessageBuilder()
                .WithTopic(command.ResponseTopic)
                .WithPayload(answer)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithCorrelationData(command.CorrelationData)
                .Build();
            if (_client.IsConnected)
            {
                try
                {
                    await _client.PublishAsync(reply, stop).ConfigureAwait(false);
                    _metrics.Published("result");
                }
                catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException)
                {
                    _metrics.PublishFailed("result");
                }
            }
        }
    }

    /// <summary><c>{"result": …}</c> or <c>{"error": …}</c> from a JSON-RPC answer.</summary>
    private static (byte[] Answer, string Outcome) Answer(JsonElement response)
    {
        var failed = !response.TryGetProperty("result"u8, out var result);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (failed)
            {
                writer.WritePropertyName("error"u8);
                (response.TryGetProperty("error"u8, out var error) ? error : response).WriteTo(writer);
            }
            else
            {
                writer.WritePropertyName("result"u8);
                result.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return (buffer.WrittenSpan.ToArray(), failed ? "error" : "success");
    }

    /// <summary>The contract's -32602 for a payload that is not a valid command.</summary>
    private static byte[] InvalidParams(CommandError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error"u8);
            writer.WriteNumber("code"u8, -32602);
            writer.WriteString("message"u8, "Invalid params");
            writer.WriteStartObject("data"u8);
            writer.WriteString("param"u8, error.Param);
            writer.WriteString("rule"u8, error.Rule);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record CommandMessage(string Camera, string Command, byte[] Payload, string? ResponseTopic, byte[]? CorrelationData);
}

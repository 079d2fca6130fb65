using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The bridge's one connection to the broker: connects (MQTT 5, last will <c>&lt;base&gt;/availability</c> =
/// <c>offline</c>), subscribes to the command and retained-state topics, reconnects with backoff after a loss, and is
/// the one way the bridge publishes (QoS 1, counted by kind in <c>camera_service_mqtt_published</c> /
/// <c>publish_failures</c>). It knows nothing of what is published; the bridge hears about a (re)connect and about
/// every received message through the callbacks it passes in.
/// </summary>
internal sealed class MqttConnection : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly MqttOptions _options;
    private readonly MqttTopics _topics;
    private readonly string _clientId;
    private readonly TimeProvider _time;
    private readonly MqttMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Action _connected;
    private readonly IMqttClient _client;
    private TaskCompletionSource _connectionLost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _running;
    private volatile bool _up;
    private volatile string? _lastError;
    private DateTimeOffset? _lastErrorTime;

    /// <param name="options">The bridge's options (credentials, TLS files, keep-alive, reconnect delays).</param>
    /// <param name="broker">The parsed <c>Plugins:Mqtt:Url</c>.</param>
    /// <param name="topics">The topic layout (availability, subscriptions).</param>
    /// <param name="clientId">The MQTT client id.</param>
    /// <param name="time">Time for the backoff and the error times.</param>
    /// <param name="metrics">The bridge's instruments.</param>
    /// <param name="logger">The bridge's logger (category <c>MqttBridge</c>, as docs/mqtt.md names it).</param>
    /// <param name="connected">Called after every (re)connect, once subscribed and <c>online</c> is published.</param>
    /// <param name="received">Called with every message that arrives on a subscription.</param>
    public MqttConnection(
        MqttOptions options,
        BrokerAddress broker,
        MqttTopics topics,
        string clientId,
        TimeProvider time,
        MqttMetrics metrics,
        ILogger logger,
        Action connected,
        Action<MqttApplicationMessage> received)
    {
        _options = options;
        Broker = broker;
        _topics = topics;
        _clientId = clientId;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _connected = connected;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.DisconnectedAsync += OnDisconnectedAsync;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            received(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    public BrokerAddress Broker { get; }

    /// <summary>True between a successful connect (subscribed, <c>online</c> sent) and the loss of the connection.</summary>
    public bool IsUp => _up;

    public bool IsConnected => _client.IsConnected;

    public string? LastError => _lastError;

    public DateTimeOffset? LastErrorTime => _lastErrorTime;

    /// <summary>Connects and stays connected until <paramref name="stop"/>: reconnects at once after a loss, then with backoff.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _running = stop;
        var delay = _options.ReconnectDelay;
        while (!stop.IsCancellationRequested)
        {
            _connectionLost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    attempt.CancelAfter(ConnectTimeout);
                    await _client.ConnectAsync(BuildClientOptions(), attempt.Token).ConfigureAwait(false);
                }

                _metrics.ConnectAttempt(success: true);
                _up = true;
                _metrics.Connected = true;
                await OnConnectedAsync(stop).ConfigureAwait(false);
                Log.Connected(_logger, Broker.ToString(), _topics.Base);
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
                Log.ConnectFailed(_logger, Broker.ToString(), ex.Message, delay);
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

    /// <summary>Publishes one message (QoS 1); false when the broker is away or refused it (the reconnect republishes state).</summary>
    /// <param name="topic">Where.</param>
    /// <param name="payload">What (empty with <paramref name="retain"/> clears a retained topic).</param>
    /// <param name="retain">Whether the broker keeps it for later subscribers.</param>
    /// <param name="kind">The metric label: state, event, discovery, snapshot or result.</param>
    /// <param name="stop">The bridge's stop.</param>
    /// <param name="correlationData">MQTT 5 correlation data of the request this message answers.</param>
    public async Task<bool> PublishAsync(string topic, byte[] payload, bool retain, string kind, CancellationToken stop, byte[]? correlationData = null)
    {
        if (!_client.IsConnected)
        {
            _metrics.PublishFailed(kind);
            return false;
        }

        try
        {
            var result = await _client.PublishAsync(Message(topic, payload, retain, correlationData), stop).ConfigureAwait(false);
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

    /// <summary>A clean stop: says <c>offline</c> itself (the broker sends the last will only when the connection is lost) and disconnects.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return;
        }

        try
        {
            await _client.PublishAsync(Message(_topics.Availability, "offline"u8.ToArray(), retain: true, correlationData: null), cancellationToken).ConfigureAwait(false);
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), cancellationToken).ConfigureAwait(false);
            Log.Stopped(_logger, _topics.Availability);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            // the broker went away during the stop; it publishes the last will instead
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task OnConnectedAsync(CancellationToken stop)
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(_topics.AllCommands).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(_topics.AllCameraStates).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build();
        await _client.SubscribeAsync(subscribe, stop).ConfigureAwait(false);
        await PublishAsync(_topics.Availability, "online"u8.ToArray(), retain: true, "state", stop).ConfigureAwait(false);
        _connected();
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (_up)
        {
            _up = false;
            _metrics.Connected = false;
            var reason = e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString();
            NoteError(reason);
            if (!_running.IsCancellationRequested)
            {
                Log.ConnectionLost(_logger, Broker.ToString(), reason);
            }
        }

        _connectionLost.TrySetResult();
        return Task.CompletedTask;
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

    private void NoteError(string message)
    {
        _lastError = $"MQTT broker {Broker}: {message}";
        _lastErrorTime = _time.GetUtcNow();
    }

    private MqttClientOptions BuildClientOptions()
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(Broker.Host, Broker.Port)
            .WithClientId(_clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(_topics.Availability)
            .WithWillPayload("offline"u8.ToArray())
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        var user = _options.Username ?? Broker.Username;
        if (!string.IsNullOrEmpty(user))
        {
            builder.WithCredentials(user, _options.Password ?? Broker.Password);
        }

        if (Broker.Tls)
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

    private static MqttApplicationMessage Message(string topic, byte[] payload, bool retain, byte[]? correlationData)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (correlationData is not null)
        {
            builder.WithCorrelationData(correlationData);
        }

        return builder.Build();
    }
}

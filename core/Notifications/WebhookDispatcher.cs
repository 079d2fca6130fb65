using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CameraService.Abstractions.Api;
using CameraService.Core.Events;
using CameraService.Core.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Notifications;

/// <summary>
/// Signed webhooks (docs/webhooks.md): every event of a webhook's topics is POSTed as the JSON-RPC notification the
/// API sends, with an HMAC-SHA256 signature over the timestamp and the body. Each webhook is an ordinary (trusted,
/// viewer) API session subscribed to its topics, so the events are exactly the API's. Delivery runs on the webhook's
/// own task behind a bounded queue: the event fan-out only enqueues, so a slow or hanging receiver never slows the
/// API; a full queue drops (counted), failed attempts are retried with exponential backoff.
/// </summary>
internal sealed partial class WebhookDispatcher : IHostedService, IDisposable
{
    public const string SignatureHeader = "X-Camera-Service-Signature";
    public const string TimestampHeader = "X-Camera-Service-Timestamp";
    public const string EventHeader = "X-Camera-Service-Event";
    public const string DeliveryHeader = "X-Camera-Service-Delivery";

    private readonly NotificationsOptions _options;
    private readonly ITrustedRpcEndpoint _endpoint;
    private readonly TimeProvider _time;
    private readonly WebhookMetrics _metrics;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly List<Webhook> _webhooks = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _userAgent;

    public WebhookDispatcher(IOptions<NotificationsOptions> options, ITrustedRpcEndpoint endpoint, ServiceInfo info, TimeProvider time, WebhookMetrics metrics, ILogger<WebhookDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(info);
        _options = options.Value;
        _endpoint = endpoint;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _userAgent = $"camera-service/{info.Version}";
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), AllowAutoRedirect = false })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own timeout (Notifications:WebhookTimeout)
        };
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _options.Webhooks.Count; i++)
        {
            var target = _options.Webhooks[i];
            var webhook = new Webhook(target, _options.WebhookQueueLength, _metrics);
            webhook.Session = _endpoint.OpenTrustedSession(webhook, new TrustedPrincipal { UserId = $"webhook:{target.Label}", Role = ApiRole.Viewer });
            await SubscribeAsync(webhook, cancellationToken).ConfigureAwait(false);
            _metrics.Track(webhook);
            _webhooks.Add(webhook);
            webhook.Worker = Task.Run(() => DeliverLoopAsync(webhook, _stopping.Token), CancellationToken.None);
            LogStarted(_logger, target.Label, webhook.TopicsText);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var webhook in _webhooks)
        {
            webhook.Queue.Writer.TryComplete();
        }

        try
        {
            await Task.WhenAll(_webhooks.Select(w => w.Worker)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the workers end on the stopping token; a stop that is itself cancelled leaves them to finish alone
        }

        foreach (var webhook in _webhooks)
        {
            webhook.Session?.Dispose();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _http.Dispose();
    }

    /// <summary>The signature of one attempt: <c>sha256=</c> and the lower-case hex HMAC-SHA256 of <c>"&lt;timestamp&gt;." + body</c>.</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[Encoding.UTF8.GetByteCount(timestamp) + 1 + body.Length];
        var n = Encoding.UTF8.GetBytes(timestamp, signed);
        signed[n] = (byte)'.';
        body.CopyTo(signed.AsSpan(n + 1));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    private static async Task SubscribeAsync(Webhook webhook, CancellationToken cancellationToken)
    {
        var request = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(request))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteString("method", "subscribe_events");
            writer.WriteStartObject("params");
            writer.WriteStartArray("topics");
            foreach (var topic in webhook.Topics)
            {
                writer.WriteStringValue(topic);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteNumber("id", 1);
            writer.WriteEndObject();
        }

        var response = new ArrayBufferWriter<byte>(512);
        await webhook.Session!.HandleMessageAsync(request.WrittenMemory, response, cancellationToken).ConfigureAwait(false);
        using var answer = JsonDocument.Parse(response.WrittenMemory);
        if (answer.RootElement.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"Webhook {webhook.Target.Label} could not subscribe to its topics: {error.GetRawText()}");
        }
    }

    private async Task DeliverLoopAsync(Webhook webhook, CancellationToken stop)
    {
        try
        {
            await foreach (var body in webhook.Queue.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                await DeliverAsync(webhook, body, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopping: what is still queued is dropped (events are not persisted)
        }
    }

    private async Task DeliverAsync(Webhook webhook, byte[] body, CancellationToken stop)
    {
        var method = MethodOf(body);
        var delivery = Guid.NewGuid().ToString("N");
        var delay = _options.WebhookRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var (ok, retryable, reason) = await AttemptAsync(webhook, method, delivery, body, stop).ConfigureAwait(false);
            if (ok)
            {
                _metrics.Delivered(webhook.Target.Label);
                return;
            }

            _metrics.AttemptFailed(webhook.Target.Label, reason);
            if (!retryable || attempt >= _options.WebhookMaxAttempts)
            {
                _metrics.GaveUp(webhook.Target.Label);
                LogGaveUp(_logger, webhook.Target.Label, method, delivery, attempt, reason);
                return;
            }

            LogRetry(_logger, webhook.Target.Label, method, delivery, attempt, reason, delay);
            await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.WebhookRetryMaxDelay.Ticks));
        }
    }

    private async Task<(bool Ok, bool Retryable, string Reason)> AttemptAsync(Webhook webhook, string method, string delivery, byte[] body, CancellationToken stop)
    {
        // Signed per attempt with the current time, so a retry stays inside the receiver's replay window.
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Target.Url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
        request.Headers.Add(EventHeader, method);
        request.Headers.Add(DeliveryHeader, delivery);
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, Sign(webhook.Target.Secret!, timestamp, body));

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        attempt.CancelAfter(_options.WebhookTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return (true, false, "ok");
            }

            var retryable = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            return (false, retryable, status >= 500 ? "http_5xx" : "http_4xx");
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return (false, true, "timeout");
        }
        catch (HttpRequestException)
        {
            return (false, true, "unreachable");
        }
    }

    private static string MethodOf(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("method"u8) && reader.Read())
            {
                return reader.GetString() ?? "unknown";
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
            {
                reader.Skip();
            }
        }

        return "unknown";
    }

    /// <summary>One webhook: the API session's connection, whose notifications go into a bounded queue.</summary>
    internal sealed class Webhook(WebhookTarget target, int queueLength, WebhookMetrics metrics) : IRpcConnection
    {
        public WebhookTarget Target { get; } = target;

        public IReadOnlyList<string> Topics { get; } = target.Topics.Count > 0 ? target.Topics : EventTopicNames.CanonicalNames;

        public string TopicsText => string.Join(", ", Topics);

        public Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // with Wait, TryWrite reports a full queue instead of dropping silently
        });

        public IRpcSession? Session { get; set; }

        public Task Worker { get; set; } = Task.CompletedTask;

        public string ConnectionId => $"webhook-{Target.Label}";

        public string? RemoteAddress => null;

        public string? InitialCredential => null;

        public bool TrySendNotification(ReadOnlySpan<byte> utf8Message)
        {
            if (Queue.Writer.TryWrite(utf8Message.ToArray()))
            {
                return true;
            }

            metrics.Dropped(Target.Label);
            return false;
        }

        public void Close(string reason) => Queue.Writer.TryComplete();
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Information, Message = "Webhook {Webhook} active for topics {Topics}")]
    private static partial void LogStarted(ILogger logger, string webhook, string topics);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Warning, Message = "Webhook {Webhook}: {Method} delivery {Delivery} attempt {Attempt} failed ({Reason}); retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string webhook, string method, string delivery, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Error, Message = "Webhook {Webhook}: {Method} delivery {Delivery} given up after {Attempts} attempt(s) (last: {Reason})")]
    private static partial void LogGaveUp(ILogger logger, string webhook, string method, string delivery, int attempts, string reason);
}

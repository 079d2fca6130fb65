using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CameraService.Observability.Tests;

namespace CameraService.Notifications.Tests;

/// <summary>Webhooks (docs/webhooks.md) of the real camera-service against a local HTTP receiver.</summary>
public sealed class WebhookTests
{
    private const string Secret = "test-webhook-secret-0123456789";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Webhook_SignedEvent_VerifiesAndIsRetriedOn500()
    {
        // The receiver answers 500 twice, then 200.
        await using var receiver = WebhookReceiver.Start(index => Task.FromResult(index < 2 ? 500 : 200));
        await using var service = ServiceUnderTest.Create(
            $"Notifications:Webhooks:0:Url={receiver.Url}",
            $"Notifications:Webhooks:0:Secret={Secret}",
            "Notifications:Webhooks:0:Topics:0=recording.start",
            "Notifications:Webhooks:0:Name=receiver",
            "Notifications:WebhookRetryDelay=00:00:00.100");
        await service.StartAsync();
        var token = await service.CreateTokenAsync("operator");
        await using var api = await service.ConnectAsync(token);
        await api.ResultAsync("start_recording", new { device = "camera0" });

        await service.WaitUntilAsync(() => Task.FromResult(receiver.Requests.Count >= 3), "three delivery attempts", Wait);
        var attempts = receiver.Requests.ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.Header("X-Camera-Service-Delivery")).Distinct());
        Assert.All(attempts, a => Assert.Equal(attempts[0].Body, a.Body));
        foreach (var attempt in attempts)
        {
            Assert.Equal("POST", attempt.Method);
            Assert.StartsWith("application/json", attempt.Header("Content-Type"), StringComparison.Ordinal);
            Assert.Equal("recording_status_update", attempt.Header("X-Camera-Service-Event"));

            // The receiver's check: the signature over "<timestamp>.<body>" with the shared secret, and a fresh timestamp.
            var timestamp = attempt.Header("X-Camera-Service-Timestamp");
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(attempt.Body).ToArray()));
            Assert.Equal(expected, attempt.Header("X-Camera-Service-Signature"));
            var sent = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestamp, CultureInfo.InvariantCulture));
            Assert.InRange(sent, attempt.ReceivedAt.AddMinutes(-5), attempt.ReceivedAt.AddMinutes(5));

            // Another secret does not verify.
            var forged = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("another-secret-0123456789"), Encoding.UTF8.GetBytes(timestamp + ".").Concat(attempt.Body).ToArray()));
            Assert.NotEqual(forged, attempt.Header("X-Camera-Service-Signature"));
        }

        using var body = JsonDocument.Parse(attempts[0].Body);
        Assert.Equal("recording_status_update", body.RootElement.GetProperty("method").GetString());
        Assert.Equal("camera0", body.RootElement.GetProperty("params").GetProperty("device").GetString());
        Assert.Equal("STARTED", body.RootElement.GetProperty("params").GetProperty("status").GetString());

        // Failures are counted in the metrics.
        await service.WaitUntilAsync(async () => Sample(await service.ScrapeAsync(), "camera_service_webhook_deliveries_total", "outcome=\"delivered\"") >= 1, "the delivery to be counted", Wait);
        var metrics = await service.ScrapeAsync();
        Assert.Equal(2, Sample(metrics, "camera_service_webhook_attempt_failures_total", "reason=\"http_5xx\"", "webhook=\"receiver\""));
        Assert.Equal(1, Sample(metrics, "camera_service_webhook_deliveries_total", "outcome=\"delivered\"", "webhook=\"receiver\""));
        await api.ResultAsync("stop_recording", new { device = "camera0" });
    }

    [Fact]
    public async Task Webhook_ReceiverHangs_ApiCallsAreNotDelayed_OverflowIsDropped()
    {
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = WebhookReceiver.Start(_ => release.Task);
        await using var service = ServiceUnderTest.Create(
            $"Notifications:Webhooks:0:Url={receiver.Url}",
            $"Notifications:Webhooks:0:Secret={Secret}",
            "Notifications:Webhooks:0:Topics:0=recording_status_update",
            "Notifications:Webhooks:0:Name=hanging",
            "Notifications:WebhookQueueLength=1",
            "Notifications:WebhookTimeout=00:10:00");
        await service.StartAsync();
        var token = await service.CreateTokenAsync("operator");
        await using var api = await service.ConnectAsync(token);

        await api.ResultAsync("start_recording", new { device = "camera0" });
        await service.WaitUntilAsync(() => Task.FromResult(!receiver.Requests.IsEmpty), "the first delivery to reach the receiver", Wait);

        // The receiver holds that request. Every later call still completes, and produces events the queue cannot hold.
        await api.ResultAsync("start_recording", new { device = "camera1" });
        await api.ResultAsync("stop_recording", new { device = "camera0" });
        await api.ResultAsync("stop_recording", new { device = "camera1" });
        for (var i = 0; i < 20; i++)
        {
            await api.ResultAsync("get_camera_list");
        }

        Assert.False(release.Task.IsCompleted);
        Assert.Single(receiver.Requests);
        Assert.Equal(0, receiver.Answered);
        var metrics = await service.ScrapeAsync();
        Assert.True(Sample(metrics, "camera_service_webhook_deliveries_total", "outcome=\"dropped\"", "webhook=\"hanging\"") >= 2, metrics);

        release.SetResult(200);
    }

    /// <summary>The value of the first sample of <paramref name="name"/> whose labels contain every <paramref name="labels"/>; 0 when none.</summary>
    private static double Sample(string metrics, string name, params string[] labels) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))
            .FirstOrDefault();

    /// <summary>One request as the receiver got it.</summary>
    internal sealed record ReceivedRequest(string Method, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset ReceivedAt)
    {
        public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : string.Empty;
    }

    /// <summary>A local HTTP receiver (<see cref="HttpListener"/> on 127.0.0.1 and a free port) answering with the status the test chooses.</summary>
    internal sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Func<int, Task<int>> _status;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _answered;

        private WebhookReceiver(int port, Func<int, Task<int>> status)
        {
            Url = $"http://127.0.0.1:{port}/hook/";
            _status = status;
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

        public int Answered => Volatile.Read(ref _answered);

        public static WebhookReceiver Start(Func<int, Task<int>> status)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new WebhookReceiver(port, status);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            _listener.Close();
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is TimeoutException or HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // stopped under a pending request
            }

            _stop.Dispose();
        }

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                _ = Task.Run(() => HandleAsync(context));
            }
        }

        private async Task HandleAsync(HttpListenerContext context)
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k] ?? string.Empty, StringComparer.OrdinalIgnoreCase);
            var index = Requests.Count;
            Requests.Enqueue(new ReceivedRequest(context.Request.HttpMethod, headers, body.ToArray(), DateTimeOffset.UtcNow));
            try
            {
                context.Response.StatusCode = await _status(index);
                context.Response.Close();
                Interlocked.Increment(ref _answered);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // the listener stopped under the request
            }
        }
    }
}

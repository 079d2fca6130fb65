using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace CameraService.Notifications.Tests;

/// <summary>One message as a subscriber received it.</summary>
internal sealed record Received(string Topic, byte[] Payload, bool Retain)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Payload);
        return document.RootElement.Clone();
    }
}

/// <summary>A test's MQTT client (MQTTnet): subscribes to everything and keeps every message it receives.</summary>
internal sealed class MqttProbe : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly ConcurrentQueue<Received> _messages = new();

    private MqttProbe(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            _messages.Enqueue(new Received(m.Topic, m.Payload.ToArray(), m.Retain));
            return Task.CompletedTask;
        };
    }

    public IReadOnlyList<Received> Messages => [.. _messages];

    public static async Task<MqttProbe> ConnectAsync(int port, string filter = "#")
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var probe = new MqttProbe(client);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(
            new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId("probe-" + Guid.NewGuid().ToString("N")).Build(),
            cts.Token);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build(), cts.Token);
        return probe;
    }

    public async Task PublishAsync(string topic, string payload)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _client.PublishAsync(
            new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cts.Token);
    }

    /// <summary>The last message on <paramref name="topic"/>, or null.</summary>
    public Received? Last(string topic) => Messages.LastOrDefault(m => m.Topic == topic);

    /// <summary>Waits for a message on <paramref name="topic"/> that matches; fails the test after the timeout.</summary>
    public async Task<Received> WaitAsync(string topic, Func<Received, bool>? match = null, TimeSpan? timeout = null, string? context = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = Messages.LastOrDefault(m => m.Topic == topic && (match?.Invoke(m) ?? true));
            if (found is not null)
            {
                return found;
            }

            if (clock.Elapsed > limit)
            {
                var seen = string.Join("\n", Messages.Where(m => m.Topic == topic).Select(m => $"  retain={m.Retain} {Preview(m)}"));
                Assert.Fail($"No matching message on {topic} within {limit}. Seen on that topic:\n{seen}\n{context}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits for a retained copy (what the broker holds for late subscribers) on <paramref name="topic"/> that matches.</summary>
    public Task<Received> RetainedAsync(string topic, Func<Received, bool>? match = null, TimeSpan? timeout = null, string? context = null) =>
        WaitAsync(topic, m => m.Retain && (match?.Invoke(m) ?? true), timeout, context);

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }

    private static string Preview(Received m) => m.Payload.Length > 0 && m.Payload[0] == 0xFF ? $"<{m.Payload.Length} bytes>" : m.Text;
}

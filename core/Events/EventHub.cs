using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Events;

/// <summary>A session's subscription: the topics and an optional device filter. Replaced as a whole.</summary>
/// <param name="Topics">The selected topics.</param>
/// <param name="Device">Only events of this camera (events without a device still pass), or null for all.</param>
/// <param name="Explicit">False until the session calls <c>subscribe_events</c>/<c>unsubscribe_events</c>; until then an authenticated session gets <see cref="EventTopics.Defaults"/>.</param>
internal sealed record Subscription(EventTopics Topics, string? Device, bool Explicit)
{
    public static Subscription Initial { get; } = new(EventTopics.None, null, false);
}

/// <summary>
/// Fans notifications out to sessions. Each notification is serialized once and handed to every matching
/// session with the non-blocking <see cref="CameraService.Abstractions.Api.IRpcConnection.TrySendNotification"/>,
/// so a slow session (its transport queue full) never delays the others.
/// </summary>
internal sealed partial class EventHub(TimeProvider timeProvider, ILogger<EventHub> logger, Metrics.ApiMetrics? metrics = null) : IEventPublisher
{
    private readonly Lock _gate = new();
    private RpcSession[] _sessions = [];
    private long _dropped;

    /// <summary>Notifications a transport refused because a session's queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Add(RpcSession session)
    {
        lock (_gate)
        {
            _sessions = [.. _sessions, session];
        }
    }

    public void Remove(RpcSession session)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_sessions, session);
            if (index >= 0)
            {
                var copy = new RpcSession[_sessions.Length - 1];
                Array.Copy(_sessions, 0, copy, 0, index);
                Array.Copy(_sessions, index + 1, copy, index, _sessions.Length - index - 1);
                _sessions = copy;
            }
        }
    }

    /// <inheritdoc />
    public int Publish<T>(EventTopics topic, string method, string? device, T payload, JsonTypeInfo<T> typeInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WriteString("method"u8, method);
            writer.WritePropertyName("params"u8);
            JsonSerializer.Serialize(writer, payload, typeInfo);
            writer.WriteEndObject();
        }

        var message = buffer.WrittenSpan;
        var sessions = Volatile.Read(ref _sessions);
        var delivered = 0;
        var dropped = 0;
        foreach (var session in sessions)
        {
            if (!session.WantsEvent(topic, device))
            {
                continue;
            }

            try
            {
                if (session.Connection.TrySendNotification(message))
                {
                    delivered++;
                }
                else
                {
                    dropped++;
                }
            }
            catch (Exception ex) // one broken transport connection must not stop the fan-out to the others
            {
                LogSendFailed(logger, ex, session.SessionId);
            }
        }

        // Counted once per event, not per session: the fan-out loop stays free of shared writes.
        if (dropped > 0)
        {
            Interlocked.Add(ref _dropped, dropped);
        }

        metrics?.RecordNotifications(method, delivered, dropped);
        return delivered;
    }

    /// <summary>Counts for <c>get_subscription_stats</c>.</summary>
    public (int TotalSubscriptions, int ActiveClients, IReadOnlyDictionary<string, int> TopicCounts) Stats()
    {
        var counts = EventTopicNames.CanonicalNames.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var total = 0;
        var active = 0;
        var now = timeProvider.GetUtcNow();
        foreach (var session in Volatile.Read(ref _sessions))
        {
            var topics = session.EffectiveTopics(now);
            if (topics == EventTopics.None)
            {
                continue;
            }

            active++;
            foreach (var name in EventTopicNames.Names(topics))
            {
                counts[name]++;
                total++;
            }
        }

        return (total, active, counts);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Delivering a notification to session {SessionId} failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string sessionId);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Events;

/// <summary>
/// The core side of <see cref="IRpcNotificationPublisher"/>: notifications raised elsewhere (a fleet gateway's
/// nodes) go through the same event hub as the core's own, so every session's topics and device filter apply.
/// </summary>
internal sealed class RoutedNotifications(EventHub hub) : IRpcNotificationPublisher
{
    public int Publish(IReadOnlyList<string> topics, string method, string? device, ReadOnlyMemory<byte> utf8Params)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentException.ThrowIfNullOrEmpty(method);
        var set = EventTopics.None;
        foreach (var topic in topics)
        {
            if (!EventTopicNames.TryParse(topic, out var parsed))
            {
                throw new ArgumentException($"Unknown topic '{topic}'; use one of: {string.Join(", ", EventTopicNames.CanonicalNames)}.", nameof(topics));
            }

            set |= parsed;
        }

        using var document = JsonDocument.Parse(utf8Params);
        return hub.Publish(set, method, device, document.RootElement, RoutedNotificationJsonContext.Default.JsonElement);
    }
}

/// <summary>Serializes the forwarded params as they came.</summary>
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class RoutedNotificationJsonContext : JsonSerializerContext;

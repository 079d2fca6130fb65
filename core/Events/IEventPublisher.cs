using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CameraService.Core.Events;

/// <summary>
/// Publishes server-push notifications (api-contract.md §5). Other core services (recording, storage, health)
/// inject it and call the typed helpers in <see cref="EventPublisherExtensions"/>.
/// </summary>
internal interface IEventPublisher
{
    /// <summary>
    /// Sends <paramref name="method"/> with <paramref name="payload"/> as params to every session subscribed to any
    /// topic in <paramref name="topic"/> whose device filter matches <paramref name="device"/>. Never blocks.
    /// </summary>
    /// <returns>How many sessions accepted it.</returns>
    int Publish<T>(EventTopics topic, string method, string? device, T payload, JsonTypeInfo<T> typeInfo);
}

/// <summary>Params of <c>camera_status_update</c>: the camera object (with its recording fields, api-contract.md §8.1).</summary>
internal sealed record CameraStatusEvent(
    string Device,
    string Status,
    string Name,
    string Resolution,
    double Fps,
    CameraStreams Streams,
    string StableId,
    bool Recording = false,
    string? RecordingSession = null,
    string? CurrentFile = null,
    double? ElapsedTime = null);

/// <summary>Params of <c>recording_status_update</c>; <c>status</c> is STARTED, STOPPED, ERROR or FAILED.</summary>
internal sealed record RecordingStatusEvent(
    string Device,
    string? SessionId,
    string Status,
    string? Filename,
    double? Duration,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>Params of <c>recording_progress</c> (api-contract.md §8.2): what a running recording has written so far.</summary>
internal sealed record RecordingProgressEvent(string Device, string SessionId, double ElapsedTime, long FileSize, string? CurrentFile, int Segments);

/// <summary>Params of <c>motion_detected</c> (topic <c>camera.motion</c>): motion began (<c>active</c> true) or ended.</summary>
/// <param name="Device">The camera id.</param>
/// <param name="Active">True when motion starts, false when it ended.</param>
/// <param name="Score">Percent of the picture that changed in the frame that started or ended the motion.</param>
/// <param name="Timestamp">When (UTC, ISO 8601).</param>
internal sealed record MotionDetectedEvent(string Device, bool Active, double Score, string Timestamp);

/// <summary>Params of <c>snapshot_taken</c>.</summary>
internal sealed record SnapshotTakenEvent(string Device, string Filename, long FileSize, string Timestamp);

/// <summary>Params of <c>storage_status_update</c>; <c>status</c> is OK, WARNING or CRITICAL.</summary>
internal sealed record StorageStatusEvent(string Status, long AvailableSpace, double UsagePercentage);

/// <summary>Params of <c>system_health_update</c>.</summary>
internal sealed record SystemHealthEvent(string Status, IReadOnlyDictionary<string, string> Components);

/// <summary>Stream URLs of a camera (<c>streams</c>); null entries are not offered.</summary>
internal sealed record CameraStreams(string? Rtsp, string? Hls, string? Webrtc)
{
    public static CameraStreams None { get; } = new(null, null, null);
}

/// <summary>Typed publishing helpers that pick the topic from the payload, so callers cannot get the mapping wrong.</summary>
internal static class EventPublisherExtensions
{
    public static int PublishCameraStatus(this IEventPublisher publisher, CameraStatusEvent e, EventTopics topic)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        return publisher.Publish(topic, "camera_status_update", e.Device, e, CoreJsonContext.Default.CameraStatusEvent);
    }

    public static int PublishRecordingProgress(this IEventPublisher publisher, RecordingProgressEvent e)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        return publisher.Publish(EventTopics.RecordingProgress, "recording_progress", e.Device, e, CoreJsonContext.Default.RecordingProgressEvent);
    }

    public static int PublishRecordingStatus(this IEventPublisher publisher, RecordingStatusEvent e)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        var topic = e.Status switch
        {
            "STARTED" => EventTopics.RecordingStart,
            "STOPPED" => EventTopics.RecordingStop,
            "ERROR" or "FAILED" => EventTopics.RecordingError,
            _ => throw new ArgumentException($"Unknown recording status '{e.Status}'; use STARTED, STOPPED, ERROR or FAILED.", nameof(e)),
        };
        return publisher.Publish(topic, "recording_status_update", e.Device, e, CoreJsonContext.Default.RecordingStatusEvent);
    }

    public static int PublishMotionDetected(this IEventPublisher publisher, MotionDetectedEvent e)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        return publisher.Publish(EventTopics.CameraMotion, "motion_detected", e.Device, e, CoreJsonContext.Default.MotionDetectedEvent);
    }

    public static int PublishSnapshotTaken(this IEventPublisher publisher, SnapshotTakenEvent e)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        return publisher.Publish(EventTopics.SnapshotTaken, "snapshot_taken", e.Device, e, CoreJsonContext.Default.SnapshotTakenEvent);
    }

    /// <summary>WARNING goes to <c>storage.warning</c>, CRITICAL to <c>storage.critical</c>, OK (recovery) to both.</summary>
    public static int PublishStorageStatus(this IEventPublisher publisher, StorageStatusEvent e)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        var topic = e.Status switch
        {
            "WARNING" => EventTopics.StorageWarning,
            "CRITICAL" => EventTopics.StorageCritical,
            "OK" => EventTopics.StorageWarning | EventTopics.StorageCritical,
            _ => throw new ArgumentException($"Unknown storage status '{e.Status}'; use OK, WARNING or CRITICAL.", nameof(e)),
        };
        return publisher.Publish(topic, "storage_status_update", null, e, CoreJsonContext.Default.StorageStatusEvent);
    }

    public static int PublishSystemHealth(this IEventPublisher publisher, SystemHealthEvent e)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(e);
        return publisher.Publish(EventTopics.SystemHealth, "system_health_update", null, e, CoreJsonContext.Default.SystemHealthEvent);
    }
}

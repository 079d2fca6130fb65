using System.Collections.Frozen;

namespace CameraService.Core.Events;

/// <summary>The notification topics of api-contract.md §5, as flags so a session's set is one integer.</summary>
[Flags]
internal enum EventTopics
{
    None = 0,
    CameraConnected = 1 << 0,
    CameraDisconnected = 1 << 1,
    CameraStatusChange = 1 << 2,
    RecordingStart = 1 << 3,
    RecordingStop = 1 << 4,
    RecordingError = 1 << 5,
    SnapshotTaken = 1 << 6,
    StorageWarning = 1 << 7,
    StorageCritical = 1 << 8,
    SystemHealth = 1 << 9,
    CameraControls = 1 << 10,
    RecordingProgress = 1 << 11,
    CameraMotion = 1 << 12,

    Camera = CameraConnected | CameraDisconnected | CameraStatusChange,
    Recording = RecordingStart | RecordingStop | RecordingError,

    /// <summary>What an authenticated session receives before it calls <c>subscribe_events</c>.</summary>
    Defaults = Camera | Recording,
}

/// <summary>Topic names and aliases.</summary>
internal static class EventTopicNames
{
    private static readonly (string Name, EventTopics Topic)[] Topics =
    [
        ("camera.connected", EventTopics.CameraConnected),
        ("camera.disconnected", EventTopics.CameraDisconnected),
        ("camera.status_change", EventTopics.CameraStatusChange),
        ("recording.start", EventTopics.RecordingStart),
        ("recording.stop", EventTopics.RecordingStop),
        ("recording.error", EventTopics.RecordingError),
        ("snapshot.taken", EventTopics.SnapshotTaken),
        ("storage.warning", EventTopics.StorageWarning),
        ("storage.critical", EventTopics.StorageCritical),
        ("system.health", EventTopics.SystemHealth),
        ("camera.controls", EventTopics.CameraControls),
        ("recording.progress", EventTopics.RecordingProgress),
        ("camera.motion", EventTopics.CameraMotion),
    ];

    private static readonly FrozenDictionary<string, EventTopics> Lookup = Topics
        .Select(t => KeyValuePair.Create(t.Name, t.Topic))
        .Concat(
        [
            KeyValuePair.Create("camera_status_update", EventTopics.Camera),
            KeyValuePair.Create("recording_status_update", EventTopics.Recording),
            KeyValuePair.Create("system_health_update", EventTopics.SystemHealth),
            KeyValuePair.Create("camera_controls_changed", EventTopics.CameraControls),
            KeyValuePair.Create("recording_progress", EventTopics.RecordingProgress),
            KeyValuePair.Create("motion_detected", EventTopics.CameraMotion),
        ])
        .ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every accepted topic name, aliases included, for error data and documentation.</summary>
    public static IReadOnlyList<string> ValidNames { get; } = [.. Lookup.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The canonical topic names.</summary>
    public static IReadOnlyList<string> CanonicalNames { get; } = [.. Topics.Select(t => t.Name)];

    public static bool TryParse(string name, out EventTopics topics) => Lookup.TryGetValue(name, out topics);

    /// <summary>The canonical names of a set, in table order.</summary>
    public static IReadOnlyList<string> Names(EventTopics set)
    {
        var list = new List<string>();
        foreach (var (name, topic) in Topics)
        {
            if ((set & topic) != 0)
            {
                list.Add(name);
            }
        }

        return list;
    }
}

namespace CameraService.Plugins.Mqtt;

/// <summary>The topic layout of docs/mqtt.md, in one place.</summary>
internal sealed class MqttTopics(string baseTopic, string discoveryPrefix)
{
    public string Base { get; } = baseTopic;

    public string DiscoveryPrefix { get; } = discoveryPrefix;

    public bool DiscoveryEnabled => DiscoveryPrefix.Length > 0;

    public string Availability => $"{Base}/availability";

    public string Storage => $"{Base}/storage";

    public string Health => $"{Base}/health";

    public string Event(string method) => $"{Base}/events/{method}";

    public string CameraState(string id) => $"{Base}/cameras/{id}/state";

    public string AllCameraStates => $"{Base}/cameras/+/state";

    public string Recording(string id) => $"{Base}/cameras/{id}/recording";

    public string RecordingStatus(string id) => $"{Base}/cameras/{id}/recording/status";

    public string RecordingSet(string id) => $"{Base}/cameras/{id}/recording/set";

    public string RecordingResult(string id) => $"{Base}/cameras/{id}/recording/result";

    public string Snapshot(string id) => $"{Base}/cameras/{id}/snapshot";

    public string SnapshotSet(string id) => $"{Base}/cameras/{id}/snapshot/set";

    public string SnapshotResult(string id) => $"{Base}/cameras/{id}/snapshot/result";

    public string AllCommands => $"{Base}/cameras/+/+/set";

    /// <summary><c>&lt;prefix&gt;/&lt;component&gt;/&lt;unique id&gt;/config</c>.</summary>
    public string Discovery(string component, string uniqueId) => $"{DiscoveryPrefix}/{component}/{uniqueId}/config";

    /// <summary>The camera id in <c>&lt;base&gt;/cameras/&lt;id&gt;/&lt;rest&gt;</c>, or null when the topic is not of that shape.</summary>
    public (string Camera, string Tail)? ParseCameraTopic(string topic)
    {
        var prefix = Base + "/cameras/";
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var tail = topic[prefix.Length..];
        var slash = tail.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 ? null : (tail[..slash], tail[(slash + 1)..]);
    }

    public static bool IsValidBase(string topic) =>
        topic.Length > 0
        && topic[0] != '/' && topic[^1] != '/'
        && topic.IndexOfAny(['+', '#', '\0']) < 0
        && !topic.Contains("//", StringComparison.Ordinal);

    /// <summary>A topic level made of <c>[A-Za-z0-9_-]</c> (host names may carry dots, which Home Assistant ids dislike).</summary>
    public static string Sanitize(string text)
    {
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray();
        return chars.Length == 0 ? "camera-service" : new string(chars);
    }
}

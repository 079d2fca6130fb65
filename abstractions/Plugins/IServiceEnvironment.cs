namespace CameraService.Abstractions.Plugins;

/// <summary>
/// What a plugin may know about the service it runs in, provided by the host: inject it into any class of
/// the plugin. A plugin reads its own configuration section (<c>Plugins:&lt;Id&gt;</c>) and this — never
/// another component's configuration keys (<c>State:Directory</c>, <c>Api:*</c>, <c>Storage:*</c>,
/// <c>CameraService:*</c>, <c>Fleet:*</c>, …).
/// </summary>
/// <remarks>
/// Each plugin gets its own instance: <see cref="StateDirectory"/> is the plugin's own folder. The host resolves
/// the values once at start; they do not change while the service runs.
/// </remarks>
public interface IServiceEnvironment
{
    /// <summary>The service's version (e.g. <c>1.4.0</c>), as shown by <c>camera-service --version</c>.</summary>
    string ServiceVersion { get; }

    /// <summary>
    /// The plugin's own folder for persistent state (<c>&lt;State:Directory&gt;/plugins/&lt;id&gt;</c>), created by the host
    /// before the plugin's services are built. Write files atomically (temporary file, then rename).
    /// </summary>
    string StateDirectory { get; }

    /// <summary>
    /// The absolute base URL clients reach the service's HTTP API at, without a trailing slash
    /// (e.g. <c>https://cams.example.org:8002</c>): <c>Api:PublicBaseUrl</c> when set, else the scheme of the
    /// listener (https with TLS), <c>Api:PublicHost</c> (or the machine's host name) and <c>Api:Port</c> — exactly
    /// the base of the core's own <c>download_url</c>s.
    /// </summary>
    string PublicBaseUrl { get; }

    /// <summary>The host name part of <see cref="PublicBaseUrl"/> (for URLs of other ports, e.g. RTSP).</summary>
    string PublicHost { get; }

    /// <summary>Where the service keeps its media.</summary>
    MediaLayout Media { get; }

    /// <summary>The service's clock; use it instead of the system clock so tests can control time.</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// The path of the service's JSON-RPC WebSocket endpoint below <see cref="PublicBaseUrl"/>, starting with <c>/</c>
    /// (<c>Api:Path</c>, default <c>/ws</c>): a client or a web page connects to the base URL with the scheme
    /// <c>ws</c>/<c>wss</c> and this path. Since SDK 2.1; the default implementation (for test doubles written
    /// against 2.0) answers <c>/ws</c>.
    /// </summary>
    string ApiWebSocketPath => "/ws";

    /// <summary>
    /// The name of this service instance (the box), stable across restarts and unique among the boxes of a fleet:
    /// <c>Fleet:NodeId</c> when set, else the machine's host name. Use it where a plugin names the box to the outside,
    /// e.g. in MQTT topics. It is free text: sanitize it for the place you put it. Since SDK 2.1; the default
    /// implementation answers the machine's host name.
    /// </summary>
    string NodeId => Environment.MachineName;

    /// <summary>
    /// The <c>Name</c> of the stream backend (<see cref="Streaming.IStreamBackend"/>) the service is configured to use
    /// (<c>CameraService:StreamBackend</c>, default <c>mediamtx</c>), whether or not a loaded plugin provides it. A
    /// backend that serves something only while it is the selected one compares its own name with this. Since SDK
    /// 2.1; the default implementation answers <c>mediamtx</c>.
    /// </summary>
    string SelectedStreamBackend => "mediamtx";

    /// <summary>
    /// The <c>Name</c> of the media store (<see cref="Media.IMediaStore"/>) the service is configured to use
    /// (<c>CameraService:MediaStore</c>, default <c>storage</c>), whether or not a loaded plugin provides it. Since SDK
    /// 2.1; the default implementation answers <c>storage</c>.
    /// </summary>
    string SelectedMediaStore => "storage";
}

/// <summary>The media folders of the service (full paths).</summary>
public sealed record MediaLayout
{
    /// <summary>The media root (<c>Storage:Root</c>).</summary>
    public required string RootDirectory { get; init; }

    /// <summary>Recordings: <c>&lt;root&gt;/recordings</c>, one folder per camera id below it.</summary>
    public required string RecordingsDirectory { get; init; }

    /// <summary>Snapshots: <c>&lt;root&gt;/snapshots</c>, one folder per camera id below it.</summary>
    public required string SnapshotsDirectory { get; init; }
}

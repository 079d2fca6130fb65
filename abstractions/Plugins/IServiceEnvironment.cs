namespace CameraService.Abstractions.Plugins;

/// <summary>
/// What a plugin may know about the service it runs in, provided by the host: inject it into any class of
/// the plugin. A plugin reads its own configuration section (<c>Plugins:&lt;Id&gt;</c>) and this — never
/// another component's configuration keys (<c>State:Directory</c>, <c>Api:*</c>, <c>Storage:*</c>, …).
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

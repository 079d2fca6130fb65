using Microsoft.Extensions.Options;

namespace CameraService.Plugins.MediaMtx;

/// <summary>How the camera's publisher runs.</summary>
public enum MediaMtxRunMode
{
    /// <summary>ffmpeg starts when the first viewer asks (runOnDemand); recording or start_streaming keeps it running.</summary>
    OnDemand,

    /// <summary>ffmpeg runs as long as the path exists (runOnInit).</summary>
    OnInit,
}

/// <summary>Options of the mediamtx plugin, bound from <c>Plugins:MediaMtx</c> (see docs/mediamtx.md).</summary>
public sealed class MediaMtxOptions
{
    /// <summary>The section these options bind from.</summary>
    public const string SectionName = "Plugins:MediaMtx";

    /// <summary>Control API base URL.</summary>
    public Uri ApiUrl { get; set; } = new("http://127.0.0.1:9997");

    /// <summary>API user (Basic auth) when MediaMTX requires credentials.</summary>
    public string? Username { get; set; }

    /// <summary>API password (Basic auth).</summary>
    public string? Password { get; set; }

    /// <summary>Bearer token (JWT) instead of user and password.</summary>
    public string? Token { get; set; }

    /// <summary>Timeout of one API request attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of idempotent calls (GET, replace, delete) after a transient failure.</summary>
    public int RetryCount { get; set; } = 2;

    /// <summary>Delay before the first retry (doubles each time).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Failures within <see cref="CircuitSamplingDuration"/> that open the circuit (calls then fail at once).</summary>
    public int CircuitMinimumThroughput { get; set; } = 3;

    /// <summary>Window in which failures are counted.</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the circuit stays open before a trial call.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often desired state is compared with MediaMTX and repaired.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After start, how long paths of ours that no camera claims are kept (so a restarted service can re-adopt them).</summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Publisher mode.</summary>
    public MediaMtxRunMode RunMode { get; set; } = MediaMtxRunMode.OnDemand;

    /// <summary>Recording segment duration (recordSegmentDuration).</summary>
    public TimeSpan SegmentDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>ffmpeg executable, used by MediaMTX for the publisher and by the plugin for snapshots.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>Upper bound of a snapshot capture (the request's own timeout applies when shorter).</summary>
    public TimeSpan SnapshotTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a camera's snapshot reader stays open after its last snapshot (0 = none: every snapshot opens a new
    /// RTSP connection and waits for a keyframe). See <see cref="LiveSnapshotReaders"/>.
    /// </summary>
    public TimeSpan SnapshotReaderIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Host MediaMTX's RTSP server is reached at by the plugin (snapshots).</summary>
    public string RtspHost { get; set; } = "127.0.0.1";

    /// <summary>MediaMTX RTSP port (0: not offered to clients).</summary>
    public int RtspPort { get; set; } = 8554;

    /// <summary>MediaMTX HLS port (0: not offered).</summary>
    public int HlsPort { get; set; } = 8888;

    /// <summary>MediaMTX WebRTC port (0: not offered).</summary>
    public int WebRtcPort { get; set; } = 8889;

    /// <summary>Host name put in client URLs.</summary>
    public string PublicHost { get; set; } = "localhost";

    /// <summary>H.264 bitrate of the transcoding publisher, e.g. <c>2M</c>; empty leaves x264's default (CRF).</summary>
    public string? VideoBitrate { get; set; }

    /// <summary>
    /// Whether MediaMTX pulls an H.264 network camera itself (<c>source: rtsp://…</c>) instead of an ffmpeg publisher.
    /// Other codecs always go through the transcoding publisher.
    /// </summary>
    public bool PullNetworkStreams { get; set; } = true;

    /// <summary>
    /// <c>sourceOnDemand</c> of a pulled network stream: pull only while someone reads it. A recording or a started
    /// stream keeps it pulling regardless.
    /// </summary>
    public bool SourceOnDemand { get; set; }

    /// <summary>Directory of the plugin's state file (defaults to the service's <c>State:Directory</c>).</summary>
    public string? StateDirectory { get; set; }
}

/// <summary>Validates <see cref="MediaMtxOptions"/> at start.</summary>
internal sealed class MediaMtxOptionsValidator : IValidateOptions<MediaMtxOptions>
{
    public ValidateOptionsResult Validate(string? name, MediaMtxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!options.ApiUrl.IsAbsoluteUri || options.ApiUrl.Scheme is not ("http" or "https"))
        {
            errors.Add("Plugins:MediaMtx:ApiUrl must be an absolute http(s) URL.");
        }

        if (options.Token is { Length: > 0 } && options.Username is { Length: > 0 })
        {
            errors.Add("Plugins:MediaMtx: set either Username/Password or Token, not both.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.SnapshotTimeout <= TimeSpan.Zero || options.ReconcileInterval <= TimeSpan.Zero)
        {
            errors.Add("Plugins:MediaMtx: RequestTimeout, SnapshotTimeout and ReconcileInterval must be positive.");
        }

        if (options.SnapshotReaderIdle < TimeSpan.Zero || options.SnapshotReaderIdle > TimeSpan.FromHours(1))
        {
            errors.Add("Plugins:MediaMtx:SnapshotReaderIdle must be between 0 (no reader kept) and 1 hour.");
        }

        if (options.RetryCount is < 0 or > 10)
        {
            errors.Add("Plugins:MediaMtx:RetryCount must be between 0 and 10.");
        }

        if (options.CircuitMinimumThroughput < 2 || options.CircuitBreakDuration < TimeSpan.FromMilliseconds(500) || options.CircuitSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            errors.Add("Plugins:MediaMtx: CircuitMinimumThroughput must be at least 2, CircuitBreakDuration and CircuitSamplingDuration at least 0.5 s.");
        }

        if (options.SegmentDuration < TimeSpan.FromSeconds(1) || options.SegmentDuration > TimeSpan.FromDays(1))
        {
            errors.Add("Plugins:MediaMtx:SegmentDuration must be between 1 second and 1 day.");
        }

        foreach (var (key, port) in new[] { ("RtspPort", options.RtspPort), ("HlsPort", options.HlsPort), ("WebRtcPort", options.WebRtcPort) })
        {
            if (port is < 0 or > 65535)
            {
                errors.Add($"Plugins:MediaMtx:{key} must be a port number (0 disables).");
            }
        }

        if (options.RtspPort == 0)
        {
            errors.Add("Plugins:MediaMtx:RtspPort is needed for snapshots; set MediaMTX's RTSP port.");
        }

        if (string.IsNullOrWhiteSpace(options.FfmpegPath) || string.IsNullOrWhiteSpace(options.PublicHost))
        {
            errors.Add("Plugins:MediaMtx: FfmpegPath and PublicHost must not be empty.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

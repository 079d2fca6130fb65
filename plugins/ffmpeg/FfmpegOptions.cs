using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>Options of the ffmpeg backend, bound from <c>Plugins:Ffmpeg</c> (documented in docs/ffmpeg.md).</summary>
internal sealed class FfmpegOptions
{
    public const string SectionName = "Plugins:Ffmpeg";

    /// <summary>The ffmpeg executable: a bare name is looked up on PATH.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>Length of one recording segment.</summary>
    public TimeSpan SegmentDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Working directory for HLS playlists and live frames; null means &lt;temp&gt;/camera-service-hls.</summary>
    public string? HlsDirectory { get; set; }

    /// <summary>Target length of one HLS segment in seconds.</summary>
    public double HlsSegmentSeconds { get; set; } = 1;

    /// <summary>Number of segments in the rolling HLS playlist.</summary>
    public int HlsListSize { get; set; } = 6;

    /// <summary>libx264 preset.</summary>
    public string Preset { get; set; } = "ultrafast";

    /// <summary>libx264 tune (empty for none).</summary>
    public string Tune { get; set; } = "zerolatency";

    /// <summary>H.264 profile.</summary>
    public string Profile { get; set; } = "main";

    /// <summary>Pixel format of the encoded video.</summary>
    public string PixelFormat { get; set; } = "yuv420p";

    /// <summary>Keyframe interval in seconds (segments and HLS cut on keyframes).</summary>
    public double GopSeconds { get; set; } = 1;

    /// <summary>Copy the camera's H.264 instead of re-encoding when the input delivers H.264.</summary>
    public bool CopyH264 { get; set; } = true;

    /// <summary>First delay before restarting a failed ffmpeg; doubled per consecutive failure.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the restart delay.</summary>
    public TimeSpan MaxRestartBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Consecutive failed restarts after which a running recording is reported failed.</summary>
    public int MaxRestartAttempts { get; set; } = 5;

    /// <summary>How long a stopping ffmpeg may take to finalize its files after SIGINT before it is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a starting ffmpeg may take to deliver its first frame.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A running ffmpeg that reports no progress for this long is killed and restarted.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Refresh rate (frames per second) of the live frame that snapshots are taken from while a process runs.</summary>
    public double SnapshotRefreshRate { get; set; } = 2;

    /// <summary>Lifetime of the token appended to segment URIs when the playlist was fetched with a Bearer header.</summary>
    public TimeSpan HlsTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How much of each camera's encoded stream is kept in memory for <c>start_recording {pre_seconds}</c> (0–30 s; 0 = no
    /// pre-event buffer). Above 0 a camera's process runs as long as the camera is published.
    /// </summary>
    public TimeSpan PreEventBuffer { get; set; } = TimeSpan.Zero;

    /// <summary>Most ffmpeg stderr lines logged per camera per minute; the rest are counted.</summary>
    public int StderrLinesPerMinute { get; set; } = 30;

    public string ResolvedHlsDirectory =>
        string.IsNullOrWhiteSpace(HlsDirectory) ? Path.Combine(Path.GetTempPath(), "camera-service-hls") : HlsDirectory;
}

/// <summary>Checks <see cref="FfmpegOptions"/> at start so a bad value fails with the key that is wrong.</summary>
internal sealed class FfmpegOptionsValidator : IValidateOptions<FfmpegOptions>
{
    private static readonly string[] Presets =
        ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"];

    public ValidateOptionsResult Validate(string? name, FfmpegOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.FfmpegPath))
        {
            errors.Add("Plugins:Ffmpeg:FfmpegPath must not be empty.");
        }

        if (options.SegmentDuration < TimeSpan.FromSeconds(1) || options.SegmentDuration > TimeSpan.FromHours(24))
        {
            errors.Add("Plugins:Ffmpeg:SegmentDuration must be between 00:00:01 and 1.00:00:00.");
        }

        if (options.HlsSegmentSeconds is < 0.5 or > 30)
        {
            errors.Add("Plugins:Ffmpeg:HlsSegmentSeconds must be between 0.5 and 30.");
        }

        if (options.HlsListSize is < 2 or > 100)
        {
            errors.Add("Plugins:Ffmpeg:HlsListSize must be between 2 and 100.");
        }

        if (options.ResolvedHlsDirectory.Contains('%', StringComparison.Ordinal) || !Path.IsPathFullyQualified(options.ResolvedHlsDirectory))
        {
            errors.Add("Plugins:Ffmpeg:HlsDirectory must be an absolute path without '%'.");
        }

        if (!Presets.Contains(options.Preset, StringComparer.Ordinal))
        {
            errors.Add($"Plugins:Ffmpeg:Preset must be one of {string.Join(", ", Presets)}.");
        }

        if (!IsToken(options.Tune, allowEmpty: true) || !IsToken(options.Profile, allowEmpty: false) || !IsToken(options.PixelFormat, allowEmpty: false))
        {
            errors.Add("Plugins:Ffmpeg:Tune, Profile and PixelFormat must be plain ffmpeg names (letters, digits, '_').");
        }

        if (options.GopSeconds is < 0.2 or > 10)
        {
            errors.Add("Plugins:Ffmpeg:GopSeconds must be between 0.2 and 10.");
        }

        if (options.RestartBackoff <= TimeSpan.Zero || options.MaxRestartBackoff < options.RestartBackoff)
        {
            errors.Add("Plugins:Ffmpeg:RestartBackoff must be positive and not above MaxRestartBackoff.");
        }

        if (options.MaxRestartAttempts is < 1 or > 1000)
        {
            errors.Add("Plugins:Ffmpeg:MaxRestartAttempts must be between 1 and 1000.");
        }

        if (options.StopTimeout <= TimeSpan.Zero || options.StartTimeout <= TimeSpan.Zero || options.StallTimeout < TimeSpan.FromSeconds(2))
        {
            errors.Add("Plugins:Ffmpeg:StopTimeout and StartTimeout must be positive, StallTimeout at least 2 seconds.");
        }

        if (options.SnapshotRefreshRate is < 0.1 or > 30)
        {
            errors.Add("Plugins:Ffmpeg:SnapshotRefreshRate must be between 0.1 and 30 frames per second.");
        }

        if (options.HlsTokenLifetime < TimeSpan.FromSeconds(10))
        {
            errors.Add("Plugins:Ffmpeg:HlsTokenLifetime must be at least 10 seconds.");
        }

        if (options.PreEventBuffer < TimeSpan.Zero || options.PreEventBuffer > TimeSpan.FromSeconds(30))
        {
            errors.Add("Plugins:Ffmpeg:PreEventBuffer must be between 00:00:00 and 00:00:30.");
        }

        if (options.StderrLinesPerMinute < 0)
        {
            errors.Add("Plugins:Ffmpeg:StderrLinesPerMinute must not be negative.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsToken(string? value, bool allowEmpty) =>
        string.IsNullOrEmpty(value) ? allowEmpty : value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// Builds the MediaMTX path config of a camera: the ffmpeg publisher command (as MediaMTX will split and expand it),
/// the record settings, and the marker that says the path is ours.
/// </summary>
internal static partial class PathConfigBuilder
{
    /// <summary>Carried in every publisher command we write: how a path is recognized as ours even without the state file.</summary>
    public const string OwnerMarker = "camera-service";

    /// <summary>The fields we set; on reconciliation only these are compared.</summary>
    public static readonly IReadOnlyList<string> ManagedFields =
    [
        "source", "runOnInit", "runOnInitRestart", "runOnDemand", "runOnDemandRestart", "record", "recordPath",
        "recordFormat", "recordSegmentDuration", "recordDeleteAfter", "sourceOnDemand", "rtspTransport",
    ];

    /// <summary>
    /// The publisher command MediaMTX runs: capture, browser-playable H.264, and the camera's audio as Opus (the one
    /// codec every MediaMTX reader takes — RTSP, WebRTC, HLS — and its fMP4 recorder keeps), published to its own RTSP
    /// server. A network stream's AAC or Opus track is copied as it is.
    /// </summary>
    public static string PublisherCommand(StreamCamera camera, MediaMtxOptions options)
    {
        ArgumentNullException.ThrowIfNull(camera);
        var input = camera.Input;
        var args = new List<string> { options.FfmpegPath, "-hide_banner", "-loglevel", "warning", "-nostdin" };
        args.AddRange(FfmpegInput.Arguments(input));
        args.AddRange(FfmpegInput.AudioArguments(input));
        args.AddRange(["-map", "0:v:0"]);
        if (FfmpegInput.IsH264(input))
        {
            args.AddRange(["-c:v", "copy"]);
        }
        else
        {
            var fps = input.Video.FrameRate > 0 ? input.Video.FrameRate : 30;
            var gop = Math.Max(1, (int)Math.Round(fps * 2));
            args.AddRange(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "main", "-pix_fmt", "yuv420p",
                "-g", gop.ToString(CultureInfo.InvariantCulture), "-keyint_min", Math.Max(1, (int)Math.Round(fps)).ToString(CultureInfo.InvariantCulture),
                "-sc_threshold", "0"]);
            if (!string.IsNullOrEmpty(options.VideoBitrate))
            {
                args.AddRange(["-b:v", options.VideoBitrate, "-maxrate", options.VideoBitrate, "-bufsize", options.VideoBitrate]);
            }
        }

        args.AddRange(AudioOutputArguments(input));
        args.AddRange(["-metadata", "title=" + OwnerMarker + ":" + camera.CameraId, "-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://" + UserInfo(options) + "127.0.0.1:$RTSP_PORT/$MTX_PATH"]);
        return string.Join(' ', args.Select(Quote));
    }

    /// <summary>
    /// The audio part of the publisher's output: <c>-an</c> for a camera without audio; otherwise the map of its audio
    /// (optional for a network stream, whose track may come and go with the camera's settings) and its codec.
    /// </summary>
    private static List<string> AudioOutputArguments(CaptureInput input)
    {
        if (FfmpegInput.AudioStream(input) is not { } stream)
        {
            return ["-an"];
        }

        var network = input is NetworkCaptureInput;
        var args = new List<string> { "-map", network ? stream + "?" : stream };
        if (network && input.Audio?.Codec is AudioCodecs.Aac or AudioCodecs.Opus)
        {
            args.AddRange(["-c:a", "copy"]);
        }
        else
        {
            // libopus takes 48/24/16/12/8 kHz; ffmpeg resamples any other rate (a webcam's 32 kHz) on its own.
            args.AddRange(["-c:a", "libopus", "-b:a", "64k"]);
        }

        return args;
    }

    /// <summary>
    /// <c>user:password@</c> of the service's media-server credential, or empty: with <c>authMethod: http</c> MediaMTX
    /// asks the service about every publish, and only the service's own credential may publish (issue 17).
    /// </summary>
    public static string UserInfo(MediaMtxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrEmpty(options.Username)
            ? string.Empty
            : Uri.EscapeDataString(options.Username) + ":" + Uri.EscapeDataString(options.Password ?? string.Empty) + "@";
    }

    /// <summary>The recordPath that puts segments into the camera's directory as <c>&lt;cameraId&gt;_yyyy-MM-dd_HH-mm-ss-ffffff.mp4</c>.</summary>
    public static string RecordPath(StreamCamera camera) =>
        Path.Combine(Path.GetFullPath(camera.RecordingDirectory), "%path_%Y-%m-%d_%H-%M-%S-%f");

    /// <summary>The full desired config. <paramref name="keepRunning"/> makes the publisher independent of viewers (runOnInit).</summary>
    public static JsonObject Build(StreamCamera camera, MediaMtxOptions options, bool keepRunning, bool record)
    {
        if (PullsDirectly(camera, options))
        {
            return PulledSource(camera, options, keepRunning, record);
        }

        var cmd = PublisherCommand(camera, options);
        var onInit = keepRunning || options.RunMode == MediaMtxRunMode.OnInit;
        return new JsonObject
        {
            ["source"] = "publisher",
            ["runOnInit"] = onInit ? cmd : string.Empty,
            ["runOnInitRestart"] = onInit,
            ["runOnDemand"] = onInit ? string.Empty : cmd,
            ["runOnDemandRestart"] = !onInit,
            ["record"] = record,
            ["recordPath"] = RecordPath(camera),
            ["recordFormat"] = "fmp4",
            ["recordSegmentDuration"] = GoDuration(options.SegmentDuration),

            // Retention belongs to the media store: MediaMTX must never delete our files.
            ["recordDeleteAfter"] = "0s",
        };
    }

    /// <summary>Whether MediaMTX pulls the camera itself: an H.264 network stream (no transcoding needed).</summary>
    public static bool PullsDirectly(StreamCamera camera, MediaMtxOptions options) =>
        options.PullNetworkStreams && camera.Input is NetworkCaptureInput && FfmpegInput.IsH264(camera.Input);

    /// <summary>
    /// The config of a network camera MediaMTX pulls itself: <c>source</c> is the stream's URL with its credentials
    /// (MediaMTX keeps it in memory; the plugin never logs it), <c>sourceOnDemand</c> from the options unless the path must
    /// keep running (recording, started stream).
    /// </summary>
    private static JsonObject PulledSource(StreamCamera camera, MediaMtxOptions options, bool keepRunning, bool record)
    {
        var network = (NetworkCaptureInput)camera.Input;
        var url = new UriBuilder(network.Url);
        if (network.UserName is { Length: > 0 } user)
        {
            url.UserName = Uri.EscapeDataString(user);
            url.Password = network.Password is null ? string.Empty : Uri.EscapeDataString(network.Password);
        }

        return new JsonObject
        {
            ["source"] = url.Uri.AbsoluteUri,
            ["sourceOnDemand"] = options.SourceOnDemand && !keepRunning,
            ["rtspTransport"] = network.Transport switch
            {
                RtspTransport.Tcp => "tcp",
                RtspTransport.Udp => "udp",
                _ => "automatic",
            },
            ["runOnInit"] = string.Empty,
            ["runOnInitRestart"] = false,
            ["runOnDemand"] = string.Empty,
            ["runOnDemandRestart"] = false,
            ["record"] = record,
            ["recordPath"] = RecordPath(camera),
            ["recordFormat"] = "fmp4",
            ["recordSegmentDuration"] = GoDuration(options.SegmentDuration),
            ["recordDeleteAfter"] = "0s",
        };
    }

    /// <summary>Whether an existing path config is ours (our marker is in its publisher command).</summary>
    public static bool IsOurs(JsonObject conf)
    {
        ArgumentNullException.ThrowIfNull(conf);
        var marker = "title=" + OwnerMarker + ":";
        return (conf["runOnInit"]?.GetValue<string>() ?? string.Empty).Contains(marker, StringComparison.Ordinal) ||
               (conf["runOnDemand"]?.GetValue<string>() ?? string.Empty).Contains(marker, StringComparison.Ordinal);
    }

    /// <summary>Compares the managed fields of a desired config with what MediaMTX reports; returns the differing fields.</summary>
    public static IReadOnlyList<string> Drift(JsonObject desired, JsonObject actual)
    {
        var drift = new List<string>();
        foreach (var key in ManagedFields)
        {
            // A field the desired config does not set (sourceOnDemand of a publisher path) is MediaMTX's business.
            if (!desired.ContainsKey(key))
            {
                continue;
            }

            var want = desired[key];
            var have = actual[key];
            var same = key is "recordSegmentDuration" or "recordDeleteAfter"
                ? ParseDuration(want?.GetValue<string>()) == ParseDuration(have?.GetValue<string>())
                : JsonNode.DeepEquals(want, have);
            if (!same)
            {
                drift.Add(key);
            }
        }

        return drift;
    }

    /// <summary>Go duration syntax MediaMTX accepts ("1h0m0s", "90s", "1d"); zero is "0s".</summary>
    public static string GoDuration(TimeSpan d)
    {
        if (d <= TimeSpan.Zero)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        var h = (long)d.TotalHours;
        if (h > 0)
        {
            sb.Append(h.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (d.Minutes > 0)
        {
            sb.Append(d.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        var seconds = d.Seconds + (d.Milliseconds / 1000.0);
        if (seconds > 0 || sb.Length == 0)
        {
            sb.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        }

        return sb.ToString();
    }

    /// <summary>Parses the Go durations MediaMTX sends back ("" is zero, "1d" a day).</summary>
    public static TimeSpan? ParseDuration(string? s)
    {
        if (string.IsNullOrEmpty(s) || s == "0")
        {
            return TimeSpan.Zero;
        }

        var total = TimeSpan.Zero;
        var matches = DurationPart().Matches(s);
        if (matches.Sum(m => m.Length) != s.Length)
        {
            return null;
        }

        foreach (Match m in matches)
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "d" => TimeSpan.FromDays(n),
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                "us" or "µs" => TimeSpan.FromMicroseconds(n),
                _ => TimeSpan.FromTicks((long)(n / 100)),
            };
        }

        return total;
    }

    /// <summary>Quotes one argument for MediaMTX's go-shellquote split (no shell runs the command).</summary>
    public static string Quote(string arg)
    {
        ArgumentNullException.ThrowIfNull(arg);
        if (arg.Length > 0 && SafeArg().IsMatch(arg))
        {
            return arg;
        }

        return "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    [GeneratedRegex("^[A-Za-z0-9_\\-./:=,+@%$]+$")]
    private static partial Regex SafeArg();

    [GeneratedRegex("([0-9]*\\.?[0-9]+)(ns|us|µs|ms|s|m|h|d)")]
    private static partial Regex DurationPart();
}

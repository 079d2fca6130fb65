using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Shared;

/// <summary>
/// Turns the SDK's description of what a camera captures into ffmpeg input arguments. The SDK carries no ffmpeg
/// details; every backend that runs ffmpeg builds its command from this one file, compiled into each such plugin
/// (a plugin may reference nothing but the abstractions, so the code is shared as source, not as an assembly).
/// </summary>
internal static partial class FfmpegInput
{
    /// <summary>The ffmpeg <c>-input_format</c> of each fourcc of <see cref="PixelFormats.All"/>.</summary>
    private static readonly Dictionary<string, string> FfmpegPixelFormats = new(StringComparer.Ordinal)
    {
        [PixelFormats.Mjpeg] = "mjpeg",
        [PixelFormats.Jpeg] = "mjpeg",
        [PixelFormats.H264] = "h264",
        [PixelFormats.Hevc] = "hevc",
        [PixelFormats.Yuyv] = "yuyv422",
        [PixelFormats.Uyvy] = "uyvy422",
        [PixelFormats.Yvyu] = "yvyu422",
        [PixelFormats.Nv12] = "nv12",
        [PixelFormats.Nv21] = "nv21",
        [PixelFormats.Yu12] = "yuv420p",
        [PixelFormats.Yv12] = "yuv420p",
        [PixelFormats.Yuv422P] = "yuv422p",
        [PixelFormats.Rgb24] = "rgb24",
        [PixelFormats.Bgr24] = "bgr24",
        [PixelFormats.Grey] = "gray",
        [PixelFormats.Rgb565] = "rgb565le",
        [PixelFormats.BayerBggr8] = "bayer_bggr8",
        [PixelFormats.BayerGbrg8] = "bayer_gbrg8",
        [PixelFormats.BayerGrbg8] = "bayer_grbg8",
        [PixelFormats.BayerRggb8] = "bayer_rggb8",
    };

    /// <summary>
    /// The input arguments up to and including <c>-i &lt;input&gt;</c>. Synthetic inputs are paced to real time
    /// (<c>-re</c>); devices and network streams pace themselves. A device's or synthetic camera's audio is a second input (<see cref="AudioArguments"/>).
    /// </summary>
    /// <exception cref="UnsupportedFeatureException">A kind of input or a pixel format this backend does not know.</exception>
    public static IReadOnlyList<string> Arguments(CaptureInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input switch
        {
            DeviceCaptureInput device => DeviceArguments(device),
            SyntheticCaptureInput synthetic => SyntheticArguments(synthetic),
            NetworkCaptureInput network => NetworkArguments(network),
            _ => throw new UnsupportedFeatureException(
                "capture_input", $"This backend cannot open a camera described as {input.GetType().Name}; update the backend plugin."),
        };
    }

    /// <summary>
    /// The arguments that open the camera's audio as a second input, to follow <see cref="Arguments"/>: the paired ALSA
    /// capture device of a V4L2 camera, a 1 kHz tone for a synthetic camera. Empty when the audio is a track of the
    /// video input (a network stream) or the camera has none.
    /// </summary>
    public static IReadOnlyList<string> AudioArguments(CaptureInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return (input, input.Audio) switch
        {
            (DeviceCaptureInput, { Device: { Length: > 0 } device } audio) => DeviceAudioArguments(device, audio),
            (SyntheticCaptureInput, { } audio) =>
                ["-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=" + Invariant(audio.SampleRate > 0 ? audio.SampleRate : 48000)],
            _ => [],
        };
    }

    /// <summary>
    /// The <c>-map</c> specifier of the camera's audio when the command opened <see cref="Arguments"/> followed by
    /// <see cref="AudioArguments"/>: <c>1:a:0</c> for a second input, <c>0:a:0</c> for a network stream's track; null when
    /// the camera has no audio.
    /// </summary>
    public static string? AudioStream(CaptureInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Audio is null ? null : AudioArguments(input).Count > 0 ? "1:a:0" : input is NetworkCaptureInput ? "0:a:0" : null;
    }

    private static List<string> DeviceAudioArguments(string device, AudioInput audio)
    {
        // A large thread queue: ALSA delivers small periods, and a busy encoder must not make the capture drop them.
        var args = new List<string> { "-f", "alsa", "-thread_queue_size", "1024" };
        if (audio.SampleRate > 0)
        {
            args.AddRange(["-sample_rate", Invariant(audio.SampleRate)]);
        }

        if (audio.Channels > 0)
        {
            args.AddRange(["-channels", Invariant(audio.Channels)]);
        }

        args.AddRange(["-i", device]);
        return args;
    }

    /// <summary>Whether the input already delivers H.264, so the video can be passed through without transcoding.</summary>
    public static bool IsH264(CaptureInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Video.PixelFormat == PixelFormats.H264;
    }

    private static List<string> DeviceArguments(DeviceCaptureInput device)
    {
        var video = device.Video;
        if (!FfmpegPixelFormats.TryGetValue(video.PixelFormat, out var format))
        {
            throw new UnsupportedFeatureException(
                "capture_input", $"This backend cannot capture pixel format '{video.PixelFormat}'; choose another format for the camera.");
        }

        var args = new List<string> { "-f", "v4l2", "-input_format", format };
        if (video.Width > 0 && video.Height > 0)
        {
            args.AddRange(["-video_size", Invariant(video.Width) + "x" + Invariant(video.Height)]);
        }

        if (video.FrameRate > 0)
        {
            args.AddRange(["-framerate", Invariant(video.FrameRate)]);
        }

        args.AddRange(["-i", device.DevicePath]);
        return args;
    }

    private static List<string> SyntheticArguments(SyntheticCaptureInput synthetic)
    {
        var video = synthetic.Video;
        var source = synthetic.Pattern switch
        {
            SyntheticPattern.ColorBars => "smptebars",
            _ => "testsrc2",
        };
        var width = video.Width > 0 ? video.Width : 640;
        var height = video.Height > 0 ? video.Height : 480;
        var rate = video.FrameRate > 0 ? video.FrameRate : 15;
        var graph = source + "=size=" + Invariant(width) + "x" + Invariant(height) + ":rate=" + Invariant(rate);
        if (synthetic.Adjustments is { } a)
        {
            // Synthetic camera controls (the test pattern's brightness/contrast/saturation).
            graph += ",eq=brightness=" + a.Brightness.ToString("0.00", CultureInfo.InvariantCulture)
                + ":contrast=" + a.Contrast.ToString("0.00", CultureInfo.InvariantCulture)
                + ":saturation=" + a.Saturation.ToString("0.00", CultureInfo.InvariantCulture);
        }

        return ["-re", "-f", "lavfi", "-i", graph];
    }

    private static List<string> NetworkArguments(NetworkCaptureInput network)
    {
        var args = new List<string>();
        var rtsp = network.Url.Scheme is "rtsp" or "rtsps";
        if (rtsp && network.Transport != RtspTransport.Automatic)
        {
            args.AddRange(["-rtsp_transport", network.Transport == RtspTransport.Udp ? "udp" : "tcp"]);
        }

        var url = new UriBuilder(network.Url);
        if (network.UserName is { Length: > 0 } user)
        {
            url.UserName = Uri.EscapeDataString(user);
            url.Password = network.Password is null ? string.Empty : Uri.EscapeDataString(network.Password);
        }

        args.AddRange(["-i", url.Uri.AbsoluteUri]);
        return args;
    }

    /// <summary>
    /// Replaces the password of every <c>scheme://user:password@</c> in a line of ffmpeg output with <c>***</c>: ffmpeg
    /// prints a failing input's URL as given, and a network camera's URL carries its credentials.
    /// </summary>
    public static string RedactCredentials(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.Contains("://", StringComparison.Ordinal) && line.Contains('@', StringComparison.Ordinal)
            ? CredentialsInUrl().Replace(line, "$1***@")
            : line;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@")]
    private static partial System.Text.RegularExpressions.Regex CredentialsInUrl();

    private static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

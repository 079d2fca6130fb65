using System.Globalization;
using System.Text;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>What one camera process must produce besides its MPEG-TS feed (standard output).</summary>
/// <param name="HlsDirectory">Directory of the HLS playlist, or null for no HLS output.</param>
/// <param name="LiveFramePath">The continuously refreshed JPEG that snapshots are taken from.</param>
internal sealed record PipelineOutputs(string? HlsDirectory, string LiveFramePath);

/// <summary>Builds ffmpeg argument lists; every argument is a separate list entry (no shell involved).</summary>
internal static class FfmpegCommand
{
    public const string PlaylistName = "index.m3u8";
    public const string LiveFrameName = "live.jpg";

    private static readonly string[] Common = ["-hide_banner", "-nostdin", "-loglevel", "warning"];

    /// <summary>
    /// The long-running camera process: the camera (and its audio) opened once, encoded once, and through a tee the encoded
    /// stream as MPEG-TS on standard output (the feed recordings are cut from, see <see cref="CameraFeed"/>) plus HLS when
    /// wanted; the live frame is a second output.
    /// </summary>
    public static IReadOnlyList<string> BuildPipeline(CaptureInput input, FfmpegOptions options, PipelineOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outputs);
        var args = new List<string>(Common) { "-nostats" };
        args.AddRange(FfmpegInput.Arguments(input));
        args.AddRange(FfmpegInput.AudioArguments(input));

        args.AddRange(["-map", "0:v:0"]);
        if (FfmpegInput.AudioStream(input) is { } audio)
        {
            // AAC: what MP4, Matroska and MPEG-TS all carry; the recording keeps or drops it per request.
            args.AddRange(["-map", audio, "-c:a", "aac", "-b:a", "64k"]);
        }
        else
        {
            args.Add("-an");
        }

        if (FfmpegInput.IsH264(input) && options.CopyH264)
        {
            args.AddRange(["-c:v", "copy"]);
        }
        else
        {
            var gopFrames = Math.Max(1, (int)Math.Round(Math.Max(1, input.Video.FrameRate) * options.GopSeconds));
            args.AddRange(["-c:v", "libx264", "-preset", options.Preset]);
            if (!string.IsNullOrEmpty(options.Tune))
            {
                args.AddRange(["-tune", options.Tune]);
            }

            args.AddRange([
                "-profile:v", options.Profile, "-pix_fmt", options.PixelFormat,
                "-g", Invariant(gopFrames), "-keyint_min", Invariant(gopFrames), "-sc_threshold", "0",
                // Keyframes on a wall-clock grid so segments and HLS parts cut where configured.
                "-force_key_frames", "expr:gte(t,n_forced*" + Invariant(options.GopSeconds) + ")",
            ]);
        }

        // Parameter sets go in the header (global_header) and back in-band at every keyframe (dump_extra), so that every
        // keyframe interval of the feed and every HLS segment decodes on its own.
        args.AddRange(["-flags", "+global_header", "-f", "tee", BuildTeeSpec(options, outputs)]);

        args.AddRange([
            "-map", "0:v:0", "-an", "-vf", "fps=" + Invariant(options.SnapshotRefreshRate),
            "-c:v", "mjpeg", "-q:v", "2", "-f", "image2", "-update", "1", "-atomic_writing", "1", "-y", outputs.LiveFramePath,
        ]);
        return args;
    }

    /// <summary>
    /// A recorder: one segment, fed the camera's MPEG-TS on standard input (program table, then whole keyframe intervals)
    /// and copied into its container. It ends when its input is closed.
    /// </summary>
    /// <param name="format"><c>fmp4</c>, <c>mp4</c> or <c>mkv</c>.</param>
    /// <param name="audio">Keep the feed's audio (AAC) in the file.</param>
    /// <param name="path">The segment's (temporary) file.</param>
    public static IReadOnlyList<string> BuildRecorder(string format, bool audio, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // analyzeduration 0.5 s: enough to read the parameter sets of the first keyframe (the input starts with one), and
        // the file is opened at once instead of after ffmpeg's default 5 s of probing.
        // -progress: its "progress=end" tells that the file is complete, before ffmpeg's teardown (a stop need not wait for the exit).
        var args = new List<string>(Common) { "-nostats", "-progress", "pipe:1", "-f", "mpegts", "-analyzeduration", "500000", "-i", "pipe:0", "-map", "0:v:0" };
        if (audio)
        {
            args.AddRange(["-map", "0:a:0?"]);
        }

        args.AddRange(["-c", "copy"]);
        // flush_packets=1: every fragment (fMP4) or cluster (Matroska) reaches the disk at once, and a fragment or cluster
        // holds at most half a second (frag_duration, cluster_time_limit) besides starting at every keyframe, so a recorder
        // that is killed leaves a file that plays up to half a second before its end (issue 22: at most 2 s lost per crash,
        // fragments flushed at least every second) and the growing file shows the bytes recorded.
        switch (format)
        {
            case RecordingFormats.Mkv:
                args.AddRange(["-flush_packets", "1", "-cluster_time_limit", "500", "-f", "matroska"]);
                break;
            case RecordingFormats.Fmp4:
                args.AddRange([
                    "-bsf:a", "aac_adtstoasc", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "500000",
                    "-flush_packets", "1", "-f", "mp4",
                ]);
                break;
            default:
                args.AddRange(["-bsf:a", "aac_adtstoasc", "-f", "mp4"]);
                break;
        }

        args.AddRange(["-y", path]);
        return args;
    }

    /// <summary>A one-shot capture of one frame from the camera (only used when no process runs for it).</summary>
    public static IReadOnlyList<string> BuildSnapshotFromInput(CaptureInput input, string outputPath, string format, int quality)
    {
        ArgumentNullException.ThrowIfNull(input);
        var args = new List<string>(Common);
        args.AddRange(FfmpegInput.Arguments(input));
        FfmpegSnapshot.AddOutput(args, outputPath, format, quality);
        return args;
    }

    /// <summary>Re-encodes the running process's live frame to the requested format and quality.</summary>
    public static IReadOnlyList<string> BuildSnapshotFromFile(string inputPath, string outputPath, string format, int quality)
    {
        var args = new List<string>(Common) { "-f", "image2", "-i", inputPath };
        FfmpegSnapshot.AddOutput(args, outputPath, format, quality);
        return args;
    }

    /// <summary>
    /// Escapes a value for the tee muxer's parser (av_get_token): a backslash before every character that is not
    /// plainly safe. Option values inside <c>[...]</c> are parsed twice and are escaped twice.
    /// </summary>
    public static string EscapeTee(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-'))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static string BuildTeeSpec(FfmpegOptions options, PipelineOutputs outputs)
    {
        // The feed: flush_packets so every packet reaches the service at once; a broken pipe (the service is gone) ends
        // the process (the tee's default onfail=abort), so a camera process never outlives the service for long.
        var slaves = new List<string>(2) { "[f=mpegts:flush_packets=1:bsfs/v=dump_extra=freq=keyframe]" + EscapeTee("pipe:1") };
        if (outputs.HlsDirectory is { } hls)
        {
            // onfail=ignore: a failing HLS output must never end a recording. epoch-based sequence numbers and
            // discont_start let a player continue across a process restart. Video only (select), as before audio existed.
            slaves.Add(
                "[select=v:f=hls:onfail=ignore:hls_time=" + Invariant(options.HlsSegmentSeconds) +
                ":hls_list_size=" + Invariant(options.HlsListSize) +
                ":hls_flags=delete_segments+temp_file+independent_segments+discont_start:hls_start_number_source=epoch" +
                ":bsfs/v=dump_extra=freq=keyframe]" + EscapeTee(Path.Combine(hls, PlaylistName)));
        }

        return string.Join('|', slaves);
    }

    private static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

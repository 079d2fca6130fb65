using System.Globalization;
using System.Text;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;
using CameraService.Plugins.Shared;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>What one camera process must produce besides the live frame.</summary>
/// <param name="HlsDirectory">Directory of the HLS playlist, or null for no HLS output.</param>
/// <param name="Recording">Where recording segments go, or null for no recording output.</param>
/// <param name="LiveFramePath">The continuously refreshed JPEG that snapshots are taken from.</param>
internal sealed record PipelineOutputs(string? HlsDirectory, RecordingTarget? Recording, string LiveFramePath);

/// <summary>Recording output of one process run.</summary>
/// <param name="Directory">The camera's recording directory.</param>
/// <param name="Format"><c>fmp4</c>, <c>mp4</c> or <c>mkv</c>.</param>
/// <param name="TempPrefix">File name prefix of the segments while ffmpeg writes them (hidden, renamed on sight).</param>
internal sealed record RecordingTarget(string Directory, string Format, string TempPrefix);

/// <summary>Builds ffmpeg argument lists; every argument is a separate list entry (no shell involved).</summary>
internal static class FfmpegCommand
{
    public const string PlaylistName = "index.m3u8";
    public const string LiveFrameName = "live.jpg";

    private static readonly string[] Common = ["-hide_banner", "-nostdin", "-loglevel", "warning"];

    /// <summary>The long-running camera process: one input, one encode, a tee to recording and HLS, plus the live frame.</summary>
    public static IReadOnlyList<string> BuildPipeline(CaptureInput input, FfmpegOptions options, PipelineOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outputs);
        var args = new List<string>(Common) { "-progress", "pipe:1", "-nostats" };
        args.AddRange(FfmpegInput.Arguments(input));

        if (outputs.HlsDirectory is not null || outputs.Recording is not null)
        {
            args.AddRange(["-map", "0:v:0", "-an"]);
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

            // The MP4 slave needs the parameter sets in the header; the HLS (MPEG-TS) slave gets them back
            // in-band through dump_extra (see the tee muxer's documentation).
            args.AddRange(["-flags", "+global_header", "-f", "tee", BuildTeeSpec(options, outputs)]);
        }

        args.AddRange([
            "-map", "0:v:0", "-an", "-vf", "fps=" + Invariant(options.SnapshotRefreshRate),
            "-c:v", "mjpeg", "-q:v", "2", "-f", "image2", "-update", "1", "-atomic_writing", "1", "-y", outputs.LiveFramePath,
        ]);
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
        var slaves = new List<string>(2);
        if (outputs.Recording is { } rec)
        {
            // flush_packets=1: without it the MP4 header and the first fragments sit in ffmpeg's I/O buffer, so the
            // segment being written when ffmpeg is killed holds only 'ftyp' and is unplayable. The ':' between the two
            // segment_format_options entries is escaped for the tee parser (values inside [...] are parsed twice).
            // Matroska writes each cluster as it completes (flush_packets=1 again keeps it out of the I/O buffer), so a
            // killed segment plays up to its last cluster; the cues and duration it lacks are optional to players.
            var (muxer, muxerOptions) = rec.Format switch
            {
                RecordingFormats.Fmp4 => ("mp4", ":segment_format_options=movflags=frag_keyframe+empty_moov+default_base_moof\\\\:flush_packets=1"),
                RecordingFormats.Mkv => ("matroska", ":segment_format_options=flush_packets=1"),
                _ => ("mp4", string.Empty),
            };
            // '%' is the segment muxer's number placeholder: a literal one in the directory must be doubled.
            var pattern = Path.Combine(
                rec.Directory.Replace("%", "%%", StringComparison.Ordinal), rec.TempPrefix + "%05d" + RecordingFormats.FileExtension(rec.Format));
            slaves.Add(
                "[f=segment:segment_time=" + Invariant(options.SegmentDuration.TotalSeconds) +
                ":segment_format=" + muxer + ":reset_timestamps=1" + muxerOptions + "]" + EscapeTee(pattern));
        }

        if (outputs.HlsDirectory is { } hls)
        {
            // onfail=ignore: a failing HLS output must never end a recording. epoch-based sequence numbers and
            // discont_start let a player continue across a process restart.
            slaves.Add(
                "[f=hls:onfail=ignore:hls_time=" + Invariant(options.HlsSegmentSeconds) +
                ":hls_list_size=" + Invariant(options.HlsListSize) +
                ":hls_flags=delete_segments+temp_file+independent_segments+discont_start:hls_start_number_source=epoch" +
                ":bsfs/v=dump_extra=freq=keyframe]" + EscapeTee(Path.Combine(hls, PlaylistName)));
        }

        return string.Join('|', slaves);
    }

    private static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text;
using CameraService.Abstractions;
using CameraService.Plugins.Shared;
using CliWrap;
using CliWrap.Buffered;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// Size rotation for the MediaMTX backend (<c>Recording:SegmentMaxSize</c>). MediaMTX cuts segments by time only and
/// has no size limit, and toggling <c>record</c> to cut would lose the frames until the next keyframe; so a segment
/// that MediaMTX completed larger than the limit is split, losslessly (stream copy), at keyframes into parts that are
/// each within the limit. The parts are named like MediaMTX's segments (<c>&lt;path&gt;_&lt;start&gt;.mp4</c>, the
/// start of each part), the first takes the original's name, so MediaMTX's recordings list, the media store and the
/// session's file list see them as segments. A crash in the middle leaves the original (and perhaps a copy of some of
/// its parts): nothing is lost, at worst something is twice.
/// </summary>
internal sealed class SegmentSplitter(string ffmpegPath, TimeProvider time)
{
    /// <summary>Files found not to be splittable (one keyframe interval over the limit), by path, with their size then.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _whole = new(StringComparer.Ordinal);

    /// <summary>Room kept under the limit for a part's own header (ftyp, moov) …</summary>
    private const long HeaderReserve = 8 * 1024;

    /// <summary>… and, per byte of media, its fragment boxes (moof: about 1–2 % at camera bitrates).</summary>
    private const double FragmentOverhead = 0.04;

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    /// <summary>ffprobe, found beside ffmpeg (<c>Plugins:MediaMtx:FfmpegPath</c>).</summary>
    private string FfprobePath => Path.GetFileName(ffmpegPath) == ffmpegPath
        ? ffmpegPath.Replace("ffmpeg", "ffprobe", StringComparison.Ordinal)
        : Path.Combine(Path.GetDirectoryName(ffmpegPath)!, Path.GetFileName(ffmpegPath).Replace("ffmpeg", "ffprobe", StringComparison.Ordinal));

    /// <summary>
    /// Splits <paramref name="file"/> when it is larger than <paramref name="maxBytes"/> and answers the files that hold
    /// its media afterwards, in order (the file itself when it is within the limit or cannot be split).
    /// </summary>
    /// <param name="file">A completed segment.</param>
    /// <param name="maxBytes">The limit; 0 for none.</param>
    /// <param name="partName">The file name of a part that starts at the given time.</param>
    /// <param name="fileStart">When the segment starts (from its name).</param>
    /// <param name="cancellationToken">Cancels the split (the original is then kept as it is).</param>
    public async Task<IReadOnlyList<string>> SplitAsync(string file, long maxBytes, Func<DateTimeOffset, string> partName, DateTimeOffset fileStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partName);
        var length = File.Exists(file) ? new FileInfo(file).Length : 0;
        if (maxBytes <= 0 || length <= maxBytes || (_whole.TryGetValue(file, out var known) && known == length))
        {
            return [file];
        }

        var gops = await ReadGopsAsync(file, cancellationToken).ConfigureAwait(false);
        var cuts = PlanCuts(gops, (long)((maxBytes - HeaderReserve) / (1 + FragmentOverhead)));
        if (cuts.Count == 0)
        {
            _whole[file] = length;
            return [file];
        }

        var dir = Path.GetDirectoryName(file)!;
        var work = Path.Combine(dir, ".split-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var args = new List<string>
            {
                "-hide_banner", "-nostdin", "-loglevel", "error", "-i", file, "-map", "0", "-c", "copy",
                "-f", "segment", "-segment_times", string.Join(',', cuts.Select(c => Invariant(Math.Max(0, c.Seconds - 0.001)))),
                "-segment_format", "mp4", "-segment_format_options", "movflags=frag_keyframe+empty_moov+default_base_moof",
                "-reset_timestamps", "1", Path.Combine(work, "part%04d.mp4"),
            };
            var run = await FfmpegOneShot.RunAsync(ffmpegPath, args, RunTimeout, time, "ffmpeg is needed to split segments by size; install ffmpeg or set Plugins:MediaMtx:FfmpegPath.", null, cancellationToken).ConfigureAwait(false);
            var parts = Directory.GetFiles(work, "part*.mp4").Order(StringComparer.Ordinal).ToList();
            if (!run.Succeeded || parts.Count != cuts.Count + 1 || parts.Any(p => new FileInfo(p).Length == 0))
            {
                throw new DependencyFailedException("ffmpeg", $"could not split {Path.GetFileName(file)} by size: {run.LastError}; the segment is kept whole.");
            }

            // Every part but the first gets a new name first; the first then replaces the original in one rename.
            var result = new List<string> { file };
            for (var i = 1; i < parts.Count; i++)
            {
                var target = Path.Combine(dir, partName(fileStart + TimeSpan.FromSeconds(cuts[i - 1].Seconds)));
                File.Move(parts[i], target, overwrite: true);
                result.Add(target);
            }

            File.Move(parts[0], file, overwrite: true);
            return result;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>A keyframe interval: where it starts (seconds from the file's start) and the bytes of its packets.</summary>
    internal readonly record struct Gop(double Seconds, long Bytes);

    /// <summary>
    /// Where to cut so that the packets between two cuts fit <paramref name="budget"/>: greedy, at keyframes; a keyframe
    /// interval larger than the budget alone makes a part of its own (a part holds at least one).
    /// </summary>
    internal static IReadOnlyList<Gop> PlanCuts(IReadOnlyList<Gop> gops, long budget)
    {
        ArgumentNullException.ThrowIfNull(gops);
        var cuts = new List<Gop>();
        long part = 0;
        for (var i = 0; i < gops.Count; i++)
        {
            if (i > 0 && part > 0 && part + gops[i].Bytes > budget)
            {
                cuts.Add(gops[i]);
                part = 0;
            }

            part += gops[i].Bytes;
        }

        return cuts;
    }

    /// <summary>The keyframe intervals of the file's first video stream, with every stream's packets in them (ffprobe).</summary>
    private async Task<IReadOnlyList<Gop>> ReadGopsAsync(string file, CancellationToken cancellationToken)
    {
        BufferedCommandResult probe;
        try
        {
            probe = await Cli.Wrap(FfprobePath)
                .WithArguments(["-v", "error", "-show_entries", "packet=codec_type,pts_time,size,flags", "-of", "csv=p=0", file])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new DependencyFailedException("ffprobe", $"ffprobe ({FfprobePath}, beside Plugins:MediaMtx:FfmpegPath) is needed to split segments by size; install ffmpeg.", ex);
        }

        if (probe.ExitCode != 0)
        {
            throw new DependencyFailedException("ffprobe", $"could not read {Path.GetFileName(file)}: {probe.StandardError.Trim()}");
        }

        return ParseGops(probe.StandardOutput);
    }

    /// <summary>Parses ffprobe's <c>codec_type,pts_time,size,flags</c> lines (demux order) into keyframe intervals.</summary>
    internal static IReadOnlyList<Gop> ParseGops(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var gops = new List<Gop>();
        double? origin = null;
        long leading = 0;
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(',');
            if (f.Length < 4 || !long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var size))
            {
                continue;
            }

            // ffmpeg writes the parts with timestamps from the file's earliest packet: cut times count from there.
            var hasPts = double.TryParse(f[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var pts);
            if (hasPts)
            {
                origin = Math.Min(origin ?? pts, pts);
            }

            if (hasPts && f[0] == "video" && f[3].Contains('K', StringComparison.Ordinal))
            {
                // Packets before the first keyframe count towards it (they go into the first part).
                gops.Add(new Gop(pts, gops.Count == 0 ? leading : 0));
            }

            if (gops.Count == 0)
            {
                leading += size;
                continue;
            }

            gops[^1] = gops[^1] with { Bytes = gops[^1].Bytes + size };
        }

        var start = origin ?? 0;
        return gops.Select((g, i) => i == 0 ? g with { Seconds = 0 } : g with { Seconds = g.Seconds - start }).ToList();
    }

    private static string Invariant(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}

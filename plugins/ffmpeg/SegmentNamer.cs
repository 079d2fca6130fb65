using System.Globalization;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// Gives recording segments their final names. ffmpeg's segment muxer cannot put microseconds in a file name
/// (strftime has none), so it writes hidden, numbered files (<c>.ffmpeg-&lt;cameraId&gt;-&lt;run&gt;-00000.mp4</c>
/// or <c>.mkv</c>) and this class renames each one, as soon as it appears, to <c>&lt;cameraId&gt;_yyyy-MM-dd_HH-mm-ss-ffffff.mp4</c>
/// (the temporary file's extension is kept)
/// (UTC, the file's creation time). Renaming an open file is safe on Linux: ffmpeg keeps writing through its
/// descriptor. Names are strictly increasing per camera, so two segments never collide.
/// </summary>
internal sealed class SegmentNamer(string cameraId, ILogger logger)
{
    public const string TempMarker = ".ffmpeg-";
    private readonly Lock _sync = new();
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>The hidden prefix of all temporary segment files of a camera.</summary>
    public string CameraTempPrefix => TempMarker + cameraId + "-";

    /// <summary>Extensions of the segments ffmpeg writes (<see cref="RecordingFormats.FileExtension"/>).</summary>
    private static readonly string[] Extensions = [".mp4", ".mkv"];

    /// <summary>The final name of a segment that started at <paramref name="start"/>; <paramref name="extension"/> with its dot.</summary>
    public static string FinalName(string cameraId, DateTimeOffset start, string extension = ".mp4") =>
        cameraId + "_" + start.UtcDateTime.ToString("yyyy-MM-dd_HH-mm-ss-ffffff", CultureInfo.InvariantCulture) + extension;

    /// <summary>Renames the temporary segments with <paramref name="tempPrefix"/> in <paramref name="directory"/>; returns the new full paths, oldest first.</summary>
    public IReadOnlyList<string> Sweep(string directory, string tempPrefix, TimeProvider time)
    {
        lock (_sync)
        {
            string[] temps;
            try
            {
                // Both containers: a service killed while recording MKV leaves .mkv segments to recover.
                temps = Directory.GetFiles(directory, tempPrefix + "*")
                    .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.Ordinal))
                    .ToArray();
            }
            catch (DirectoryNotFoundException)
            {
                return [];
            }

            Array.Sort(temps, StringComparer.Ordinal);
            var renamed = new List<string>(temps.Length);
            foreach (var temp in temps)
            {
                var created = new DateTimeOffset(File.GetCreationTimeUtc(temp), TimeSpan.Zero);
                var now = time.GetUtcNow();
                if (MoveToFinal(directory, temp, created > now || created.Year < 2000 ? now : created) is { } target)
                {
                    renamed.Add(target);
                }
            }

            return renamed;
        }
    }

    /// <summary>
    /// Gives one segment (written under the hidden name <paramref name="temp"/>) its final name for a segment that started at
    /// <paramref name="start"/>; returns the new full path, or null when it could not be renamed (logged).
    /// </summary>
    public string? Claim(string temp, DateTimeOffset start)
    {
        lock (_sync)
        {
            return MoveToFinal(Path.GetDirectoryName(temp)!, temp, start);
        }
    }

    private string? MoveToFinal(string directory, string temp, DateTimeOffset start)
    {
        try
        {
            if (start <= _last)
            {
                start = _last.AddTicks(10);
            }

            var extension = Path.GetExtension(temp);
            var target = Path.Combine(directory, FinalName(cameraId, start, extension));
            while (File.Exists(target))
            {
                start = start.AddTicks(10);
                target = Path.Combine(directory, FinalName(cameraId, start, extension));
            }

            File.Move(temp, target);
            _last = start;
            return target;
        }
        catch (IOException ex)
        {
            Log.SegmentRenameFailed(logger, ex, Path.GetFileName(temp));
        }
        catch (UnauthorizedAccessException ex)
        {
            Log.SegmentRenameFailed(logger, ex, Path.GetFileName(temp));
        }

        return null;
    }
}

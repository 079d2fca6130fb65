using System.Globalization;
using System.Text.Json.Nodes;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// A recording running in MediaMTX: where its segments go, which files were there before it started, the size limit of
/// a segment (0 for none, see <see cref="SegmentSplitter"/>), and whether the audio track comes out of its segments at
/// stop (<c>audio: false</c> on a camera with audio, see <see cref="SegmentAudioRemover"/>).
/// </summary>
internal sealed record RecordingSession(
    string CameraId, string? SessionId, string Format, DateTimeOffset StartTime, string Directory, IReadOnlySet<string>? Preexisting, long MaxBytes = 0, bool RemoveAudio = false)
{
    public PersistedRecording ToPersisted() => new(SessionId, Format, StartTime, MaxBytes, RemoveAudio);
}

/// <summary>
/// Finds the segment files of a recording: what MediaMTX lists for the path plus what is in the recording directory,
/// named by MediaMTX's <c>%path_%Y-%m-%d_%H-%M-%S-%f</c> pattern and newer than the recording's start.
/// </summary>
internal sealed class SegmentCollector(MediaMtxClient client, TimeProvider time, SegmentSplitter splitter)
{
    // MediaMTX opens the first segment a little after the config change that starts the recording.
    private static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _withMedia = new(StringComparer.Ordinal);

    /// <summary>The segment files already in <paramref name="dir"/> (so a new recording can tell its own apart).</summary>
    public static IEnumerable<string> ListSegmentFiles(string dir, string cameraId) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, cameraId + "_*.mp4").Where(f => ParseSegmentStart(cameraId, f) != null)
            : [];

    /// <summary>
    /// MediaMTX v1.20.1 answers a config change before applying it; the last segment is final only once the change is
    /// in effect, so poll (briefly) until the path reads back with record off before collecting the files.
    /// </summary>
    public async Task WaitRecordOffAsync(string cameraId, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(3);
        while (true)
        {
            JsonObject? conf;
            try
            {
                conf = await client.GetPathConfigAsync(cameraId, ct).ConfigureAwait(false);
            }
            catch (DependencyFailedException)
            {
                return;
            }

            if (conf?["record"]?.GetValue<bool>() != true || time.GetUtcNow() >= deadline)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The session's segment files: what MediaMTX lists for the path plus what is in the directory, newer than the
    /// start, without segments that hold no media. <paramref name="final"/>: the recording has ended (record is off),
    /// so its newest segment is complete too.
    /// </summary>
    public async Task<IReadOnlyList<RecordedFile>> CollectAsync(RecordingSession s, CancellationToken ct, bool final = false)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            var rec = await client.GetRecordingAsync(s.CameraId, ct).ConfigureAwait(false);
            foreach (var seg in rec?.Segments ?? [])
            {
                if (DateTimeOffset.TryParse(seg.Start, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start) && start >= s.StartTime - StartTolerance)
                {
                    // The tolerance alone would also take the previous recording's last segment when a start follows a
                    // stop within it: what was on disk before the start is never this session's.
                    var file = Path.Combine(s.Directory, SegmentFileName(s.CameraId, start));
                    if (File.Exists(file) && s.Preexisting?.Contains(file) != true)
                    {
                        names.Add(file);
                    }
                }
            }
        }
        catch (DependencyFailedException)
        {
            // The directory scan below still finds the files.
        }

        foreach (var file in ListSegmentFiles(s.Directory, s.CameraId))
        {
            var isNew = s.Preexisting is { } pre
                ? !pre.Contains(file)
                : ParseSegmentStart(s.CameraId, file) is { } start && start >= s.StartTime - StartTolerance;
            if (isNew)
            {
                names.Add(file);
            }
        }

        return DropEmpty(names.ToList(), final).Select(f => new FileInfo(f)).Where(f => f.Exists).Select(f => new RecordedFile { Path = f.FullName, Size = f.Length }).ToList();
    }

    /// <summary>
    /// Removes the session's complete segments that hold no media (MediaMTX stopped or killed within a segment's first
    /// part leaves the init only; see <see cref="Fmp4Boxes"/>): listed, they would be files that no player can play.
    /// The newest segment of a running recording may still be getting its first part and is left alone.
    /// </summary>
    private IEnumerable<string> DropEmpty(List<string> files, bool final)
    {
        for (var i = 0; i < files.Count; i++)
        {
            var complete = final || i < files.Count - 1;
            if (complete && !_withMedia.ContainsKey(files[i]))
            {
                if (Fmp4Boxes.HasMedia(files[i]))
                {
                    // Complete and with media: never looked at again (progress asks for the files every few seconds).
                    _withMedia.TryAdd(files[i], 0);
                    if (_withMedia.Count > 100_000)
                    {
                        _withMedia.Clear();
                    }

                    yield return files[i];
                    continue;
                }

                try
                {
                    File.Delete(files[i]);
                }
                catch (IOException)
                {
                    // Still not listed: it holds nothing to play.
                }

                continue;
            }

            yield return files[i];
        }
    }

    /// <summary>
    /// Size rotation: splits the session's completed segments that are larger than its limit (all of them once
    /// <paramref name="final"/>, after record is off; otherwise all but the newest, which MediaMTX is still writing) and
    /// answers the file list with the parts in place of each split segment.
    /// </summary>
    public async Task<IReadOnlyList<RecordedFile>> RotateAsync(RecordingSession s, IReadOnlyList<RecordedFile> files, bool final, CancellationToken ct)
    {
        if (s.MaxBytes <= 0 || files.All(f => f.Size <= s.MaxBytes))
        {
            return files;
        }

        var result = new List<RecordedFile>(files.Count + 4);
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var complete = final || i < files.Count - 1;
            if (!complete || f.Size <= s.MaxBytes || ParseSegmentStart(s.CameraId, f.Path) is not { } start)
            {
                result.Add(f);
                continue;
            }

            var parts = await splitter.SplitAsync(f.Path, s.MaxBytes, t => SegmentFileName(s.CameraId, t), start, ct).ConfigureAwait(false);
            result.AddRange(parts.Select(p => new RecordedFile { Path = p, Size = new FileInfo(p).Length }));
        }

        return result;
    }

    /// <summary>MediaMTX names a segment with the start's own clock fields (server local time).</summary>
    private static string SegmentFileName(string cameraId, DateTimeOffset start) =>
        cameraId + "_" + start.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture) + "-" +
        (start.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture) + ".mp4";

    private static DateTimeOffset? ParseSegmentStart(string cameraId, string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (!name.StartsWith(cameraId + "_", StringComparison.Ordinal) ||
            !DateTime.TryParseExact(name[(cameraId.Length + 1)..], "yyyy-MM-dd_HH-mm-ss-ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local))
        {
            return null;
        }

        return new DateTimeOffset(local);
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace MediaMtxEmulator;

/// <summary>
/// Media mode: real fMP4 segments, recorded continuously like MediaMTX records a stream that already flows — one ffmpeg
/// per recording (<see cref="Start"/> … <see cref="Stop"/>), not per segment (a new encoder per segment lost its
/// start-up time, 2–4 s on a loaded box, from every segment). ffmpeg encodes testsrc2 in real time (plus a 1 kHz tone in
/// <paramref name="audioCodec"/> when the path's publisher publishes audio) — or, for a path whose source is an RTSP
/// URL, copies that stream's video and audio, as MediaMTX records every track it pulls — and writes fragmented MP4 to
/// its stdout: fragments of one 1 s GOP (testsrc2 at 15 fps, <c>-g 15</c>), like MediaMTX's 1 s parts. Its media time 0
/// is its launch (the start-up gap filled, see <see cref="Launch"/>), as a stream that already flows has no start-up.
/// <para>
/// The recorder reads the stream box by box (<see cref="Mp4BoxReader"/>), keeps the init segment (ftyp + moov) and
/// writes each segment file as the init plus whole fragments, each flushed as it arrives, so a kill of the emulator
/// loses only the fragment in progress. As in MediaMTX (<c>internal/recorder/format_fmp4_part.go</c>), a segment's file
/// is created with its first part (never an init-only file), named by the segment's start (the recording's start plus
/// the media time before it), its timestamps start at 0 (tfdt rebased), and a segment is cut at the first fragment
/// starting with a keyframe once <c>recordSegmentDuration</c> of media is in it. A killed ffmpeg is started again at
/// once and the recording continues in a new segment (MediaMTX keeps recording the path).
/// </para>
/// </summary>
internal sealed class MediaRecorder(
    EmulatorState state, string pathName, RecordPath recordPath, TimeSpan segmentDuration, string? pulledSource = null, string? audioCodec = null) : IRecorder
{
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    private readonly Lock _sync = new();
    private readonly ManualResetEventSlim _stopSignal = new();
    private readonly Queue<(string Hook, string File, TimeSpan? Duration)> _deferred = new();
    private Process? _ffmpeg;
    private Thread? _pump;
    private volatile bool _stopping;
    private volatile string? _lastError;

    // The open segment: touched by the pump thread only.
    private FileStream? _file;
    private string? _path;
    private double _segmentFirst;
    private double _segmentEnd;
    private double _rebase;

    public void Start()
    {
        Process first;
        DateTimeOffset startedAt;
        lock (_sync)
        {
            (first, startedAt) = Launch();
            _ffmpeg = first;
        }

        _pump = new Thread(() => Run(first, startedAt)) { IsBackground = true, Name = "emulator recorder " + pathName };
        _pump.Start();
    }

    public void Advance(DateTimeOffset now)
    {
        // Media mode runs on the wall clock; simulated time does not cut real segments.
    }

    /// <summary>'q' to ffmpeg (it writes what it has), the rest of its stream into the last segment, then its complete event.</summary>
    public void Stop()
    {
        Process? p;
        lock (_sync)
        {
            _stopping = true;
            p = _ffmpeg;
        }

        _stopSignal.Set();
        try
        {
            p?.StandardInput.Write('q');
            p?.StandardInput.Flush();
            p?.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // ffmpeg already exited (or is being replaced): the pump closes what it wrote.
        }

        if (_pump is { } pump && !pump.Join(StopBound))
        {
            Kill(p);
            pump.Join(StopBound);
        }

        // Events the pump could not hand over while our caller held the gate, in their order.
        lock (state.Gate)
        {
            lock (_deferred)
            {
                while (_deferred.TryDequeue(out var e))
                {
                    state.SegmentEvent(pathName, e.Hook, e.File, e.Duration);
                }
            }
        }
    }

    /// <summary>Starts an ffmpeg; answers it and the moment its media starts (its first frame stands for that moment).</summary>
    private (Process Process, DateTimeOffset Start) Launch()
    {
        var start = state.Now;
        var startMicros = state.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        var psi = new ProcessStartInfo(state.Options.FfmpegPath)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // MediaMTX records a stream that already flows; a new ffmpeg's first frame comes only after its start-up (0.3 s
        // idle, 1-2 s on a loaded box), which would be lost from every recording start and restart for the emulator's
        // reason. So the first frame (and the tone's first sample) is stamped with the time since the launch — clipped to
        // 5 s — and the gap before it is filled by repeating that frame (fps start_time=0) and with silence (aresample
        // first_pts=0): media time 0 is the launch, like a stream that was there. RTCSTART: the wall clock (µs) when the
        // filter starts. A pulled source is copied as it comes and has no such fill.
        var stamp = string.Create(CultureInfo.InvariantCulture, $"'PTS-STARTPTS+clip((RTCSTART-{startMicros})/1000000,0,5)/TB'");
        string[] audio = audioCodec is null
            ? []
            : ["-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-map", "0:v:0", "-map", "1:a:0",
                "-af", $"asetpts={stamp},aresample=async=1:first_pts=0", "-c:a", audioCodec];
        string[] input = pulledSource is null
            ? ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", .. audio, "-vf", $"setpts={stamp},fps=15:start_time=0",
                "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "15"]
            // A pulled stream's fragments are its GOPs, bounded to 1 s like MediaMTX's parts (a segment is still cut
            // only in front of a keyframe).
            : ["-rtsp_transport", "tcp", "-i", pulledSource, "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "copy", "-frag_duration", "1000000"];
        foreach (var a in (string[])
        [
            "-hide_banner", "-loglevel", "error", "-nostats", .. input,
            "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-flush_packets", "1", "pipe:1",
        ])
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        _lastError = null;
        p.ErrorDataReceived += (_, e) => _lastError = e.Data ?? _lastError;
        p.BeginErrorReadLine();
        return (p, start);
    }

    /// <summary>The pump thread: one ffmpeg's stream into segment files, then (unless stopping) the next ffmpeg's.</summary>
    private void Run(Process ffmpeg, DateTimeOffset startedAt)
    {
        while (true)
        {
            var wrote = Pump(ffmpeg, startedAt);
            if (!ffmpeg.WaitForExit(StopBound))
            {
                Kill(ffmpeg);
            }

            var code = ffmpeg.HasExited ? ffmpeg.ExitCode : -1;
            CloseSegment();
            lock (_sync)
            {
                if (_ffmpeg == ffmpeg)
                {
                    _ffmpeg = null;
                }
            }

            ffmpeg.Dispose();
            if (_stopping)
            {
                return;
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"emulator: the recorder of path {pathName}: ffmpeg ended (exit {code}: {_lastError ?? "no message"}); recording continues in a new segment"));
            if (!wrote && _stopSignal.Wait(TimeSpan.FromSeconds(1)))
            {
                return; // a source that fails at once is tried once a second, not in a tight loop
            }

            lock (_sync)
            {
                if (_stopping)
                {
                    return;
                }

                try
                {
                    (ffmpeg, startedAt) = Launch();
                    _ffmpeg = ffmpeg;
                }
                catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
                {
                    Console.Error.WriteLine($"emulator: the recorder of path {pathName} cannot restart ffmpeg: {ex.Message}");
                    return;
                }
            }
        }
    }

    /// <summary>Reads one ffmpeg's fMP4 stream to its end; true when at least one fragment was written.</summary>
    private bool Pump(Process ffmpeg, DateTimeOffset startedAt)
    {
        var reader = new Mp4BoxReader(ffmpeg.StandardOutput.BaseStream);
        byte[]? ftyp = null, moof = null;
        Mp4Init? init = null;
        double? runStart = null;
        var wrote = false;
        while (reader.Next() is { } box)
        {
            switch (box.Type)
            {
                case "ftyp":
                    ftyp = box.Bytes;
                    break;
                case "moov":
                    try
                    {
                        init = Mp4Init.Parse(ftyp ?? [], box.Bytes);
                    }
                    catch (ArgumentOutOfRangeException)
                    {
                        Console.Error.WriteLine($"emulator: the recorder of path {pathName} cannot read ffmpeg's init segment");
                    }

                    break;
                case "moof":
                    moof = box.Bytes;
                    break;
                case "mdat" when init != null && moof != null:
                    Mp4Fragment fragment;
                    try
                    {
                        fragment = Mp4Fragment.Parse(init, moof, box.Bytes);
                    }
                    catch (ArgumentOutOfRangeException)
                    {
                        // A box shorter than its fields: never from ffmpeg; not worth ending the emulator for.
                        Console.Error.WriteLine($"emulator: the recorder of path {pathName} skipped a malformed fragment");
                        continue;
                    }
                    finally
                    {
                        moof = null;
                    }

                    runStart ??= fragment.Start;
                    Write(init, fragment, startedAt.AddSeconds(fragment.Start - runStart.Value));
                    wrote = true;
                    break;
                default:
                    // mfra (ffmpeg's index at the end, whose offsets are the whole stream's), free, …: not segment content.
                    break;
            }
        }

        return wrote;
    }

    private void Write(Mp4Init init, Mp4Fragment fragment, DateTimeOffset wallStart)
    {
        if (_file != null && segmentDuration > TimeSpan.Zero && fragment.StartsWithKeyframe && fragment.Start - _segmentFirst >= segmentDuration.TotalSeconds)
        {
            CloseSegment();
        }

        try
        {
            if (_file is null)
            {
                var path = recordPath.Encode(pathName, wallStart);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                _path = path;
                _segmentFirst = fragment.Start;
                _rebase = fragment.EarliestTrackStart;
                Emit("runOnRecordSegmentCreate", path, null);
                _file.Write(init.Bytes);
            }

            fragment.WriteRebased(_file, _rebase);
            _file.Flush();
            _segmentEnd = fragment.Start + fragment.Duration;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Disk full or the directory gone: like MediaMTX, the segment ends here; the next fragment tries a new one.
            Console.Error.WriteLine($"emulator: the recorder of path {pathName} cannot write {_path}: {ex.Message}");
            CloseSegment();
        }
    }

    private void CloseSegment()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            _file.Dispose();
        }
        catch (IOException)
        {
            // Its last write failed already; what reached the file stays.
        }

        _file = null;
        Emit("runOnRecordSegmentComplete", _path!, TimeSpan.FromSeconds(Math.Max(0, _segmentEnd - _segmentFirst)));
    }

    /// <summary>
    /// A segment event under the emulator's gate. <see cref="Stop"/> holds the gate while it waits for this thread, so
    /// once stopping, events are queued for it to send instead (in order: after the first queued one, all are).
    /// </summary>
    private void Emit(string hook, string file, TimeSpan? duration)
    {
        while (true)
        {
            lock (_deferred)
            {
                if (_stopping || _deferred.Count > 0)
                {
                    _deferred.Enqueue((hook, file, duration));
                    return;
                }
            }

            if (state.Gate.TryEnter(50))
            {
                try
                {
                    state.SegmentEvent(pathName, hook, file, duration);
                }
                finally
                {
                    state.Gate.Exit();
                }

                return;
            }
        }
    }

    private static void Kill(Process? p)
    {
        try
        {
            p?.Kill(entireProcessTree: true);
            p?.WaitForExit(2000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
            // Gone already.
        }
    }
}

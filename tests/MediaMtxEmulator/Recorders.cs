using System.Diagnostics;

namespace MediaMtxEmulator;

/// <summary>The recorder of one runtime path (exists while record is on and a publisher is there).</summary>
internal interface IRecorder
{
    void Start();

    void Advance(DateTimeOffset now);

    void Stop();
}

/// <summary>
/// Simulation mode: segment files named by recordPath, cut at recordSegmentDuration as the side channel advances
/// time. The content is a placeholder (1 KiB per simulated second), not media.
/// </summary>
internal sealed class SimulatedRecorder(EmulatorState state, string pathName, RecordPath recordPath, TimeSpan segmentDuration) : IRecorder
{
    private DateTimeOffset _segmentStart;
    private string? _file;

    public void Start() => Open(state.Now);

    private void Open(DateTimeOffset start)
    {
        _segmentStart = start;
        _file = recordPath.Encode(pathName, start);
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        File.WriteAllBytes(_file, []);
        state.SegmentEvent(pathName, "runOnRecordSegmentCreate", _file, null);
    }

    public void Advance(DateTimeOffset now)
    {
        while (_file != null && segmentDuration > TimeSpan.Zero && now - _segmentStart >= segmentDuration)
        {
            Grow(segmentDuration);
            Complete(segmentDuration);
            Open(_segmentStart + segmentDuration);
        }

        Grow(now - _segmentStart);
    }

    private void Grow(TimeSpan elapsed)
    {
        if (_file is null || !File.Exists(_file))
        {
            return;
        }

        var want = (long)Math.Min(elapsed.TotalSeconds * 1024, 1 << 20);
        var info = new FileInfo(_file);
        if (info.Length < want)
        {
            using var f = new FileStream(_file, FileMode.Append);
            f.Write(new byte[want - info.Length]);
        }
    }

    private void Complete(TimeSpan duration)
    {
        if (_file != null)
        {
            state.SegmentEvent(pathName, "runOnRecordSegmentComplete", _file, duration);
        }
    }

    public void Stop()
    {
        Complete(state.Now - _segmentStart);
        _file = null;
    }
}

/// <summary>
/// Media mode: real fMP4 segments written by ffmpeg from testsrc2 in real time, plus a 1 kHz tone in
/// <paramref name="audioCodec"/> when the path's publisher publishes audio — or, for a path whose source is an RTSP URL,
/// from that stream, video and audio copied, as MediaMTX records every track it pulls — one ffmpeg per segment, cut at
/// recordSegmentDuration (wall clock). Stopped with 'q' on stdin so the file is finalized.
/// </summary>
internal sealed class MediaRecorder(
    EmulatorState state, string pathName, RecordPath recordPath, TimeSpan segmentDuration, string? pulledSource = null, string? audioCodec = null) : IRecorder
{
    private Process? _ffmpeg;
    private string? _file;
    private DateTimeOffset _segmentStart;
    private long _segmentStartTimestamp;
    private ITimer? _timer;

    public void Start()
    {
        Open(state.Now);
        _timer = state.Options.TimeProvider.CreateTimer(_ => Tick(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    private void Tick()
    {
        lock (state.Gate)
        {
            if (_file != null && segmentDuration > TimeSpan.Zero &&
                state.Options.TimeProvider.GetElapsedTime(_segmentStartTimestamp) >= segmentDuration)
            {
                var next = state.Now;
                Finish();
                Open(next);
            }
        }
    }

    private void Open(DateTimeOffset start)
    {
        _segmentStart = start;
        _segmentStartTimestamp = state.Options.TimeProvider.GetTimestamp();
        _file = recordPath.Encode(pathName, start);
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var psi = new ProcessStartInfo(state.Options.FfmpegPath)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        string[] audio = audioCodec is null
            ? []
            : ["-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-map", "0:v:0", "-map", "1:a:0", "-c:a", audioCodec];
        string[] input = pulledSource is null
            ? ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", .. audio,
                "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "15"]
            : ["-rtsp_transport", "tcp", "-i", pulledSource, "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "copy"];
        foreach (var a in (string[])
        [
            "-hide_banner", "-loglevel", "error", "-y", .. input,
            // Like MediaMTX, which writes a part (recordPartDuration, 1 s) as soon as it is complete: fragments of at
            // most 1 s reach the file at once, so a killed emulator loses at most the part in progress.
            "-flush_packets", "1", "-frag_duration", "1000000",
            "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", _file,
        ])
        {
            psi.ArgumentList.Add(a);
        }

        _ffmpeg = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        _ffmpeg.ErrorDataReceived += (_, _) => { };
        _ffmpeg.OutputDataReceived += (_, _) => { };
        _ffmpeg.BeginErrorReadLine();
        _ffmpeg.BeginOutputReadLine();
        state.SegmentEvent(pathName, "runOnRecordSegmentCreate", _file, null);
    }

    private void Finish()
    {
        var p = _ffmpeg;
        var file = _file;
        _ffmpeg = null;
        _file = null;
        if (p is null)
        {
            return;
        }

        try
        {
            p.StandardInput.Write('q');
            p.StandardInput.Flush();
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // ffmpeg already exited; nothing to finalize.
        }

        if (!p.WaitForExit(5000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(2000);
        }

        p.Dispose();
        state.SegmentEvent(pathName, "runOnRecordSegmentComplete", file!, state.Now - _segmentStart);
    }

    public void Advance(DateTimeOffset now)
    {
        // Media mode runs on the wall clock; simulated time does not cut real segments.
    }

    public void Stop()
    {
        _timer?.Dispose();
        _timer = null;
        Finish();
    }
}

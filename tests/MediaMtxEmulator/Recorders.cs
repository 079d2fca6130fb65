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

namespace CameraService.Plugins.Ffmpeg;

/// <summary>Who takes a camera feed's keyframe intervals: a recording (<see cref="RecordingWriter"/>) or a decoder (<see cref="FeedStream"/>).</summary>
internal interface IFeedListener
{
    /// <summary>Called by the feed, under its lock, so it must not block: one more interval.</summary>
    void Enqueue(Gop gop);

    /// <summary>Called by the feed: nothing more comes.</summary>
    void Complete();
}

/// <summary>
/// The encoded stream of one camera process (MPEG-TS on its standard output) as the service sees it: split into keyframe
/// intervals, the latest ones kept as the pre-event buffer, each one handed to the recordings that listen. Its arrival
/// is the process's progress (the first keyframe makes it ready, silence makes it stall).
/// </summary>
internal sealed class CameraFeed(TimeProvider time, TimeSpan preEventBuffer)
{
    /// <summary>How long the smallest arrival-minus-PTS is remembered (two windows: 30–60 s).</summary>
    private static readonly TimeSpan OffsetWindow = TimeSpan.FromSeconds(30);

    private readonly Lock _sync = new();
    private readonly TsDemux _demux = new();
    private readonly GopRing _ring = new(preEventBuffer);
    private readonly List<IFeedListener> _listeners = [];
    private readonly long _epoch = time.GetTimestamp();
    private TimeSpan? _lastPts;
    private TimeSpan _bestOffset = TimeSpan.MaxValue;
    private TimeSpan _previousBestOffset = TimeSpan.MaxValue;
    private TimeSpan _windowStart;
    private bool _ended;

    /// <summary>PAT and PMT of the stream, null before the first keyframe.</summary>
    public byte[]? Header
    {
        get
        {
            lock (_sync)
            {
                return _demux.Header;
            }
        }
    }

    /// <summary>Whether the stream carries audio.</summary>
    public bool HasAudio
    {
        get
        {
            lock (_sync)
            {
                return _demux.AudioPid >= 0;
            }
        }
    }

    /// <summary>Bytes held by the pre-event buffer (diagnostics, tests).</summary>
    public long BufferedBytes
    {
        get
        {
            lock (_sync)
            {
                return _ring.Bytes;
            }
        }
    }

    /// <summary>Reads the process's standard output until it ends.</summary>
    public async Task RunAsync(FfmpegProcess process, Stream output)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new byte[64 * 1024];
        var completed = new List<Gop>();
        try
        {
            while (true)
            {
                var n = await output.ReadAsync(buffer).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                process.NoteProgress();
                bool started;
                lock (_sync)
                {
                    _demux.Push(buffer.AsSpan(0, n), time.GetUtcNow(), completed.Add);
                    started = _demux.CurrentStart is not null;
                    NoteArrival();
                    foreach (var gop in completed)
                    {
                        _ring.Add(gop);
                        foreach (var listener in _listeners)
                        {
                            listener.Enqueue(gop);
                        }
                    }
                }

                completed.Clear();
                if (started)
                {
                    process.NoteFrame();
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke with the process: the end of the feed, handled below.
        }
        catch (ObjectDisposedException)
        {
            // Same.
        }
        finally
        {
            End();
        }
    }

    /// <summary>
    /// Waits until the feed holds the camera's stream up to the moment this is called, so that a stop cut here keeps what
    /// the camera produced until the stop: on a saturated box the camera's ffmpeg (starting its outputs, encoding) and the
    /// service's read of its pipe fall seconds behind, and cutting at the feed's current position lost those seconds (the
    /// chaos run at load 27–45: 2–5 s recordings whose file held 0.1 s). The feed's position is the latest video frame's
    /// PTS plus the smallest arrival-minus-PTS seen in the last 30–60 s (the latency of a feed that keeps up, on the
    /// monotonic clock; a window, so that a camera whose clock drifts against ours, or a lag that lasts, is not waited for
    /// at every stop); a feed within <paramref name="tolerance"/> plus one frame of that is caught up (no wait at normal
    /// load). Returns at the latest after <paramref name="timeout"/>, or when the feed ends.
    /// </summary>
    public async Task CatchUpAsync(TimeSpan tolerance, TimeSpan timeout)
    {
        var until = time.GetElapsedTime(_epoch);
        var deadline = until + timeout;
        while (true)
        {
            lock (_sync)
            {
                var best = _bestOffset < _previousBestOffset ? _bestOffset : _previousBestOffset;
                if (_ended || _lastPts is not { } pts || best == TimeSpan.MaxValue
                    || best + pts + tolerance + _demux.VideoFrameInterval >= until)
                {
                    return;
                }
            }

            if (time.GetElapsedTime(_epoch) >= deadline)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), time).ConfigureAwait(false);
        }
    }

    /// <summary>Under the lock, after bytes arrived: the latest video frame's arrival against its PTS (see <see cref="CatchUpAsync"/>).</summary>
    private void NoteArrival()
    {
        if (_demux.LatestVideoPts is { } pts && pts != _lastPts)
        {
            _lastPts = pts;
            var now = time.GetElapsedTime(_epoch);
            if (now - _windowStart >= OffsetWindow)
            {
                _previousBestOffset = _bestOffset;
                _bestOffset = TimeSpan.MaxValue;
                _windowStart = now;
            }

            var offset = now - pts;
            if (offset < _bestOffset)
            {
                _bestOffset = offset;
            }
        }
    }

    /// <summary>
    /// Starts handing keyframe intervals to <paramref name="listener"/>: with <paramref name="from"/> the buffered ones from
    /// the last that starts at or before it, then every later one — else from the interval in progress. Returns when the
    /// first interval the listener gets started (the recording's start).
    /// </summary>
    public DateTimeOffset Listen(IFeedListener listener, DateTimeOffset? from)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_sync)
        {
            var buffered = from is { } f ? _ring.From(f) : [];
            var start = buffered.Count > 0 ? buffered[0].Time : _demux.CurrentStart ?? time.GetUtcNow();
            foreach (var gop in buffered)
            {
                listener.Enqueue(gop);
            }

            if (_ended)
            {
                listener.Complete();
            }
            else
            {
                _listeners.Add(listener);
            }

            return start;
        }
    }

    /// <summary>
    /// Stops handing intervals to <paramref name="listener"/>; it gets the interval in progress so far as its last one
    /// (a stop keeps the last second too) and is completed.
    /// </summary>
    public void Leave(IFeedListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_sync)
        {
            if (_listeners.Remove(listener) && _demux.Partial() is { } partial)
            {
                listener.Enqueue(partial);
            }

            listener.Complete();
        }
    }

    private void End()
    {
        lock (_sync)
        {
            _ended = true;
            var partial = _demux.Partial();
            foreach (var listener in _listeners)
            {
                if (partial is not null)
                {
                    listener.Enqueue(partial);
                }

                listener.Complete();
            }

            _listeners.Clear();
        }
    }
}

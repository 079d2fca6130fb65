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
    private readonly Lock _sync = new();
    private readonly TsDemux _demux = new();
    private readonly GopRing _ring = new(preEventBuffer);
    private readonly List<IFeedListener> _listeners = [];
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

using System.Threading.Channels;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// A recording's share of one camera feed: keyframe intervals arrive in order (queued in memory, so the camera never
/// waits), and are written to a recorder ffmpeg per segment (<c>-f mpegts -i pipe:0 -c copy</c>). The writer cuts
/// segments itself at keyframes — by time and by size — by closing one recorder's input (it finalizes the file) and
/// starting the next with the next interval: no gap, no overlap. A recorder that dies is replaced by a new one in a new
/// segment that starts with the interval its muxer may still have held and the one being written (nothing lost).
/// </summary>
internal sealed class RecordingWriter : IFeedListener
{
    /// <summary>A recorder that took this many intervals worked: its failures before are forgiven.</summary>
    private const int HealthyIntervals = 3;

    /// <summary>Intervals a restarted recorder gets again after its predecessor died (issue 22: nothing lost at a crash).</summary>
    private const int ResentIntervals = 2;

    private readonly Channel<Gop> _queue = Channel.CreateUnbounded<Gop>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PipelineContext _context;
    private readonly SegmentNamer _namer;
    private readonly CameraFeed _feed;
    private readonly string _cameraId;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly Action<RecordingWriter, string> _gaveUp;
    private readonly List<Task> _exits = [];
    private int _sequence;

    private RecordingWriter(PipelineContext context, SegmentNamer namer, string cameraId, RecordingSession session, CameraFeed feed, Action<RecordingWriter, string> gaveUp)
    {
        _context = context;
        _namer = namer;
        _cameraId = cameraId;
        Session = session;
        _feed = feed;
        _gaveUp = gaveUp;
        Completion = Task.CompletedTask;
    }

    public RecordingSession Session { get; }

    /// <summary>Completes when every queued interval is written and the last segment is finalized (its file complete).</summary>
    public Task Completion { get; private set; }

    /// <summary>After <see cref="Completion"/>: completes when every recorder of this writer has exited too.</summary>
    public Task Exited
    {
        get
        {
            lock (_exits)
            {
                return Task.WhenAll(_exits);
            }
        }
    }

    /// <summary>
    /// Joins <paramref name="feed"/>: from the buffered interval at or before <paramref name="from"/> (pre-event), else from
    /// the interval in progress. Returns the writer and the time of the recording's first frame.
    /// </summary>
    public static (RecordingWriter Writer, DateTimeOffset Start) Start(
        PipelineContext context, SegmentNamer namer, string cameraId, RecordingSession session, CameraFeed feed, DateTimeOffset? from,
        Action<RecordingWriter, string> gaveUp)
    {
        ArgumentNullException.ThrowIfNull(feed);
        var writer = new RecordingWriter(context, namer, cameraId, session, feed, gaveUp);
        var start = feed.Listen(writer, from);
        writer.Completion = Task.Run(() => writer.PumpAsync(start));
        return (writer, start);
    }

    /// <summary>Called by the feed (under its lock): one more interval.</summary>
    public void Enqueue(Gop gop) => _queue.Writer.TryWrite(gop);

    /// <summary>Called by the feed: nothing more comes.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>The feed's lag a stop accepts without waiting (a camera ffmpeg that keeps up is well within it).</summary>
    private static readonly TimeSpan CatchUpTolerance = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Stop recording: the feed is first given the time to deliver what the camera produced until now (a saturated box
    /// delays it by seconds; at most <see cref="FfmpegOptions.StopTimeout"/>), then the interval in progress is written
    /// too and the last segment finalized.
    /// </summary>
    public async Task StopAsync()
    {
        await _feed.CatchUpAsync(CatchUpTolerance, _context.Options.StopTimeout).ConfigureAwait(false);
        _feed.Leave(this);
        await Completion.ConfigureAwait(false);
    }

    private async Task PumpAsync(DateTimeOffset start)
    {
        var options = _context.Options;
        // The first recorder starts now, before the first interval is complete: a short recording's stop does not
        // wait for a process start (a running feed has its program table already; a new one gets it with the first interval).
        var segment = _feed.Header is not null ? TryStartSegment(start) : null;
        // The last intervals written (at most ResentIntervals): what a recorder that dies may not have muxed yet.
        var recent = new List<Gop>(ResentIntervals + 1);
        var failures = 0;
        var gaveUp = false;
        var closing = new List<Task>();
        await foreach (var gop in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (gaveUp)
            {
                continue;
            }

            if (segment is not null && SegmentCut.Before(segment.Start, segment.Bytes, segment.Intervals > 0, gop, options.SegmentDuration, Session.SegmentMaxBytes))
            {
                // The next recorder starts at once; the previous one finalizes its file meanwhile (awaited at the end).
                closing.RemoveAll(t => t.IsCompletedSuccessfully);
                closing.Add(segment.CloseAsync());
                segment = null;
                recent.Clear();
            }

            while (true)
            {
                string? error = null;
                if (segment is null)
                {
                    try
                    {
                        segment = StartSegment(recent.Count > 0 ? recent[0].Time : gop.Time);
                        foreach (var again in recent)
                        {
                            if (!await segment.WriteAsync(again, resent: true).ConfigureAwait(false))
                            {
                                error = "the restarted recorder exited at once";
                                break;
                            }
                        }
                    }
                    catch (Exception ex) when (ex is DependencyFailedException or IOException or UnauthorizedAccessException)
                    {
                        // No ffmpeg, or the recording directory cannot be written: counted like a recorder that died.
                        error = ex.Message;
                    }
                }

                if (error is null && await segment!.WriteAsync(gop).ConfigureAwait(false))
                {
                    if (segment.Intervals - segment.Resent >= HealthyIntervals)
                    {
                        failures = 0;
                    }

                    recent.Add(gop);
                    if (recent.Count > ResentIntervals)
                    {
                        recent.RemoveAt(0);
                    }

                    break;
                }

                // The recorder died (killed, disk full, ...): keep what it wrote and continue in a new segment.
                error ??= $"the recorder ffmpeg exited unexpectedly (exit code {segment!.ExitCode})";
                // Its muxer may not have written the last intervals it was given (it writes a fragment when the next one
                // starts, and on a loaded box it lags behind its input): the next recorder gets them again with this one
                // (the oldest left out when they would not fit the size limit).
                while (recent.Count > 0 && Session.SegmentMaxBytes > 0
                       && recent.Sum(g => g.Length) + gop.Length + 2 * TsDemux.PacketSize > Session.SegmentMaxBytes)
                {
                    recent.RemoveAt(0);
                }

                if (segment is not null)
                {
                    // A file of at most one interval that the next segment gets again is removed: it would be a second copy at
                    // best, and one without a fragment yet does not play. Longer ones stay (they play; the resent intervals
                    // are then in two files).
                    await segment.AbandonAsync(redundant: segment.Intervals <= Math.Min(1, recent.Count)).ConfigureAwait(false);
                    segment = null;
                }

                _context.ReportError($"Recording of camera {_cameraId}: {error}");
                if (++failures > options.MaxRestartAttempts)
                {
                    gaveUp = true;
                    _feed.Leave(this);
                    _gaveUp(this, $"the recorder failed {failures} times in a row; the recording was stopped. Last error: {error}");
                    break;
                }

                Log.RecordingRecovered(_context.Logger, _cameraId);
                _context.Raise([Session.ToEvent(StreamBackendEventKind.RecordingRecovered, "The recorder ffmpeg was restarted after a failure; the recording continues in a new segment.", null)]);
            }
        }

        if (segment is not null)
        {
            closing.Add(segment.CloseAsync());
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    private Segment? TryStartSegment(DateTimeOffset start)
    {
        try
        {
            return StartSegment(start);
        }
        catch (Exception ex) when (ex is DependencyFailedException or IOException or UnauthorizedAccessException)
        {
            // Tried again, and counted, with the first interval.
            return null;
        }
    }

    private Segment StartSegment(DateTimeOffset start)
    {
        var ffmpeg = _context.RequireFfmpeg();
        var header = _feed.Header ?? throw new DependencyFailedException("ffmpeg", $"The stream of camera {_cameraId} has no program table yet; try again.");
        Directory.CreateDirectory(Session.Directory);
        var temp = Path.Combine(
            Session.Directory,
            _namer.CameraTempPrefix + _run + "-" + _sequence++.ToString("00000", System.Globalization.CultureInfo.InvariantCulture) + RecordingFormats.FileExtension(Session.Format));
        var args = FfmpegCommand.BuildRecorder(Session.Format, Session.Audio && _feed.HasAudio, temp);
        var process = FfmpegProcess.Start(ffmpeg, args, _context.Logger, _context.Time, _cameraId, _context.Options.StderrLinesPerMinute, input: true);
        _context.Processes.Track(process);
        Log.ProcessStarted(_context.Logger, _cameraId, process.Id, false, true);
        var segment = new Segment(this, process, temp, start);
        segment.WriteHeader(header);
        _ = segment.ClaimWhenCreatedAsync();
        return segment;
    }

    /// <summary>One segment file and the recorder ffmpeg that writes it.</summary>
    private sealed class Segment(RecordingWriter owner, FfmpegProcess process, string temp, DateTimeOffset start)
    {
        private readonly Lock _sync = new();
        private string? _final;
        private byte[]? _header;
        private bool _discarded;

        public DateTimeOffset Start { get; } = start;

        /// <summary>MPEG-TS bytes given to the recorder, the program table included.</summary>
        public long Bytes { get; private set; }

        public int Intervals { get; private set; }

        /// <summary>Of <see cref="Intervals"/>, those a dead predecessor had been given already (they do not show a healthy recorder).</summary>
        public int Resent { get; private set; }

        public int ExitCode => process.ExitCode;

        public void WriteHeader(byte[] header)
        {
            _header = header;
            Bytes = header.Length;
        }

        /// <summary>Writes one interval; false when the recorder is gone (or stalled: then it is killed).</summary>
        public async Task<bool> WriteAsync(Gop gop, bool resent = false)
        {
            var input = process.Input!;
            try
            {
                if (_header is { } header)
                {
                    _header = null;
                    await input.WriteAsync(header).AsTask().WaitAsync(owner._context.Options.StallTimeout, owner._context.Time).ConfigureAwait(false);
                }

                await input.WriteAsync(gop.Data).AsTask().WaitAsync(owner._context.Options.StallTimeout, owner._context.Time).ConfigureAwait(false);
                await input.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or TimeoutException)
            {
                if (ex is TimeoutException)
                {
                    Log.ProcessStalled(owner._context.Logger, owner._cameraId, process.Id, owner._context.Options.StallTimeout);
                    process.Kill();
                }

                return false;
            }

            Bytes += gop.Length;
            Intervals++;
            Resent += resent ? 1 : 0;
            _ = Claim();
            return true;
        }

        /// <summary>
        /// Ends the segment: the recorder reads to the end of its input and finalizes the file. Completes when the file is
        /// complete; the recorder's exit is awaited in the background (it stays in the process table until then).
        /// </summary>
        public async Task CloseAsync()
        {
            var exited = await process.CloseInputAndWaitForOutputsAsync(owner._context.Options.StopTimeout).ConfigureAwait(false);
            _ = Claim();
            lock (owner._exits)
            {
                owner._exits.RemoveAll(t => t.IsCompleted);
                owner._exits.Add(FinishAfterAsync(exited));
            }
        }

        private async Task FinishAfterAsync(Task exited)
        {
            try
            {
                await exited.WaitAsync(owner._context.Options.StopTimeout, owner._context.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Its file is complete; a recorder that hangs in its teardown is not waited for longer.
                process.Kill();
                await exited.ConfigureAwait(false);
            }

            Finish();
        }

        /// <summary>
        /// The recorder died: what it wrote stays (fMP4 and Matroska play up to their last fragment or cluster), unless it is
        /// <paramref name="redundant"/> (everything in it is written again to the next segment): then the file is removed.
        /// </summary>
        public async Task AbandonAsync(bool redundant)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (redundant)
            {
                lock (_sync)
                {
                    _discarded = true;
                    TryDelete(_final ?? temp);
                    if (_final is not null)
                    {
                        owner.Session.Remove(_final);
                    }
                }
            }

            Finish();
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Left in place: a redundant copy, not a loss.
            }
            catch (UnauthorizedAccessException)
            {
                // Same.
            }
        }

        private void Finish()
        {
            _ = Claim();
            owner._context.Processes.Untrack(process);
            Log.ProcessStopped(owner._context.Logger, owner._cameraId, process.Id, process.ExitCode);
            process.Dispose();
        }

        /// <summary>Polls until ffmpeg has created the file (it opens it after reading the first keyframe) and claims it.</summary>
        public async Task ClaimWhenCreatedAsync()
        {
            var deadline = owner._context.Time.GetUtcNow() + owner._context.Options.StartTimeout;
            while (!Claim() && !process.HasExited && owner._context.Time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), owner._context.Time).ConfigureAwait(false);
            }
        }

        /// <summary>Gives the file its final name as soon as ffmpeg created it (the store sees it while it grows); true once done.</summary>
        private bool Claim()
        {
            lock (_sync)
            {
                if (_final is null && !_discarded && File.Exists(temp) && owner._namer.Claim(temp, Start) is { } final)
                {
                    _final = final;
                    owner.Session.Add([final]);
                }

                return _final is not null || _discarded;
            }
        }
    }
}

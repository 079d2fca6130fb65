using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// Open readers of live paths, for fast snapshots. A snapshot from a cold RTSP connection waits for ffmpeg to start,
/// for the RTSP handshake and for the next keyframe (up to a GOP); a camera that was snapshotted therefore keeps one
/// reader open for <see cref="MediaMtxOptions.SnapshotReaderIdle"/> after its last snapshot: ffmpeg copying the path's
/// H.264 as Annex B (no decoding) into a <see cref="LatestGop"/>, so the next snapshot decodes the newest picture at
/// once, with an ffmpeg started ahead for it (<see cref="PreparedSnapshotEncoder"/>). A reader whose stream ends (the path was recreated, MediaMTX restarted) starts again after a pause while it
/// is wanted; after <see cref="AttemptsWithoutPicture"/> runs in a row without a picture (the path is not H.264, or
/// gone) it closes, and the next cold snapshot opens it again. While a reader is open it counts as a reader of the
/// path (an on-demand publisher keeps running).
/// </summary>
internal sealed class LiveSnapshotReaders : IDisposable
{
    /// <summary>A picture older than this (the stream stalled) is not used.</summary>
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan RestartPause = TimeSpan.FromMilliseconds(500);

    private const int AttemptsWithoutPicture = 3;

    private readonly MediaMtxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Reader> _readers = new(StringComparer.Ordinal);
    private readonly ITimer? _sweep;

    public LiveSnapshotReaders(MediaMtxOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        if (options.SnapshotReaderIdle > TimeSpan.Zero)
        {
            var every = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, options.SnapshotReaderIdle.Ticks / 4));
            _sweep = time.CreateTimer(_ => CloseIdle(), null, every, every);
        }
    }

    /// <summary>How many readers are open (tests and metrics).</summary>
    public int Count => _readers.Count;

    /// <summary>
    /// The newest picture of <paramref name="cameraId"/>'s open reader, when it has a fresh one, and the reader's
    /// prepared encoder when it is for <paramref name="format"/>/<paramref name="quality"/> and the GOP fits its bound
    /// (the caller owns it then); marks the reader used.
    /// </summary>
    public bool TryTake(string cameraId, string format, int quality, out GopPicture picture, out PreparedSnapshotEncoder? encoder)
    {
        picture = default;
        encoder = null;
        return _readers.TryGetValue(cameraId, out var reader) && reader.TryTake(_time, format, quality, out picture, out encoder);
    }

    /// <summary>
    /// Keeps (or opens) a reader of <paramref name="cameraId"/> at <paramref name="url"/> for the idle time from now,
    /// with an encoder prepared for the next snapshot like this one (<paramref name="format"/>, <paramref name="quality"/>,
    /// pictures of <paramref name="width"/>×<paramref name="height"/>).
    /// </summary>
    public void Keep(string cameraId, string url, string format, int quality, int width, int height)
    {
        if (_options.SnapshotReaderIdle <= TimeSpan.Zero)
        {
            return;
        }

        var reader = _readers.GetOrAdd(cameraId, id => new Reader(this, id, url));
        reader.Touch(_time);
        reader.EnsureStarted();
        reader.Prepare(format, quality, width, height);
    }

    /// <summary>Closes the camera's reader (unpublished).</summary>
    public void Forget(string cameraId)
    {
        if (_readers.TryRemove(cameraId, out var reader))
        {
            reader.Dispose();
        }
    }

    public void Dispose()
    {
        _sweep?.Dispose();
        foreach (var id in _readers.Keys)
        {
            if (_readers.TryRemove(id, out var reader))
            {
                reader.Dispose();
            }
        }
    }

    private void CloseIdle()
    {
        foreach (var (id, reader) in _readers)
        {
            if (reader.IdleFor(_time) >= _options.SnapshotReaderIdle && _readers.TryRemove(new KeyValuePair<string, Reader>(id, reader)))
            {
                reader.Dispose();
            }
        }
    }

    /// <summary>One camera's reader process and its newest GOP.</summary>
    private sealed class Reader(LiveSnapshotReaders owner, string cameraId, string url) : IDisposable
    {
        private readonly Lock _lock = new();
        private readonly LatestGop _gop = new();
        private readonly CancellationTokenSource _stop = new();
        private long _lastUsed;
        private long _lastData;
        private PreparedSnapshotEncoder? _spare;
        private int _width;
        private int _height;
        private Task? _loop;
        private bool _closed;

        public void Touch(TimeProvider time) => Interlocked.Exchange(ref _lastUsed, time.GetTimestamp());

        public TimeSpan IdleFor(TimeProvider time) => time.GetElapsedTime(Interlocked.Read(ref _lastUsed));

        public void EnsureStarted()
        {
            lock (_lock)
            {
                if (!_closed)
                {
                    _loop ??= Task.Run(RunAsync, CancellationToken.None);
                }
            }
        }

        public bool TryTake(TimeProvider time, string format, int quality, out GopPicture picture, out PreparedSnapshotEncoder? encoder)
        {
            Touch(time);
            encoder = null;
            lock (_lock)
            {
                if (time.GetElapsedTime(_lastData) > Freshness || !_gop.TryGet(out picture))
                {
                    picture = default;
                    return false;
                }

                if (_spare is { } spare && spare.Format == format && spare.Quality == quality && PreparedSnapshotEncoder.Fits(picture.Pictures, _width, _height))
                {
                    encoder = spare;
                    _spare = null;
                }

                return true;
            }
        }

        /// <summary>Has an encoder ready for the next snapshot of this format and quality.</summary>
        public void Prepare(string format, int quality, int width, int height)
        {
            lock (_lock)
            {
                _width = width;
                _height = height;
                if (_closed || _spare is { } ready && ready.Format == format && ready.Quality == quality)
                {
                    return;
                }
            }

            var next = PreparedSnapshotEncoder.TryStart(owner._options.FfmpegPath, format, quality);
            PreparedSnapshotEncoder? old;
            lock (_lock)
            {
                if (_closed)
                {
                    old = next;
                }
                else
                {
                    old = _spare;
                    _spare = next;
                }
            }

            old?.Dispose();
        }

        private async Task RunAsync()
        {
            var ct = _stop.Token;
            var failures = 0;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var (pictures, error) = await ReadOnceAsync(ct).ConfigureAwait(false);
                    failures = pictures ? 0 : failures + 1;
                    if (failures >= AttemptsWithoutPicture && !ct.IsCancellationRequested)
                    {
                        Log.SnapshotReaderGaveUp(owner._logger, cameraId, failures, error.Length > 0 ? error : "the stream ended");
                        owner._readers.TryRemove(new KeyValuePair<string, Reader>(cameraId, this));
                        return;
                    }

                    await Task.Delay(RestartPause, owner._time, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Closed.
            }
            finally
            {
                lock (_lock)
                {
                    // The loop owns the source once it runs: ended by Dispose or by giving up, it is closed for good.
                    _closed = true;
                    _stop.Dispose();
                    _spare?.Dispose();
                    _spare = null;
                }
            }
        }

        /// <summary>Runs ffmpeg until the stream ends; answers whether it delivered a picture, and its last error line.</summary>
        private async Task<(bool Pictures, string Error)> ReadOnceAsync(CancellationToken ct)
        {
            var info = new ProcessStartInfo(owner._options.FfmpegPath)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                CreateNoWindow = true,
            };
            foreach (var a in (string[])
            [
                // -timeout: a stream that stops delivering (MediaMTX dropped the path) ends the run instead of hanging.
                "-hide_banner", "-loglevel", "error", "-nostdin", "-rtsp_transport", "tcp", "-timeout", "5000000", "-i", url,
                "-map", "0:v:0", "-an", "-c:v", "copy", "-bsf:v", "dump_extra=freq=keyframe", "-f", "h264", "pipe:1",
            ])
            {
                info.ArgumentList.Add(a);
            }

            Process process;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException("ffmpeg did not start");
            }
            catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
            {
                return (false, ex.Message);
            }

            using (process)
            {
                var lastError = string.Empty;
                process.ErrorDataReceived += (_, e) =>
                {
                    if (!string.IsNullOrWhiteSpace(e.Data))
                    {
                        lastError = e.Data.Trim();
                    }
                };
                process.BeginErrorReadLine();
                var any = false;
                var buffer = new byte[64 << 10];
                try
                {
                    var stdout = process.StandardOutput.BaseStream;
                    int n;
                    while ((n = await stdout.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    {
                        lock (_lock)
                        {
                            _gop.Append(buffer.AsSpan(0, n));
                            _lastData = owner._time.GetTimestamp();
                            any |= _gop.HasPicture;
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Closed (idle, unpublished, service stopping).
                }
                finally
                {
                    lock (_lock)
                    {
                        _gop.Reset();
                    }

                    try
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                        // Already exited.
                    }

                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }

                return (any, lastError);
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                _stop.Cancel();
                if (_loop is null || _loop.IsCompleted)
                {
                    _stop.Dispose();
                }

                _spare?.Dispose();
                _spare = null;
            }
        }
    }
}

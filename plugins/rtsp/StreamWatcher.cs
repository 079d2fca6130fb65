using CameraService.Abstractions.Cameras;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// Watches every stream: probes it until it answers (exponential backoff up to <c>MaxBackoff</c>), then checks it is
/// alive with an RTSP DESCRIBE every <c>WatchInterval</c>; reports its camera added when it connects and removed when
/// it stops answering.
/// </summary>
/// <remarks>
/// Owns the watch loops (one per stream, all on one <see cref="BackgroundLoops"/>, so the source's stop waits for
/// all of them) and whether new ones may start, under its lock. BackgroundLoops has no per-loop stop, so each entry
/// carries its own <see cref="StreamEntry.Removal"/> token and <see cref="StreamEntry.Ended"/> signal: a stream
/// removed on its own ends just its loop. The state a probe finds is written under the registry's lock, and
/// only while the stream is still listed (a removed stream's late answer changes nothing).
/// </remarks>
internal sealed class StreamWatcher(
    RtspOptions options,
    StreamRegistry registry,
    StreamProber prober,
    Action<CameraChangeKind, CameraDescriptor> raiseCamera,
    Action<string, StreamEntry> raiseStream,
    TimeProvider time,
    ILogger logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly BackgroundLoops _loops = new(logger, time);
    private bool _accepting;

    /// <summary>The watch loops that have not ended (tests check that a removal or a stop really ended them).</summary>
    public int Running => _loops.Running;

    /// <summary>Lets <see cref="Watch"/> start loops (until <see cref="StopAsync"/>); false when it already does.</summary>
    public bool Start()
    {
        lock (_lock)
        {
            if (_accepting)
            {
                return false;
            }

            _loops.Start();
            _accepting = true;
            return true;
        }
    }

    /// <summary>
    /// Starts the stream's loop unless the watcher is not running or the stream is already watched; the returned task
    /// completes after its first probe (at once when no loop was started).
    /// </summary>
    public Task Watch(StreamEntry entry)
    {
        lock (_lock)
        {
            // Under the lock with the flag, so a loop is never added after the stop began (it would never run,
            // and the stream's removal would wait for it forever).
            if (!_accepting || entry.Ended is not null)
            {
                return entry.Ended is null ? Task.CompletedTask : entry.FirstCheck.Task;
            }

            entry.Removal = new CancellationTokenSource();
            entry.Ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _loops.Run("watch of " + entry.Url.Display, stopping => WatchAsync(entry, stopping));
            return entry.FirstCheck.Task;
        }
    }

    /// <summary>Stops every loop and waits for them (or for <paramref name="cancellationToken"/>).</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _accepting = false;
        }

        return _loops.StopAsync(cancellationToken);
    }

    public void Dispose() => _loops.Dispose();

    private async Task WatchAsync(StreamEntry entry, CancellationToken stopping)
    {
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(stopping, entry.Removal!.Token);
        try
        {
            await LoopAsync(entry, watch.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (watch.IsCancellationRequested)
        {
            // Removed or stopping.
        }
        finally
        {
            entry.FirstCheck.TrySetResult();
            entry.Ended!.TrySetResult();
        }
    }

    private async Task LoopAsync(StreamEntry entry, CancellationToken ct)
    {
        var backoff = options.InitialBackoff;
        while (!ct.IsCancellationRequested)
        {
            if (!entry.Connected)
            {
                try
                {
                    var probe = await prober.ProbeAsync(entry.Url, ct).ConfigureAwait(false);
                    OnConnected(entry, probe);
                    backoff = options.InitialBackoff;
                }
                catch (ProbeException ex)
                {
                    OnUnreachable(entry, ex.Message);
                    entry.FirstCheck.TrySetResult();
                    await Task.Delay(backoff, time, ct).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
                    continue;
                }

                entry.FirstCheck.TrySetResult();
            }

            await Task.Delay(options.WatchInterval, time, ct).ConfigureAwait(false);
            if (await AliveAsync(entry, ct).ConfigureAwait(false) is { } error)
            {
                OnUnreachable(entry, error);
            }
        }
    }

    /// <summary>Checks a connected stream with DESCRIBE; null when it answers, else why not (written to the entry by <see cref="OnUnreachable"/>).</summary>
    private async Task<string?> AliveAsync(StreamEntry entry, CancellationToken ct)
    {
        var error = "the stream stopped answering";

        // Two tries: one lost answer must not take a camera down.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                var answer = await RtspClient.DescribeAsync(entry.Url, options.ProbeTimeout, ct).ConfigureAwait(false);
                if (answer.Status is 200 or 401)
                {
                    var now = time.GetUtcNow();
                    registry.Locked(_ => entry.LastSeen = now);
                    return null;
                }

                error = $"the server answers RTSP {answer.Status}";
            }
            catch (ProbeException ex)
            {
                error = ex.Message;
            }
        }

        return error;
    }

    private void OnConnected(StreamEntry entry, ProbeResult probe)
    {
        var now = time.GetUtcNow();
        var change = registry.Locked(streams =>
        {
            if (!streams.Contains(entry))
            {
                return null;
            }

            entry.Probe = probe;
            entry.Connected = true;
            entry.LastError = null;
            entry.LastSeen = now;
            var descriptor = StreamDescriptions.Camera(entry, probe, options.Transport);
            var kind = entry.Reported ? CameraChangeKind.Updated : CameraChangeKind.Added;
            entry.Reported = true;
            entry.Descriptor = descriptor;
            return new CameraChange(kind, descriptor);
        });
        if (change is null)
        {
            return;
        }

        Log.Connected(logger, entry.Url.Display, probe.Codec, probe.Width, probe.Height, probe.FrameRate, probe.Audio?.Codec ?? "none");
        raiseCamera(change.Kind, change.Camera);
        raiseStream("connected", entry);
    }

    private void OnUnreachable(StreamEntry entry, string reason)
    {
        var outcome = registry.Locked(streams =>
        {
            if (!streams.Contains(entry))
            {
                return null;
            }

            var changed = entry.Connected || entry.LastError != reason;
            var wasConnected = entry.Connected;
            entry.Connected = false;
            entry.LastError = reason;
            if (wasConnected && entry.Reported && entry.Descriptor is not null)
            {
                entry.Reported = false;
                return new Unreachable(changed, new CameraChange(CameraChangeKind.Removed, entry.Descriptor with { State = CameraState.Error, Error = "the stream stopped answering: " + reason }));
            }

            if (!entry.Reported && entry.AddedThisRun && entry.LastSeen is null)
            {
                // A stream just added that never answered: show it as a camera in error, so the operator sees why.
                var failed = StreamDescriptions.Camera(entry, null, options.Transport) with { State = CameraState.Error, Error = $"The stream {entry.Url.Display} does not answer: {reason}." };
                entry.Reported = true;
                entry.Descriptor = failed;
                return new Unreachable(changed, new CameraChange(CameraChangeKind.Added, failed));
            }

            return new Unreachable(changed, null);
        });
        if (outcome is null)
        {
            return;
        }

        if (outcome.Changed)
        {
            Log.Unreachable(logger, entry.Url.Display, reason);
        }

        if (outcome.Camera is { Kind: CameraChangeKind.Removed } removed)
        {
            raiseCamera(removed.Kind, removed.Camera);
            raiseStream("disconnected", entry);
        }
        else if (outcome.Camera is { } failed)
        {
            raiseCamera(failed.Kind, failed.Camera);
        }
    }

    private sealed record CameraChange(CameraChangeKind Kind, CameraDescriptor Camera);

    private sealed record Unreachable(bool Changed, CameraChange? Camera);
}

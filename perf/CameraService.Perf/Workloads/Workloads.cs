using System.Diagnostics;
using CameraService.Perf.Client;
using CameraService.Perf.Measurement;

namespace CameraService.Perf.Workloads;

/// <summary>Closed loop: every connection sends its next request as soon as the previous one is answered.</summary>
internal static class ClosedLoop
{
    /// <summary>
    /// Runs until <paramref name="duration"/> passes or <paramref name="maxRequests"/> were sent (whichever first).
    /// Latency is from the send to the reader's receive timestamp. A connection that drops stops its loop.
    /// </summary>
    public static async Task<long> RunAsync(
        IReadOnlyList<RpcConnection> connections,
        MethodMix mix,
        TimeSpan duration,
        long maxRequests,
        IRecordSink measurements,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(measurements);
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long sent = 0;
        var loops = connections.Select((connection, index) => Task.Run(
            async () =>
            {
                var random = new Random(index + 1);
                while (Stopwatch.GetTimestamp() < deadline && connection.IsOpen && !cancellationToken.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref sent) > maxRequests)
                    {
                        break;
                    }

                    var method = mix.Pick(random);
                    var start = Stopwatch.GetTimestamp();
                    var outcome = await connection.CallAsync(method, capture: false, cancellationToken).ConfigureAwait(false);
                    measurements.Record(method.Name, start, outcome);
                }
            },
            CancellationToken.None)).ToList();
        await Task.WhenAll(loops).ConfigureAwait(false);
        return Math.Min(Interlocked.Read(ref sent), maxRequests);
    }
}

/// <summary>
/// Open loop: requests are scheduled at a fixed rate regardless of responses, round-robin over the connections,
/// and latency is measured from each request's INTENDED send time — so a stalled server is charged for every
/// request it delayed (no coordinated omission). A dedicated dispatcher thread sleeps (nanosleep) until the next
/// request is due and sends everything that is due; the lag between intended and actual send is recorded
/// separately as "(send-lag)" (sampled), so a saturated client is visible as such.
/// </summary>
internal static class OpenLoop
{
    public static async Task<long> RunAsync(
        IReadOnlyList<RpcConnection> connections,
        MethodMix mix,
        double ratePerSecond,
        TimeSpan duration,
        int maxInFlight,
        TimeSpan drainTimeout,
        IRecordSink measurements,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentNullException.ThrowIfNull(measurements);
        if (connections.Count == 0 || ratePerSecond <= 0)
        {
            return 0;
        }

        var total = (long)Math.Round(ratePerSecond * duration.TotalSeconds);
        var interval = Stopwatch.Frequency / ratePerSecond;
        var inFlight = 0;
        long next = 0;

        // The schedule runs on its own thread with nanosleep pacing (see PreciseSleep); sends start on it and
        // continue on the thread pool at their first real await.
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new Thread(() =>
        {
            try
            {
                var random = new Random(42);
                var start = Stopwatch.GetTimestamp();
                var lagCounter = 0;
                while (next < total && !cancellationToken.IsCancellationRequested)
                {
                    var intended = start + (long)(next * interval);
                    var now = Stopwatch.GetTimestamp();
                    if (intended > now)
                    {
                        PreciseSleep.Until(intended, TimeSpan.FromMilliseconds(50));
                        continue;
                    }

                    var connection = connections[(int)(next % connections.Count)];
                    var method = mix.Pick(random);
                    next++;
                    // Sample the send lag (1 in 16) to keep the dispatcher cheap.
                    if ((++lagCounter & 15) == 0)
                    {
                        measurements.Record("(send-lag)", (long)Stopwatch.GetElapsedTime(intended, now).TotalMicroseconds, "ok", true);
                    }

                    if (Volatile.Read(ref inFlight) >= maxInFlight || !connection.IsOpen)
                    {
                        var kind = connection.IsOpen ? OutcomeKind.ClientBacklog : OutcomeKind.Disconnected;
                        measurements.Record(method.Name, intended, new RpcOutcome(kind, 0, Stopwatch.GetTimestamp(), null));
                        continue;
                    }

                    Interlocked.Increment(ref inFlight);
                    _ = SendOneAsync(connection, method, intended);
                }

                dispatched.TrySetResult();
            }
            catch (Exception ex)
            {
                // Surface a dispatcher bug to the awaiting scenario instead of losing it on a background thread.
                dispatched.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop dispatcher",
            Priority = ThreadPriority.AboveNormal,
        };
        dispatcher.Start();
        await dispatched.Task.ConfigureAwait(false);

        // Drain: wait for the answers still on the way, bounded (the connection's own timeout also bounds each call).
        var drainStart = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref inFlight) > 0 && Stopwatch.GetElapsedTime(drainStart) < drainTimeout)
        {
            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }

        return next;

        async Task SendOneAsync(RpcConnection connection, RpcMethod method, long intended)
        {
            try
            {
                var outcome = await connection.CallAsync(method, capture: false, cancellationToken).ConfigureAwait(false);
                measurements.Record(method.Name, intended, outcome);
            }
            catch (OperationCanceledException)
            {
                // The run was cancelled: an unanswered request is not a measurement.
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }
    }
}

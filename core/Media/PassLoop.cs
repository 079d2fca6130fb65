namespace CameraService.Core.Media;

/// <summary>
/// The loop of a background service that works in passes (motion watches, recording schedules): run a pass, then wait
/// until the time the pass asked for or until something wakes the loop (a setting changed, a camera came back). The
/// wake signal is armed before each pass, so a wake during a pass starts the next one at once. A failing pass is
/// reported and the loop goes on after <c>afterFailure</c>; the loop ends when <c>stoppingToken</c> is cancelled.
/// </summary>
internal sealed class PassLoop(TimeProvider time)
{
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the next pass now (or as soon as the running one ends).</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>Runs <paramref name="pass"/> (which answers how long to wait before the next) until stopped.</summary>
    public async Task RunAsync(Func<CancellationToken, Task<TimeSpan>> pass, Action<Exception> failed, TimeSpan afterFailure, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(failed);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            TimeSpan wait;
            try
            {
                wait = await pass(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // one bad pass must not end the loop; the next pass tries again
            {
                failed(ex);
                wait = afterFailure;
            }

            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            try
            {
                await Task.WhenAny(Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, delay.Token), wake.Task).ConfigureAwait(false);
            }
            finally
            {
                await delay.CancelAsync().ConfigureAwait(false);
            }
        }
    }
}

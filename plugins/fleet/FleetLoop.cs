namespace CameraService.Plugins.Fleet;

/// <summary>The one restart rule of the node's and the gateway's NATS loops.</summary>
internal static class FleetLoop
{
    /// <summary>
    /// Runs <paramref name="loop"/> until <paramref name="stoppingToken"/> is cancelled: NATS trouble (server gone
    /// mid-subscribe, …) must never stop the node or the gateway, so a failure is reported and the loop restarted
    /// after a one-second pause.
    /// </summary>
    public static async Task GuardAsync(Func<Task> loop, Action<Exception> reportFailure, TimeProvider time, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await loop().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // see the summary: report, pause, restart
            {
                reportFailure(ex);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
        }
    }
}

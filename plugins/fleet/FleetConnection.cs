using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace CameraService.Plugins.Fleet;

/// <summary>The NATS connection of a node or a gateway process.</summary>
internal static class FleetConnection
{
    /// <summary>How long a failed NATS loop of the node or the gateway waits before it starts again.</summary>
    public static readonly TimeSpan LoopRestartDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A connection (not yet opened: it connects, and reconnects for ever, in the background) whose state the
    /// <c>camera_service_fleet_nats_connected</c> gauge follows; <paramref name="opened"/> and <paramref name="lost"/>
    /// run on every (re)connect and every loss.
    /// </summary>
    public static NatsConnection Create(FleetOptions options, string clientName, ILoggerFactory loggerFactory, FleetMetrics metrics, Action opened, Action lost)
    {
        var nats = new NatsConnection(FleetNats.Options(options, clientName, loggerFactory));
        nats.ConnectionOpened += (_, _) =>
        {
            metrics.SetNatsConnected(true);
            opened();
            return ValueTask.CompletedTask;
        };
        nats.ConnectionDisconnected += (_, _) =>
        {
            metrics.SetNatsConnected(false);
            lost();
            return ValueTask.CompletedTask;
        };
        return nats;
    }

    /// <summary>The stop of a node or a gateway: its loops end (or the host stops waiting), then the connection closes.</summary>
    public static async Task CloseAsync(BackgroundLoops loops, NatsConnection nats, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loops);
        ArgumentNullException.ThrowIfNull(nats);
        try
        {
            await loops.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the host stopped waiting; the loops end on their own once the connection is gone
        }

        await nats.DisposeAsync().ConfigureAwait(false);
    }
}

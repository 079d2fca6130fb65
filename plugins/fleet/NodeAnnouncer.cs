using System.Text;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// A node's announcements (docs/fleet.md, "Protocol"): who it is (id, version, base URL, start time) and its cameras
/// as <c>get_camera_list</c> shows them, sent as its heartbeat every <c>Fleet:HeartbeatInterval</c>, at once after a
/// (re)connect or a gateway's <c>fleet.discover</c>, and kept in the <c>fleet_nodes</c> KV bucket when it changed.
/// </summary>
internal sealed partial class NodeAnnouncer(NatsConnection nats, string nodeId, string? baseUrl, string startedAt, TimeSpan interval, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _announceNow = new(0, 1);
    private string? _lastStoredAnnouncement;
    private string? _version;

    /// <summary>Announce now rather than at the next beat.</summary>
    public void AnnounceNow() => _announceNow.TryRelease();

    /// <summary>Announces on every gateway's <c>fleet.discover</c> until <paramref name="stoppingToken"/>.</summary>
    public async Task ServeDiscoverAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in nats.SubscribeAsync<byte[]>(FleetSubjects.Discover, cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            AnnounceNow();
        }
    }

    /// <summary>The heartbeat until <paramref name="stoppingToken"/>; <paramref name="own"/> is the node's own session (one call at a time).</summary>
    public async Task HeartbeatAsync(IRpcSession own, CancellationToken stoppingToken)
    {
        INatsKVStore? store = null;
        _version ??= await ReadVersionAsync(own, stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (nats.ConnectionState == NatsConnectionState.Open)
            {
                var announcement = await AnnouncementAsync(own, _version, stoppingToken).ConfigureAwait(false);
                try
                {
                    await nats.PublishAsync(FleetSubjects.Heartbeat(nodeId), announcement, cancellationToken: stoppingToken).ConfigureAwait(false);

                    // The KV copy lets a gateway that starts later (and `fleet status`) know nodes that are gone.
                    var text = Encoding.UTF8.GetString(announcement);
                    if (!string.Equals(text, _lastStoredAnnouncement, StringComparison.Ordinal))
                    {
                        store ??= await FleetNats.NodeStoreAsync(nats, stoppingToken).ConfigureAwait(false);
                        await store.PutAsync(nodeId, announcement, cancellationToken: stoppingToken).ConfigureAwait(false);
                        _lastStoredAnnouncement = text;
                    }
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException or InvalidOperationException)
                {
                    // NATS went away between the check and the publish: the next beat after the reconnect catches up.
                    store = null;
                    _lastStoredAnnouncement = null;
                    LogAnnounceFailed(logger, nodeId, ex.Message);
                }
            }
            else
            {
                _lastStoredAnnouncement = null;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(interval);
            try
            {
                await _announceNow.WaitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The interval passed.
            }
        }
    }

    public void Dispose() => _announceNow.Dispose();

    /// <summary>The announcement: who this node is and its cameras as <c>get_camera_list</c> shows them.</summary>
    private async Task<byte[]> AnnouncementAsync(IRpcSession own, string version, CancellationToken cancellationToken)
    {
        var cameras = await InProcessRpc.CallMethodAsync(own, "get_camera_list", "{}", cancellationToken).ConfigureAwait(false);
        return FleetAnnouncement.Write(nodeId, version, baseUrl, startedAt, cameras.TryGetProperty("cameras", out var list) ? list : default);
    }

    private static async Task<string> ReadVersionAsync(IRpcSession own, CancellationToken cancellationToken)
    {
        var info = await InProcessRpc.CallMethodAsync(own, "get_server_info", "{}", cancellationToken).ConfigureAwait(false);
        return info.TryGetProperty("version", out var v) ? v.GetString() ?? "unknown" : "unknown";
    }

    [LoggerMessage(EventId = 8006, Level = LogLevel.Debug, Message = "Fleet node {NodeId} could not announce itself: {Reason}")]
    private static partial void LogAnnounceFailed(ILogger logger, string nodeId, string reason);
}

internal static class SemaphoreExtensions
{
    /// <summary>Signals a one-slot semaphore unless it is already signalled.</summary>
    public static void TryRelease(this SemaphoreSlim semaphore)
    {
        try
        {
            if (semaphore.CurrentCount == 0)
            {
                semaphore.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled by another thread.
        }
    }
}

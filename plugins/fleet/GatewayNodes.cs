using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway's view of the nodes, rebuilt from NATS alone: the <c>fleet_nodes</c> KV bucket (nodes known before this
/// gateway started), the announcements nodes send as heartbeats, their notifications (camera states between beats)
/// and the liveness check (a node silent for <c>Fleet:NodeTimeout</c> is lost → its cameras DISCONNECTED; heard
/// again → CONNECTED, same ids). Changes of camera state the gateway derives itself go out as notifications.
/// </summary>
internal sealed partial class GatewayNodes
{
    private readonly NatsConnection _nats;
    private readonly CameraIds _ids;
    private readonly GatewayNotifications _notifications;
    private readonly FleetMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, FleetNodeState> _nodes = new(StringComparer.Ordinal);

    public GatewayNodes(NatsConnection nats, CameraIds ids, GatewayNotifications notifications, FleetMetrics metrics, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _nats = nats;
        _ids = ids;
        _notifications = notifications;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        metrics.ObserveNodesWith(() => _nodes.Values.Select(n => (n.Id, n.Up == true)).ToList());
    }

    /// <summary>Every known node, by id.</summary>
    public IEnumerable<FleetNodeState> All => _nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal);

    /// <summary>The nodes that answer (heard within <c>Fleet:NodeTimeout</c>).</summary>
    public IEnumerable<FleetNodeState> Up => All.Where(n => n.Up == true);

    /// <summary>The node holding gateway camera <paramref name="device"/> and the camera's id there; null when unknown.</summary>
    public (FleetNodeState Node, string Local)? Resolve(string device)
    {
        if (!_ids.TryResolve(device, out var nodeId, out var stable) || !_nodes.TryGetValue(nodeId, out var node))
        {
            return null;
        }

        return node.LocalId(stable) is { } local ? (node, local) : null;
    }

    /// <summary>Reads the nodes that announced themselves before (those this gateway has not heard yet) from KV.</summary>
    public async Task LoadKnownAsync(CancellationToken cancellationToken)
    {
        var store = await FleetNats.NodeStoreAsync(_nats, cancellationToken).ConfigureAwait(false);
        foreach (var key in await FleetNats.KeysAsync(store, cancellationToken).ConfigureAwait(false))
        {
            if (_nodes.ContainsKey(key))
            {
                continue;
            }

            var entry = await store.GetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Value is { } value && JsonNode.Parse(value) is JsonObject announcement)
            {
                var node = _nodes.GetOrAdd(key, id => new FleetNodeState(id) { LastSeen = _time.GetTimestamp() });
                await ApplyAnnouncementAsync(node, announcement, live: false, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Follows the nodes' heartbeats (their announcements) until <paramref name="stoppingToken"/>.</summary>
    public Task HeartbeatsAsync(CancellationToken stoppingToken) =>
        ReceiveAsync(FleetSubjects.AllHeartbeats, async (_, message, token) =>
        {
            if (message["node"]?.GetValue<string>() is { } id && FleetOptionsValidator.IsValidNodeId(id))
            {
                var node = _nodes.GetOrAdd(id, i => new FleetNodeState(i));
                await ApplyAnnouncementAsync(node, message, live: true, token).ConfigureAwait(false);
            }
        }, stoppingToken);

    /// <summary>Follows the nodes' notifications until <paramref name="stoppingToken"/>: keeps camera states current and forwards them.</summary>
    public Task EventsAsync(CancellationToken stoppingToken) =>
        ReceiveAsync(FleetSubjects.AllEvents, async (subject, message, token) =>
        {
            var parts = subject.Split('.');
            if (parts.Length < 5 || !_nodes.TryGetValue(parts[2], out var node)
                || message["method"]?.GetValue<string>() is not { } method || message["params"] is not JsonObject parameters)
            {
                return;
            }

            if (method == "camera_status_update" && await _ids.BindAsync(node.Id, parameters, token).ConfigureAwait(false) is { } local)
            {
                lock (node.Gate)
                {
                    var known = node.Cameras.GetValueOrDefault(local) is { } c ? (JsonObject)c.DeepClone() : new JsonObject();
                    foreach (var (key, value) in parameters)
                    {
                        known[key] = value?.DeepClone();
                    }

                    node.Cameras[local] = known;
                }
            }

            _notifications.Forward(node, method, parameters);
        }, stoppingToken);

    /// <summary>One liveness check: nodes silent for longer than <paramref name="timeout"/> are lost, their cameras DISCONNECTED.</summary>
    public void CheckLiveness(TimeSpan timeout)
    {
        foreach (var node in _nodes.Values)
        {
            List<JsonObject>? lost = null;
            lock (node.Gate)
            {
                if (node.Up != false && _time.GetElapsedTime(node.LastSeen) > timeout)
                {
                    node.Up = false;
                    lost = [.. node.Cameras.Values];
                }
            }

            if (lost is null)
            {
                continue;
            }

            LogNodeDown(_logger, node.Id, timeout.TotalSeconds);
            _metrics.RecordTransition(node.Id, up: false);
            foreach (var camera in lost)
            {
                var copy = (JsonObject)camera.DeepClone();
                copy["status"] = "DISCONNECTED";
                _notifications.CameraStatus(node, copy);
            }
        }
    }

    /// <summary>Reads the JSON objects published on <paramref name="subject"/>; a malformed one is logged and skipped.</summary>
    private async Task ReceiveAsync(string subject, Func<string, JsonObject, CancellationToken, Task> handle, CancellationToken stoppingToken)
    {
        await foreach (var msg in _nats.SubscribeAsync<byte[]>(subject, cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (msg.Data is { } data && JsonNode.Parse(data) is JsonObject message)
                {
                    await handle(msg.Subject, message, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                LogBadMessage(_logger, msg.Subject, ex.Message);
            }
        }
    }

    private async Task ApplyAnnouncementAsync(FleetNodeState node, JsonObject announcement, bool live, CancellationToken cancellationToken)
    {
        var cameras = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var camera in (announcement["cameras"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (await _ids.BindAsync(node.Id, camera, cancellationToken).ConfigureAwait(false) is { } local)
            {
                cameras[local] = camera;
            }
        }

        List<JsonObject> changed = [];
        bool cameBack;
        lock (node.Gate)
        {
            node.Version = announcement["version"]?.GetValue<string>() ?? node.Version;
            node.BaseUrl = announcement["base_url"]?.GetValue<string>();
            node.StartedAt = announcement["started_at"]?.GetValue<string>();
            if (!live)
            {
                node.Cameras = cameras;
                return;
            }

            cameBack = node.Up == false;
            var wasUp = node.Up == true;
            node.Up = true;
            node.LastSeen = _time.GetTimestamp();
            node.LastSeenAt = _time.GetUtcNow();
            foreach (var (local, camera) in cameras)
            {
                var statusBefore = node.Cameras.GetValueOrDefault(local)?["status"]?.GetValue<string>();
                if (cameBack || (wasUp && !string.Equals(statusBefore, camera["status"]?.GetValue<string>(), StringComparison.Ordinal)))
                {
                    changed.Add(camera);
                }
            }

            node.Cameras = cameras;
        }

        if (cameBack)
        {
            LogNodeUp(_logger, node.Id);
            _metrics.RecordTransition(node.Id, up: true);
        }

        // A node that returns (or a change whose notification was lost while NATS was down) is reported like a hot-plug.
        foreach (var camera in changed)
        {
            _notifications.CameraStatus(node, camera);
        }
    }

    [LoggerMessage(EventId = 8022, Level = LogLevel.Warning, Message = "Fleet node {NodeId} lost (silent for more than {TimeoutSeconds} s); its cameras are DISCONNECTED")]
    private static partial void LogNodeDown(ILogger logger, string nodeId, double timeoutSeconds);

    [LoggerMessage(EventId = 8023, Level = LogLevel.Information, Message = "Fleet node {NodeId} is back")]
    private static partial void LogNodeUp(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 8025, Level = LogLevel.Warning, Message = "Fleet gateway ignored a malformed message on {Subject}: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string subject, string reason);
}

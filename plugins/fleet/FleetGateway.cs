using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;
using NATS.Net;

namespace CameraService.Plugins.Fleet;

/// <summary>What the gateway knows about one node. Guarded by its own lock.</summary>
internal sealed class FleetNodeState(string id)
{
    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    public string Version { get; set; } = "unknown";

    public string? BaseUrl { get; set; }

    public string? StartedAt { get; set; }

    /// <summary>Up (heard within <c>Fleet:NodeTimeout</c>), Down (lost), or null (known from KV, not heard yet).</summary>
    public bool? Up { get; set; }

    public long LastSeen { get; set; }

    public DateTimeOffset? LastSeenAt { get; set; }

    /// <summary>The node's cameras as it last reported them (node-local ids), by local id.</summary>
    public Dictionary<string, JsonObject> Cameras { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The gateway role's fleet view (<c>Fleet:Role=gateway</c>): listens to node announcements and notifications on
/// NATS, keeps each node's liveness (lost after <c>Fleet:NodeTimeout</c> of silence → its cameras
/// DISCONNECTED; heard again → CONNECTED, same ids), maps node-local camera ids to the gateway's
/// <c>camera&lt;N&gt;</c> ids (<see cref="CameraIds"/>), forwards notifications into the core's event hub, and
/// sends signed requests to nodes. Holds no state of its own beyond caches: everything is rebuilt from NATS.
/// </summary>
internal sealed partial class FleetGateway : BackgroundService
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly FleetOptions _options;
    private readonly FleetSigner _signer;
    private readonly FleetMetrics _metrics;
    private readonly IRpcNotificationPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetGateway> _logger;
    private readonly ConcurrentDictionary<string, FleetNodeState> _nodes = new(StringComparer.Ordinal);

    public FleetGateway(IOptions<FleetOptions> options, FleetSigner signer, FleetMetrics metrics, IRpcNotificationPublisher publisher, ILoggerFactory loggerFactory, TimeProvider time, ILogger<FleetGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _signer = signer;
        _metrics = metrics;
        _publisher = publisher;
        _time = time;
        _logger = logger;
        GatewayId = $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
        Nats = new NatsConnection(FleetNats.Options(_options, $"camera-service gateway {GatewayId}", loggerFactory));
        Ids = new CameraIds(Nats);
        _metrics.ObserveNodesWith(() => _nodes.Values.Select(n => (n.Id, n.Up == true)).ToList());
    }

    public string GatewayId { get; }

    public NatsConnection Nats { get; }

    public CameraIds Ids { get; }

    public IEnumerable<FleetNodeState> Nodes => _nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal);

    public bool TryGetNode(string id, out FleetNodeState node) => _nodes.TryGetValue(id, out node!);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reconnected = new SemaphoreSlim(0, 1);
        Nats.ConnectionOpened += (_, _) =>
        {
            LogConnected(_logger, GatewayId);
            _metrics.SetNatsConnected(true);
            reconnected.TryRelease();
            return ValueTask.CompletedTask;
        };
        Nats.ConnectionDisconnected += (_, _) =>
        {
            LogDisconnected(_logger, GatewayId);
            _metrics.SetNatsConnected(false);
            return ValueTask.CompletedTask;
        };

        await Task.WhenAll(
            Guard(() => HeartbeatsAsync(stoppingToken), stoppingToken),
            Guard(() => EventsAsync(stoppingToken), stoppingToken),
            Guard(() => LivenessAsync(stoppingToken), stoppingToken),
            Guard(() => CatchUpAsync(reconnected, stoppingToken), stoppingToken)).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Nats.DisposeAsync().ConfigureAwait(false);
        Ids.Dispose();
    }

    /// <summary>After every (re)connect: read the known nodes and bindings from KV, then ask every node to announce itself now.</summary>
    private async Task CatchUpAsync(SemaphoreSlim reconnected, CancellationToken stoppingToken)
    {
        await Nats.ConnectAsync().ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Ids.LoadAsync(stoppingToken).ConfigureAwait(false);
                await LoadKnownNodesAsync(stoppingToken).ConfigureAwait(false);
                await Nats.PublishAsync(FleetSubjects.Discover, Array.Empty<byte>(), cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or NatsKVException)
            {
                LogCatchUpFailed(_logger, ex.Message);
            }

            await reconnected.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task LoadKnownNodesAsync(CancellationToken cancellationToken)
    {
        var store = await Nats.CreateKeyValueStoreContext().CreateOrUpdateStoreAsync(new NatsKVConfig(FleetSubjects.NodeBucket) { History = 1 }, cancellationToken).ConfigureAwait(false);
        var keys = new List<string>();
        try
        {
            await foreach (var key in store.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                keys.Add(key);
            }
        }
        catch (NatsKVException)
        {
            // No node has announced itself yet.
        }

        foreach (var key in keys)
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

    private Task Guard(Func<Task> loop, CancellationToken stoppingToken) =>
        FleetLoop.GuardAsync(loop, ex => LogLoopFailed(_logger, ex), _time, stoppingToken);

    private async Task HeartbeatsAsync(CancellationToken stoppingToken)
    {
        await foreach (var msg in Nats.SubscribeAsync<byte[]>(FleetSubjects.AllHeartbeats, cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (msg.Data is { } data && JsonNode.Parse(data) is JsonObject announcement && announcement["node"]?.GetValue<string>() is { } id && FleetOptionsValidator.IsValidNodeId(id))
                {
                    var node = _nodes.GetOrAdd(id, i => new FleetNodeState(i));
                    await ApplyAnnouncementAsync(node, announcement, live: true, stoppingToken).ConfigureAwait(false);
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
            if (camera["device"]?.GetValue<string>() is { } local && camera["stable_id"]?.GetValue<string>() is { } stable)
            {
                await Ids.GetOrAssignAsync(node.Id, stable, cancellationToken).ConfigureAwait(false);
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
                var before = node.Cameras.GetValueOrDefault(local);
                var statusBefore = before?["status"]?.GetValue<string>();
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
            PublishCameraStatus(node, camera);
        }
    }

    private async Task LivenessAsync(CancellationToken stoppingToken)
    {
        var timeout = _options.NodeTimeoutValue;
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(period, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
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
                    PublishCameraStatus(node, copy);
                }
            }
        }
    }

    private void PublishCameraStatus(FleetNodeState node, JsonObject camera)
    {
        var payload = new JsonObject();
        foreach (var name in new[] { "device", "status", "name", "resolution", "fps", "streams", "stable_id" })
        {
            payload[name] = camera[name]?.DeepClone();
        }

        Rewrite(node, payload);
        Forward("camera_status_update", payload);
    }

    private async Task EventsAsync(CancellationToken stoppingToken)
    {
        await foreach (var msg in Nats.SubscribeAsync<byte[]>(FleetSubjects.AllEvents, cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var parts = msg.Subject.Split('.');
                if (parts.Length < 5 || msg.Data is not { } data || !_nodes.TryGetValue(parts[2], out var node) || JsonNode.Parse(data) is not JsonObject message)
                {
                    continue;
                }

                var method = message["method"]?.GetValue<string>();
                if (method is null || message["params"] is not JsonObject parameters)
                {
                    continue;
                }

                if (method == "camera_status_update" && parameters["device"]?.GetValue<string>() is { } local && parameters["stable_id"]?.GetValue<string>() is { } stable)
                {
                    await Ids.GetOrAssignAsync(node.Id, stable, stoppingToken).ConfigureAwait(false);
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

                Rewrite(node, parameters);
                Forward(method, parameters);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                LogBadMessage(_logger, msg.Subject, ex.Message);
            }
        }
    }

    private void Forward(string method, JsonObject parameters)
    {
        if (Topics(method, parameters["status"]?.GetValue<string>()) is not { } topics)
        {
            return;
        }

        var device = parameters["device"]?.GetValue<string>();
        _publisher.Publish(topics, method, device, Encoding.UTF8.GetBytes(parameters.ToJsonString(Compact)));
    }

    /// <summary>The contract's topics of a notification (api-contract.md §5); null for one this gateway does not know.</summary>
    private static string[]? Topics(string method, string? status) => method switch
    {
        "camera_status_update" => status switch
        {
            "CONNECTED" => ["camera.connected"],
            "DISCONNECTED" => ["camera.disconnected"],
            _ => ["camera.status_change"],
        },
        "recording_status_update" => status switch
        {
            "STARTED" => ["recording.start"],
            "STOPPED" => ["recording.stop"],
            _ => ["recording.error"],
        },
        "snapshot_taken" => ["snapshot.taken"],
        "storage_status_update" => status switch
        {
            "WARNING" => ["storage.warning"],
            "CRITICAL" => ["storage.critical"],
            _ => ["storage.warning", "storage.critical"],
        },
        "system_health_update" => ["system.health"],
        _ => null,
    };

    /// <summary>Sends one JSON-RPC request to a node, signed with the fleet credential, and returns its answer.</summary>
    public async Task<NodeAnswer> CallAsync(string nodeId, string method, JsonObject parameters, RoutedRpcCall call, CancellationToken cancellationToken)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = parameters };
        var body = Encoding.UTF8.GetBytes(request.ToJsonString(Compact));
        var headers = new NatsHeaders();
        foreach (var (key, value) in _signer.Sign(nodeId, GatewayId, call.UserId, RoleName(call.Role), body))
        {
            headers[key] = value;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = await Nats.RequestAsync<byte[], byte[]>(
                FleetSubjects.Rpc(nodeId),
                body,
                headers,
                replyOpts: new NatsSubOpts { Timeout = _options.RequestTimeoutValue },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (reply.Data is not { } data || JsonNode.Parse(data) is not JsonObject answer)
            {
                _metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "bad_reply");
                return NodeAnswer.Unreachable(nodeId, "the node sent no valid answer");
            }

            if (answer["error"] is JsonObject error)
            {
                _metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "error");
                return new NodeAnswer(null, error["code"]?.GetValue<int>() ?? RpcReplies.DependencyFailed, error["data"] as JsonObject);
            }

            _metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "ok");
            return new NodeAnswer(answer["result"], 0, null);
        }
        catch (NatsNoRespondersException)
        {
            _metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "no_responders");
            return NodeAnswer.Unreachable(nodeId, "the node is not connected to NATS");
        }
        catch (NatsNoReplyException)
        {
            _metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "timeout");
            return NodeAnswer.Unreachable(nodeId, "the node did not answer within Fleet:RequestTimeout");
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            _metrics.RecordRequest(nodeId, Stopwatch.GetElapsedTime(started), "nats_error");
            return NodeAnswer.Unreachable(nodeId, $"NATS is unavailable: {ex.Message}");
        }
    }

    public static string RoleName(ApiRole role) => role switch
    {
        ApiRole.Admin => "admin",
        ApiRole.Operator => "operator",
        _ => "viewer",
    };

    /// <summary>The node-local id of a camera of <paramref name="node"/> with this stable id, if the node reported it.</summary>
    public static string? LocalId(FleetNodeState node, string stableId)
    {
        lock (node.Gate)
        {
            return node.Cameras.FirstOrDefault(c => string.Equals(c.Value["stable_id"]?.GetValue<string>(), stableId, StringComparison.Ordinal)).Key;
        }
    }

    /// <summary>Learns every camera object (device + stable id) in a node's answer, so <see cref="Rewrite"/> can map it.</summary>
    public async Task LearnAsync(FleetNodeState node, JsonNode? answer, CancellationToken cancellationToken)
    {
        foreach (var camera in CameraObjects(answer))
        {
            if (camera["device"]?.GetValue<string>() is { } local && camera["stable_id"]?.GetValue<string>() is { } stable)
            {
                await Ids.GetOrAssignAsync(node.Id, stable, cancellationToken).ConfigureAwait(false);
                lock (node.Gate)
                {
                    if (!node.Cameras.ContainsKey(local))
                    {
                        node.Cameras[local] = (JsonObject)camera.DeepClone();
                    }
                }
            }
        }
    }

    private static IEnumerable<JsonObject> CameraObjects(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o.ContainsKey("device") && o.ContainsKey("stable_id"))
                {
                    yield return o;
                }

                foreach (var (_, child) in o.ToList())
                {
                    foreach (var c in CameraObjects(child))
                    {
                        yield return c;
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a.ToList())
                {
                    foreach (var c in CameraObjects(child))
                    {
                        yield return c;
                    }
                }

                break;
        }
    }

    /// <summary>
    /// Rewrites a node's answer or notification into the gateway's ids: every string equal to a node-local camera
    /// id becomes its <c>camera&lt;N&gt;</c>, file names starting with <c>&lt;local id&gt;_</c> get the gateway id
    /// as prefix (so a file name tells the gateway which node holds it), and camera objects get <c>node</c>.
    /// URLs are left alone: they point at the node that holds the file or stream.
    /// </summary>
    public void Rewrite(FleetNodeState node, JsonNode? answer)
    {
        Dictionary<string, string> map;
        lock (node.Gate)
        {
            map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (local, camera) in node.Cameras)
            {
                if (camera["stable_id"]?.GetValue<string>() is { } stable && Ids.TryGetId(node.Id, stable, out var id))
                {
                    map[local] = id;
                }
            }
        }

        RewriteNode(answer, map, node.Id, null);
    }

    private static void RewriteNode(JsonNode? value, Dictionary<string, string> map, string nodeId, string? key)
    {
        switch (value)
        {
            case JsonObject o:
                if (o.ContainsKey("device") && o.ContainsKey("stable_id"))
                {
                    o["node"] = nodeId;
                }

                foreach (var (name, child) in o.ToList())
                {
                    if (child is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        var mapped = IsFileKey(name) ? MapFileName(s, map) : map.GetValueOrDefault(s, s);
                        if (!ReferenceEquals(mapped, s) && mapped != s)
                        {
                            o[name] = mapped;
                        }
                    }
                    else
                    {
                        RewriteNode(child, map, nodeId, name);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        var mapped = key is not null && IsFileKey(key) ? MapFileName(s, map) : map.GetValueOrDefault(s, s);
                        if (mapped != s)
                        {
                            a[i] = mapped;
                        }
                    }
                    else
                    {
                        RewriteNode(a[i], map, nodeId, key);
                    }
                }

                break;
        }
    }

    private static bool IsFileKey(string key) => key is "filename" or "current_file" or "files";

    public static string MapFileName(string fileName, IReadOnlyDictionary<string, string> map)
    {
        var match = FilePrefix().Match(fileName);
        return match.Success && map.TryGetValue(match.Groups[1].Value, out var id) ? id + fileName[match.Groups[1].Length..] : fileName;
    }

    [GeneratedRegex("^(camera[0-9]+)_", RegexOptions.CultureInvariant)]
    public static partial Regex FilePrefix();

    [LoggerMessage(EventId = 8020, Level = LogLevel.Information, Message = "Fleet gateway {GatewayId} connected to NATS")]
    private static partial void LogConnected(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 8021, Level = LogLevel.Warning, Message = "Fleet gateway {GatewayId} lost NATS; nodes will be reported lost after Fleet:NodeTimeout")]
    private static partial void LogDisconnected(ILogger logger, string gatewayId);

    [LoggerMessage(EventId = 8022, Level = LogLevel.Warning, Message = "Fleet node {NodeId} lost (silent for more than {TimeoutSeconds} s); its cameras are DISCONNECTED")]
    private static partial void LogNodeDown(ILogger logger, string nodeId, double timeoutSeconds);

    [LoggerMessage(EventId = 8023, Level = LogLevel.Information, Message = "Fleet node {NodeId} is back")]
    private static partial void LogNodeUp(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 8024, Level = LogLevel.Warning, Message = "Fleet gateway: a NATS loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8025, Level = LogLevel.Warning, Message = "Fleet gateway ignored a malformed message on {Subject}: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string subject, string reason);

    [LoggerMessage(EventId = 8026, Level = LogLevel.Warning, Message = "Fleet gateway could not read the fleet's state from NATS: {Reason}")]
    private static partial void LogCatchUpFailed(ILogger logger, string reason);
}

/// <summary>A node's answer: a result, or a contract error code with its data.</summary>
internal sealed record NodeAnswer(JsonNode? Result, int ErrorCode, JsonObject? ErrorData)
{
    public bool IsError => ErrorCode != 0;

    public static NodeAnswer Unreachable(string nodeId, string detail) =>
        new(null, RpcReplies.DependencyFailed, new JsonObject { ["dependency"] = $"fleet node {nodeId}", ["detail"] = detail });
}

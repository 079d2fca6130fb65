using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CameraService.Plugins.Fleet;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;
using NATS.Net;

namespace CameraService.Perf.Fleet;

/// <summary>
/// A light in-process fleet node (docs/fleet.md, "Protocol summary") for the fleet scenario: a node process per box
/// is too heavy to run 50 of on two cores, so this speaks the node side of the protocol without a camera service
/// behind it. Everything on the wire comes from the fleet plugin's own code, linked into this tool
/// (<c>plugins/fleet/FleetNats.cs</c>, <c>FleetSigner.cs</c>, <c>FleetWire.cs</c>, <c>FleetOptions.cs</c>): the subjects
/// and queue group, the NATS client options, the announcement writer, the notification subject, the signature check
/// with the fleet credential and the refusal. What it does not share is the core behind a real node, so it answers
/// only <c>ping</c>, <c>get_camera_list</c> and <c>get_camera_status</c> (anything else is -32030
/// <c>not_simulated</c>, counted in <see cref="Unsupported"/>); its camera objects carry the keys a real node's
/// <c>get_camera_list</c> has, which the fleet scenario checks against a real node at every run ("(protocol-drift)").
/// </summary>
internal sealed class SimulatedNode : IAsyncDisposable
{
    public const string Version = "simulated";

    private readonly NatsConnection _nats;
    private readonly FleetSigner _signer;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _announceNow = new(0, 1);
    private readonly byte[] _announcement;
    private readonly JsonDocument _cameras;
    private readonly int _cameraCount;
    private readonly Random _jitter;
    private Task _loops = Task.CompletedTask;
    private long _requests;
    private long _refused;
    private long _unsupported;
    private long _heartbeats;

    private SimulatedNode(string id, int cameras, FleetOptions options, FleetSigner signer, string baseUrl, int seed)
    {
        Id = id;
        _cameraCount = cameras;
        _signer = signer;
        _interval = options.HeartbeatIntervalValue;
        _nats = new NatsConnection(FleetNats.Options(options, $"camera-service node {id} (simulated)", NullLoggerFactory.Instance));
        _cameras = JsonDocument.Parse(CamerasJson(id, cameras, baseUrl));
        var startedAt = TimeProvider.System.GetUtcNow().UtcDateTime.ToString("o", CultureInfo.InvariantCulture);
        _announcement = FleetAnnouncement.Write(id, Version, baseUrl, startedAt, _cameras.RootElement);
        _jitter = new Random(seed);
    }

    public string Id { get; }

    /// <summary>Requests answered (signed correctly).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests refused (bad or missing signature, expired, replayed).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Requests for a method the simulator does not implement.</summary>
    public long Unsupported => Interlocked.Read(ref _unsupported);

    public long Heartbeats => Interlocked.Read(ref _heartbeats);

    /// <summary>The announcement this node sends (heartbeat and KV).</summary>
    public ReadOnlyMemory<byte> Announcement => _announcement;

    /// <summary>Connects, subscribes to its request subject and to discovery, and starts heartbeating (first beat at a random point of the interval, as nodes started at different times would).</summary>
    public static async Task<SimulatedNode> StartAsync(string id, int cameras, FleetOptions options, FleetSigner signer, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var node = new SimulatedNode(id, cameras, options, signer, $"http://127.0.0.1:9/{id}", seed);
        try
        {
            await node._nats.ConnectAsync().ConfigureAwait(false);
            var requests = await node._nats.SubscribeCoreAsync<byte[]>(FleetSubjects.Rpc(id), FleetSubjects.NodeQueue(id), cancellationToken: cancellationToken).ConfigureAwait(false);
            var discover = await node._nats.SubscribeCoreAsync<byte[]>(FleetSubjects.Discover, cancellationToken: cancellationToken).ConfigureAwait(false);

            // The server handles a connection's messages in order, so its PONG means both SUBs are in place: a request
            // sent on another connection right after StartAsync finds a responder (not "no responders").
            await node._nats.PingAsync(cancellationToken).ConfigureAwait(false);
            node._loops = Task.WhenAll(
                Task.Run(() => node.ServeAsync(requests), CancellationToken.None),
                Task.Run(() => node.DiscoverAsync(discover), CancellationToken.None),
                Task.Run(node.HeartbeatAsync, CancellationToken.None));
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Publishes a JSON-RPC notification as a node forwards its own (same subject rule as FleetNode).</summary>
    public async ValueTask PublishAsync(byte[] notification, CancellationToken cancellationToken)
    {
        var subject = FleetEvents.SubjectOf(Id, notification) ?? throw new ArgumentException("a notification needs a method", nameof(notification));
        await _nats.PublishAsync(subject, notification, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A <c>snapshot_taken</c> notification (api-contract.md §5) of camera <paramref name="camera"/> whose file name carries <paramref name="sequence"/>.</summary>
    public static byte[] SnapshotTaken(int camera, long sequence)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteString("method", "snapshot_taken");
            writer.WriteStartObject("params");
            writer.WriteString("device", $"camera{camera}");
            writer.WriteString("filename", string.Create(CultureInfo.InvariantCulture, $"camera{camera}_{SequenceMarker}{sequence}.jpg"));
            writer.WriteNumber("file_size", 48_213);
            writer.WriteString("timestamp", TimeProvider.System.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>What precedes the sequence number in a simulated snapshot's file name.</summary>
    public const string SequenceMarker = "fleetperf-";

    /// <summary>The camera objects of a simulated node: the keys of the core's <c>Camera</c> (api-contract.md §3, CameraMethods.CameraProperties).</summary>
    public static string CamerasJson(string nodeId, int cameras, string baseUrl)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * Math.Max(1, cameras));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < cameras; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("device", $"camera{i}");
                writer.WriteString("status", "CONNECTED");
                writer.WriteString("name", $"Simulated camera {i} of {nodeId}");
                writer.WriteString("resolution", "320x240");
                writer.WriteNumber("fps", 5);
                writer.WriteStartObject("streams");
                writer.WriteString("rtsp", $"rtsp://127.0.0.1:8554/camera{i}");
                writer.WriteString("hls", $"{baseUrl}/hls/camera{i}/index.m3u8");
                writer.WriteNull("webrtc");
                writer.WriteEndObject();
                writer.WriteString("stable_id", $"simulator:{nodeId}:{i}");
                writer.WriteNull("device_path");
                writer.WriteString("source", "simulator");

                // The recording fields of the camera object (api-contract.md §8.1): a simulated camera is idle.
                writer.WriteBoolean("recording", false);
                writer.WriteNull("recording_session");
                writer.WriteNull("current_file");
                writer.WriteNull("elapsed_time");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        await _nats.DisposeAsync().ConfigureAwait(false);
        _cameras.Dispose();
        _announceNow.Dispose();
        _stop.Dispose();
    }

    private async Task ServeAsync(INatsSub<byte[]> requests)
    {
        await using (requests.ConfigureAwait(false))
        {
            await foreach (var msg in requests.Msgs.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                var body = msg.Data ?? [];
                byte[] reply;
                var refused = FleetRequest.Of(msg.Headers).Verify(_signer, Id, body);
                if (refused is not null)
                {
                    Interlocked.Increment(ref _refused);
                    reply = RpcReplies.Error(body, RpcReplies.AuthenticationFailed, refused);
                }
                else
                {
                    Interlocked.Increment(ref _requests);
                    reply = Answer(body);
                }

                if (msg.ReplyTo is not null)
                {
                    try
                    {
                        await msg.ReplyAsync(reply, cancellationToken: _stop.Token).ConfigureAwait(false);
                    }
                    catch (NatsException)
                    {
                        // NATS went away mid-reply: the gateway times out this call, as with a real node.
                    }
                }
            }
        }
    }

    private async Task DiscoverAsync(INatsSub<byte[]> discover)
    {
        await using (discover.ConfigureAwait(false))
        {
            await foreach (var _ in discover.Msgs.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_announceNow.CurrentCount == 0)
                {
                    try
                    {
                        _announceNow.Release();
                    }
                    catch (SemaphoreFullException)
                    {
                        // Already signalled.
                    }
                }
            }
        }
    }

    private async Task HeartbeatAsync()
    {
        var stop = _stop.Token;
        await Task.Delay(TimeSpan.FromMilliseconds(_jitter.NextDouble() * _interval.TotalMilliseconds), TimeProvider.System, stop).ConfigureAwait(false);
        INatsKVStore? store = null;
        var stored = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _nats.PublishAsync(FleetSubjects.Heartbeat(Id), _announcement, cancellationToken: stop).ConfigureAwait(false);
                Interlocked.Increment(ref _heartbeats);
                if (!stored)
                {
                    // Like FleetNode: the KV copy is written when the announcement changes (here: once per connection).
                    store ??= await _nats.CreateKeyValueStoreContext().CreateOrUpdateStoreAsync(new NatsKVConfig(FleetSubjects.NodeBucket) { History = 1 }, stop).ConfigureAwait(false);
                    await store.PutAsync(Id, _announcement, cancellationToken: stop).ConfigureAwait(false);
                    stored = true;
                }
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or InvalidOperationException)
            {
                store = null;
                stored = false;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
            wait.CancelAfter(_interval);
            try
            {
                await _announceNow.WaitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // The interval passed.
            }
        }
    }

    /// <summary>The answer to one verified request: ping, get_camera_list, get_camera_status; -32030 otherwise.</summary>
    private byte[] Answer(byte[] body)
    {
        using var request = JsonDocument.Parse(body);
        var root = request.RootElement;
        var method = root.TryGetProperty("method", out var m) ? m.GetString() : null;
        var device = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("device", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        switch (method)
        {
            case "ping":
                return Result(root, w => w.WriteStringValue("pong"));
            case "get_camera_list":
                return Result(root, w =>
                {
                    w.WriteStartObject();
                    w.WritePropertyName("cameras");
                    _cameras.RootElement.WriteTo(w);
                    w.WriteNumber("total", _cameraCount);
                    w.WriteNumber("connected", _cameraCount);
                    w.WriteEndObject();
                });
            case "get_camera_status":
                foreach (var camera in _cameras.RootElement.EnumerateArray())
                {
                    if (camera.GetProperty("device").GetString() == device)
                    {
                        return Result(root, w =>
                        {
                            w.WriteStartObject();
                            foreach (var property in camera.EnumerateObject())
                            {
                                property.WriteTo(w);
                            }

                            w.WriteStartObject("metrics");
                            w.WriteNumber("bytes_sent", 0);
                            w.WriteNumber("readers", 0);
                            w.WriteNumber("uptime", 60);
                            w.WriteEndObject();
                            w.WriteStartObject("capabilities");
                            w.WriteStartArray("formats");
                            w.WriteStringValue("H264");
                            w.WriteEndArray();
                            w.WriteStartArray("resolutions");
                            w.WriteStringValue("320x240");
                            w.WriteEndArray();
                            w.WriteEndObject();
                            w.WriteEndObject();
                        });
                    }
                }

                return RpcReplies.Error(body, RpcReplies.NotFound, "camera_not_found");
            default:
                Interlocked.Increment(ref _unsupported);
                return RpcReplies.Error(body, RpcReplies.Unsupported, "not_simulated");
        }
    }

    private static byte[] Result(JsonElement request, Action<Utf8JsonWriter> result)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("result");
            result(writer);
            writer.WritePropertyName("id");
            if (request.TryGetProperty("id", out var id))
            {
                id.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

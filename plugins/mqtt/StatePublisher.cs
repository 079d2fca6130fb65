using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The retained topics (docs/mqtt.md, "Topics"): camera state, recording, recording status, the latest snapshot,
/// storage, health and the Home Assistant discovery configs. It reads the state through the API on every signal
/// (a notification, a command, a reconnect) and every <c>Plugins:Mqtt:RefreshInterval</c>, publishes only what
/// changed (everything after a reconnect), and clears the topics of cameras that are gone, including cameras an
/// earlier run left retained on the broker.
/// </summary>
internal sealed class StatePublisher(MqttConnection connection, MqttTopics topics, MqttOptions options, string nodeId, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _refreshSignal = new(0, 1);
    private readonly ConcurrentDictionary<string, byte> _retainedCameras = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _snapshots = new(StringComparer.Ordinal);

    // Owned by the refresh loop only.
    private readonly Dictionary<string, byte[]> _lastPublished = new(StringComparer.Ordinal);
    private HashSet<string> _publishedCameras = new(StringComparer.Ordinal);
    private HomeAssistantDiscovery? _discovery;
    private int _fullRefresh;

    /// <summary>Asks for a refresh soon (one is pending at most).</summary>
    public void RequestRefresh()
    {
        try
        {
            _refreshSignal.Release();
        }
        catch (SemaphoreFullException)
        {
            // a refresh is already pending
        }
    }

    /// <summary>Asks for a refresh that republishes every retained topic (after a reconnect: the broker may have lost them).</summary>
    public void RequestFullRefresh()
    {
        Interlocked.Exchange(ref _fullRefresh, 1);
        RequestRefresh();
    }

    /// <summary>A camera's state is retained on the broker (maybe from an earlier run): it is cleared if the camera no longer exists.</summary>
    public void NoteRetainedCamera(string camera)
    {
        if (_retainedCameras.TryAdd(camera, 0))
        {
            RequestRefresh();
        }
    }

    /// <summary>Publishes a camera's latest snapshot (retained) and keeps it for the republish after a reconnect.</summary>
    public async Task PublishSnapshotAsync(string camera, byte[] jpeg, CancellationToken stop)
    {
        _snapshots[camera] = jpeg;
        await connection.PublishAsync(topics.Snapshot(camera), jpeg, retain: true, "snapshot", stop).ConfigureAwait(false);
    }

    /// <summary>The refresh loop, until <paramref name="stop"/>; <paramref name="api"/> is the bridge's read-only session.</summary>
    public async Task RunAsync(ApiSession api, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _refreshSignal.WaitAsync(options.RefreshInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!connection.IsConnected)
            {
                continue;
            }

            try
            {
                await RefreshAsync(api, Interlocked.Exchange(ref _fullRefresh, 0) == 1, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) // a failed refresh is retried on the next signal or interval; the bridge goes on
            {
                Log.RefreshFailed(logger, ex);
                Interlocked.Exchange(ref _fullRefresh, 1);
            }
        }
    }

    public void Dispose() => _refreshSignal.Dispose();

    /// <summary>Reads the state through the API and publishes what changed (everything after a reconnect).</summary>
    private async Task RefreshAsync(ApiSession api, bool full, CancellationToken stop)
    {
        if (full)
        {
            _lastPublished.Clear();
        }

        if (_discovery is null)
        {
            var info = await api.ResultAsync("get_server_info", null, stop).ConfigureAwait(false);
            var version = info.Result is { } r && r.TryGetProperty("version"u8, out var v) ? v.GetString() ?? "unknown" : "unknown";
            _discovery = new HomeAssistantDiscovery(topics, nodeId, version);
        }

        var list = await api.ResultAsync("get_camera_list", null, stop).ConfigureAwait(false);
        if (list.Result is not { } cameras)
        {
            throw new InvalidOperationException($"get_camera_list failed: {list.Error?.GetRawText()}");
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var camera in cameras.GetProperty("cameras"u8).EnumerateArray())
        {
            var id = camera.GetProperty("device"u8).GetString()!;
            known.Add(id);
            await PublishIfChangedAsync(topics.CameraState(id), Encoding.UTF8.GetBytes(camera.GetRawText()), "state", stop).ConfigureAwait(false);

            var recording = await api.ResultAsync("get_recording_status", w => w.WriteString("device", id), stop).ConfigureAwait(false);
            if (recording.Result is { } status)
            {
                var on = status.TryGetProperty("status"u8, out var s) && s.ValueEquals("RECORDING"u8);
                await PublishIfChangedAsync(topics.Recording(id), on ? "ON"u8.ToArray() : "OFF"u8.ToArray(), "state", stop).ConfigureAwait(false);
                await PublishIfChangedAsync(topics.RecordingStatus(id), Encoding.UTF8.GetBytes(status.GetRawText()), "state", stop).ConfigureAwait(false);
            }

            if (full && _snapshots.TryGetValue(id, out var snapshot))
            {
                await connection.PublishAsync(topics.Snapshot(id), snapshot, retain: true, "snapshot", stop).ConfigureAwait(false);
            }

            if (topics.DiscoveryEnabled)
            {
                var name = camera.TryGetProperty("name"u8, out var n) && n.GetString() is { Length: > 0 } text ? text : id;
                var model = camera.TryGetProperty("source"u8, out var src) ? src.GetString() : null;
                foreach (var message in _discovery.Camera(new DiscoveredCamera(id, name, model), options.Commands.Enabled))
                {
                    await PublishIfChangedAsync(message.Topic, message.Payload, "discovery", stop).ConfigureAwait(false);
                }
            }
        }

        if (topics.DiscoveryEnabled)
        {
            foreach (var message in _discovery.Service())
            {
                await PublishIfChangedAsync(message.Topic, message.Payload, "discovery", stop).ConfigureAwait(false);
            }
        }

        var storage = await api.ResultAsync("get_storage_info", null, stop).ConfigureAwait(false);
        if (storage.Result is { } storageInfo)
        {
            await PublishIfChangedAsync(topics.Storage, Encoding.UTF8.GetBytes(storageInfo.GetRawText()), "state", stop).ConfigureAwait(false);
        }

        var health = await api.ResultAsync("get_status", null, stop).ConfigureAwait(false);
        if (health.Result is { } healthInfo)
        {
            await PublishIfChangedAsync(topics.Health, Encoding.UTF8.GetBytes(healthInfo.GetRawText()), "state", stop).ConfigureAwait(false);
        }

        // Cameras that are gone (published before, or retained on the broker from an earlier run): clear their topics.
        var gone = _publishedCameras.Concat(_retainedCameras.Keys).Where(id => !known.Contains(id)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var id in gone)
        {
            await ClearCameraAsync(id, stop).ConfigureAwait(false);
        }

        _publishedCameras = known;
    }

    private async Task ClearCameraAsync(string id, CancellationToken stop)
    {
        var cleared = new List<string> { topics.CameraState(id), topics.Recording(id), topics.RecordingStatus(id), topics.Snapshot(id) };
        if (topics.DiscoveryEnabled && _discovery is not null)
        {
            cleared.AddRange(_discovery.RemoveCamera(id).Select(m => m.Topic));
        }

        var all = true;
        foreach (var topic in cleared)
        {
            all &= await connection.PublishAsync(topic, [], retain: true, "discovery", stop).ConfigureAwait(false);
            _lastPublished.Remove(topic);
        }

        if (all)
        {
            _retainedCameras.TryRemove(id, out _);
            _snapshots.TryRemove(id, out _);
            Log.CameraCleared(logger, id);
        }
    }

    private async Task PublishIfChangedAsync(string topic, byte[] payload, string kind, CancellationToken stop)
    {
        if (_lastPublished.TryGetValue(topic, out var previous) && previous.AsSpan().SequenceEqual(payload))
        {
            return;
        }

        if (await connection.PublishAsync(topic, payload, retain: true, kind, stop).ConfigureAwait(false))
        {
            _lastPublished[topic] = payload;
        }
    }
}

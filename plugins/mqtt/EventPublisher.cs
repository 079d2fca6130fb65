using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The service's notifications on MQTT: each one's <c>params</c> goes to <c>&lt;base&gt;/events/&lt;method&gt;</c> (not
/// retained) and asks the state for a refresh; a JPEG snapshot's bytes, read from the active media store, become the
/// camera's retained snapshot topic.
/// </summary>
/// <param name="connection">The broker connection.</param>
/// <param name="state">The retained state (refresh signal, snapshot topic).</param>
/// <param name="topics">The topic layout.</param>
/// <param name="options">The bridge's options (<c>SnapshotMaxBytes</c>).</param>
/// <param name="activeStore">The media store the service uses, or null when none is active.</param>
/// <param name="logger">The bridge's logger.</param>
internal sealed class EventPublisher(MqttConnection connection, StatePublisher state, MqttTopics topics, MqttOptions options, Func<IMediaStore?> activeStore, ILogger logger)
{
    /// <summary>Publishes every notification of <paramref name="notifications"/> until <paramref name="stop"/>.</summary>
    public Task RunAsync(ChannelReader<byte[]> notifications, CancellationToken stop) =>
        QueueReader.DrainAsync(notifications, HandleAsync, _ => "a notification", logger, stop);

    private async Task HandleAsync(byte[] message, CancellationToken stop)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        var method = root.GetProperty("method"u8).GetString()!;
        var parameters = root.TryGetProperty("params"u8, out var p) ? p : default;
        var payload = parameters.ValueKind == JsonValueKind.Undefined ? "{}"u8.ToArray() : Encoding.UTF8.GetBytes(parameters.GetRawText());
        await connection.PublishAsync(topics.Event(method), payload, retain: false, "event", stop).ConfigureAwait(false);

        if (method == "snapshot_taken"
            && parameters.TryGetProperty("device"u8, out var device) && device.GetString() is { } camera
            && parameters.TryGetProperty("filename"u8, out var file) && file.GetString() is { } fileName)
        {
            await PublishSnapshotAsync(camera, fileName, stop).ConfigureAwait(false);
            return;
        }

        state.RequestRefresh();
    }

    private async Task PublishSnapshotAsync(string camera, string fileName, CancellationToken stop)
    {
        // Home Assistant's MQTT camera shows the bytes as an image; PNG snapshots are left out (the topic is JPEG).
        if (!fileName.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) && !fileName.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        byte[] bytes;
        try
        {
            var store = activeStore();
            if (store is null)
            {
                return;
            }

            var info = await store.GetAsync(MediaKind.Snapshot, fileName, stop).ConfigureAwait(false);
            if (info.Size > options.SnapshotMaxBytes)
            {
                Log.SnapshotTooLarge(logger, fileName, camera, info.Size, options.SnapshotMaxBytes);
                return;
            }

            bytes = await File.ReadAllBytesAsync(info.Path, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CameraServiceException)
        {
            Log.SnapshotReadFailed(logger, ex, fileName, camera);
            return;
        }

        if (bytes.Length > options.SnapshotMaxBytes)
        {
            Log.SnapshotTooLarge(logger, fileName, camera, bytes.Length, options.SnapshotMaxBytes);
            return;
        }

        await state.PublishSnapshotAsync(camera, bytes, stop).ConfigureAwait(false);
    }
}

/// <summary>The one way the bridge works through a queue: in order, one at a time, a failed item logged and skipped.</summary>
internal static class QueueReader
{
    public static async Task DrainAsync<T>(ChannelReader<T> queue, Func<T, CancellationToken, Task> handle, Func<T, string> describe, ILogger logger, CancellationToken stop)
    {
        await foreach (var item in queue.ReadAllAsync(stop).ConfigureAwait(false))
        {
            try
            {
                await handle(item, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Log.Failed(logger, ex, describe(item));
            }
        }
    }
}

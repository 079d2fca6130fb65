using System.Buffers;
using System.Text.Json;

namespace CameraService.Plugins.Mqtt;

/// <summary>One discovery message: where it goes and its JSON (empty = remove the entity).</summary>
internal sealed record DiscoveryMessage(string Topic, byte[] Payload);

/// <summary>What the discovery payloads say about one camera.</summary>
internal sealed record DiscoveredCamera(string Id, string Name, string? Model);

/// <summary>
/// Home Assistant MQTT discovery (<c>&lt;prefix&gt;/&lt;component&gt;/&lt;unique id&gt;/config</c>, retained). Field names are
/// Home Assistant's: <c>unique_id</c>, <c>default_entity_id</c> (which replaced <c>object_id</c>), <c>device</c>
/// {<c>identifiers</c>, <c>name</c>, <c>model</c>, <c>manufacturer</c>, <c>sw_version</c>, <c>via_device</c>},
/// <c>availability</c> [{<c>topic</c>, <c>payload_available</c>, <c>payload_not_available</c>}], <c>origin</c>, and per
/// component <c>topic</c> (camera), <c>command_topic</c>/<c>state_topic</c>/<c>payload_on</c>/<c>payload_off</c> (switch),
/// <c>payload_press</c> (button), <c>device_class</c>/<c>value_template</c>/<c>unit_of_measurement</c> (sensors).
/// </summary>
internal sealed class HomeAssistantDiscovery(MqttTopics topics, string nodeId, string version)
{
    /// <summary>Every entity (component, suffix) a camera can have; used to clear all of them.</summary>
    public static readonly IReadOnlyList<(string Component, string Suffix)> CameraEntities =
    [
        ("camera", "snapshot"),
        ("switch", "recording"),
        ("binary_sensor", "recording"),
        ("button", "snapshot"),
        ("binary_sensor", "connected"),
        ("sensor", "recording_elapsed"),
    ];

    private string ServiceDeviceId => $"camera-service_{nodeId}";

    public string UniqueId(string cameraId, string suffix) => $"camera-service_{nodeId}_{cameraId}_{suffix}";

    /// <summary>The service's own entities (storage use), on a device that the camera devices hang off.</summary>
    public IReadOnlyList<DiscoveryMessage> Service()
    {
        var uniqueId = $"{ServiceDeviceId}_storage_used";
        return
        [
            new(topics.Discovery("sensor", uniqueId), Write(w =>
            {
                Common(w, uniqueId, "sensor", "Storage used", ServiceDevice);
                w.WriteString("state_topic", topics.Storage);
                w.WriteString("value_template", "{{ value_json.usage_percentage }}");
                w.WriteString("unit_of_measurement", "%");
                w.WriteString("state_class", "measurement");
                w.WriteString("icon", "mdi:harddisk");
                w.WriteString("json_attributes_topic", topics.Storage);
            })),
        ];
    }

    /// <summary>The entities of one camera; with commands off the recording switch and snapshot button are removed and a recording binary sensor stands in.</summary>
    public IReadOnlyList<DiscoveryMessage> Camera(DiscoveredCamera camera, bool commandsEnabled)
    {
        var id = camera.Id;
        var messages = new List<DiscoveryMessage>
        {
            Entity(camera, "camera", "snapshot", null, w =>
            {
                w.WriteString("topic", topics.Snapshot(id));
                w.WriteString("json_attributes_topic", topics.CameraState(id));
            }),
            Entity(camera, "binary_sensor", "connected", "Connected", w =>
            {
                w.WriteString("state_topic", topics.CameraState(id));
                w.WriteString("value_template", "{{ 'ON' if value_json.status == 'CONNECTED' else 'OFF' }}");
                w.WriteString("payload_on", "ON");
                w.WriteString("payload_off", "OFF");
                w.WriteString("device_class", "connectivity");
                w.WriteString("entity_category", "diagnostic");
            }),
            Entity(camera, "sensor", "recording_elapsed", "Recording elapsed time", w =>
            {
                w.WriteString("state_topic", topics.RecordingStatus(id));
                w.WriteString("value_template", "{{ value_json.elapsed_seconds | default(0, true) | round(0) }}");
                w.WriteString("unit_of_measurement", "s");
                w.WriteString("device_class", "duration");
                w.WriteString("state_class", "measurement");
                w.WriteString("json_attributes_topic", topics.RecordingStatus(id));
            }),
        };

        if (commandsEnabled)
        {
            messages.Add(Entity(camera, "switch", "recording", "Recording", w =>
            {
                w.WriteString("command_topic", topics.RecordingSet(id));
                w.WriteString("state_topic", topics.Recording(id));
                w.WriteString("payload_on", "ON");
                w.WriteString("payload_off", "OFF");
                w.WriteString("state_on", "ON");
                w.WriteString("state_off", "OFF");
                w.WriteNumber("qos", 1);
                w.WriteBoolean("retain", false);
                w.WriteBoolean("optimistic", false);
                w.WriteString("icon", "mdi:record-rec");
            }));
            messages.Add(Entity(camera, "button", "snapshot", "Take snapshot", w =>
            {
                w.WriteString("command_topic", topics.SnapshotSet(id));
                w.WriteString("payload_press", "PRESS");
                w.WriteNumber("qos", 1);
                w.WriteBoolean("retain", false);
                w.WriteString("icon", "mdi:camera");
            }));
            messages.Add(Remove(id, "binary_sensor", "recording"));
        }
        else
        {
            messages.Add(Entity(camera, "binary_sensor", "recording", "Recording", w =>
            {
                w.WriteString("state_topic", topics.Recording(id));
                w.WriteString("payload_on", "ON");
                w.WriteString("payload_off", "OFF");
                w.WriteString("icon", "mdi:record-rec");
            }));
            messages.Add(Remove(id, "switch", "recording"));
            messages.Add(Remove(id, "button", "snapshot"));
        }

        return messages;
    }

    /// <summary>Empty retained payloads for every entity of a camera: Home Assistant removes them.</summary>
    public IReadOnlyList<DiscoveryMessage> RemoveCamera(string cameraId) =>
        [.. CameraEntities.Select(e => Remove(cameraId, e.Component, e.Suffix))];

    private DiscoveryMessage Remove(string cameraId, string component, string suffix) =>
        new(topics.Discovery(component, UniqueId(cameraId, suffix)), []);

    private DiscoveryMessage Entity(DiscoveredCamera camera, string component, string suffix, string? name, Action<Utf8JsonWriter> specific)
    {
        var uniqueId = UniqueId(camera.Id, suffix);
        return new DiscoveryMessage(topics.Discovery(component, uniqueId), Write(w =>
        {
            Common(w, uniqueId, component, name, d => CameraDevice(d, camera));
            specific(w);
        }));
    }

    private void Common(Utf8JsonWriter w, string uniqueId, string component, string? name, Action<Utf8JsonWriter> device)
    {
        if (name is null)
        {
            w.WriteNull("name"); // the entity takes the device's name (Home Assistant's rule for the main entity)
        }
        else
        {
            w.WriteString("name", name);
        }

        w.WriteString("unique_id", uniqueId);
        w.WriteString("default_entity_id", $"{component}.{uniqueId.Replace('-', '_')}");
        w.WriteStartArray("availability");
        w.WriteStartObject();
        w.WriteString("topic", topics.Availability);
        w.WriteString("payload_available", "online");
        w.WriteString("payload_not_available", "offline");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("device");
        device(w);
        w.WriteEndObject();
        w.WriteStartObject("origin");
        w.WriteString("name", "camera-service");
        w.WriteString("sw_version", version);
        w.WriteEndObject();
    }

    private void ServiceDevice(Utf8JsonWriter w)
    {
        w.WriteStartArray("identifiers");
        w.WriteStringValue(ServiceDeviceId);
        w.WriteEndArray();
        w.WriteString("name", $"camera-service {nodeId}");
        w.WriteString("manufacturer", "camera-service");
        w.WriteString("model", "camera-service");
        w.WriteString("sw_version", version);
    }

    private void CameraDevice(Utf8JsonWriter w, DiscoveredCamera camera)
    {
        w.WriteStartArray("identifiers");
        w.WriteStringValue($"{ServiceDeviceId}_{camera.Id}");
        w.WriteEndArray();
        w.WriteString("name", camera.Name);
        w.WriteString("manufacturer", "camera-service");
        w.WriteString("model", camera.Model ?? "camera");
        w.WriteString("sw_version", version);
        w.WriteString("via_device", ServiceDeviceId);
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

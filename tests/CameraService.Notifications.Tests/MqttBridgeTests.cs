using System.Text.Json;
using CameraService.Observability.Tests;

namespace CameraService.Notifications.Tests;

/// <summary>
/// The mqtt plugin in the real camera-service (test-pattern cameras, ffmpeg backend) against a real Mosquitto on a
/// free loopback port. Topic layout: docs/mqtt.md.
/// </summary>
public sealed class MqttBridgeTests
{
    private const string Base = "camera-service/box1";
    private const string Discovery = "homeassistant";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    // The base topic is left to its default, camera-service/<Fleet:NodeId>.
    private static string[] Settings(MosquittoBroker broker, bool commands, params string[] extra) =>
    [
        "Plugins:Mqtt:Enabled=true",
        $"Plugins:Mqtt:Url={broker.Url}",
        "Fleet:NodeId=box1",
        "Plugins:Mqtt:ReconnectDelay=00:00:00.200",
        "Plugins:Mqtt:ReconnectMaxDelay=00:00:01",
        "Plugins:Mqtt:RefreshInterval=00:00:01",
        $"Plugins:Mqtt:Commands:Enabled={(commands ? "true" : "false")}",
        .. extra,
    ];

    private static string Unique(string camera, string suffix) => $"camera-service_box1_{camera}_{suffix}";

    [Fact]
    public async Task Bridge_Enabled_PublishesRetainedStateAndHomeAssistantDiscovery()
    {
        await using var broker = MosquittoBroker.Create();
        await broker.StartAsync();
        await using var service = ServiceUnderTest.Create(Settings(broker, commands: true));
        await service.StartAsync();

        // A subscriber that arrives after the bridge published gets everything from the broker's retained store.
        await using var first = await MqttProbe.ConnectAsync(broker.Port);
        await first.WaitAsync($"{Base}/availability", m => m.Text == "online", Wait, service.Output);
        await first.WaitAsync($"{Discovery}/sensor/camera-service_box1_storage_used/config", null, Wait, service.Output);
        await first.WaitAsync($"{Discovery}/button/{Unique("camera1", "snapshot")}/config", null, Wait, service.Output);
        await first.WaitAsync($"{Base}/health", null, Wait, service.Output);

        await using var probe = await MqttProbe.ConnectAsync(broker.Port);
        var availability = await probe.RetainedAsync($"{Base}/availability", null, Wait);
        Assert.Equal("online", availability.Text);

        foreach (var camera in new[] { "camera0", "camera1" })
        {
            var state = await probe.RetainedAsync($"{Base}/cameras/{camera}/state", null, Wait);
            var json = state.Json();
            Assert.Equal(camera, json.GetProperty("device").GetString());
            Assert.Equal("CONNECTED", json.GetProperty("status").GetString());
            Assert.True(json.TryGetProperty("resolution", out _), state.Text);

            var recording = await probe.RetainedAsync($"{Base}/cameras/{camera}/recording", null, Wait);
            Assert.Equal("OFF", recording.Text);
            var status = (await probe.WaitAsync($"{Base}/cameras/{camera}/recording/status", null, Wait)).Json();
            Assert.Equal("STOPPED", status.GetProperty("status").GetString());

            // Home Assistant discovery: the fields its MQTT schema requires, one device per camera.
            var cam = await Config(probe, "camera", Unique(camera, "snapshot"));
            Assert.Equal($"{Base}/cameras/{camera}/snapshot", cam.GetProperty("topic").GetString());
            var device = cam.GetProperty("device");
            Assert.Equal($"camera-service_box1_{camera}", device.GetProperty("identifiers")[0].GetString());
            Assert.False(string.IsNullOrEmpty(device.GetProperty("name").GetString()));
            foreach (var field in new[] { "model", "manufacturer", "sw_version" })
            {
                Assert.False(string.IsNullOrEmpty(device.GetProperty(field).GetString()), field);
            }

            Assert.Equal("camera-service_box1", device.GetProperty("via_device").GetString());

            var sw = await Config(probe, "switch", Unique(camera, "recording"));
            Assert.Equal($"{Base}/cameras/{camera}/recording/set", sw.GetProperty("command_topic").GetString());
            Assert.Equal($"{Base}/cameras/{camera}/recording", sw.GetProperty("state_topic").GetString());
            Assert.Equal("ON", sw.GetProperty("payload_on").GetString());
            Assert.Equal("OFF", sw.GetProperty("payload_off").GetString());
            Assert.Equal(1, sw.GetProperty("qos").GetInt32());

            var button = await Config(probe, "button", Unique(camera, "snapshot"));
            Assert.Equal($"{Base}/cameras/{camera}/snapshot/set", button.GetProperty("command_topic").GetString());
            Assert.False(string.IsNullOrEmpty(button.GetProperty("payload_press").GetString()));

            var connected = await Config(probe, "binary_sensor", Unique(camera, "connected"));
            Assert.Equal($"{Base}/cameras/{camera}/state", connected.GetProperty("state_topic").GetString());
            Assert.Equal("connectivity", connected.GetProperty("device_class").GetString());
            Assert.Contains("value_json.status", connected.GetProperty("value_template").GetString(), StringComparison.Ordinal);

            var elapsed = await Config(probe, "sensor", Unique(camera, "recording_elapsed"));
            Assert.Equal($"{Base}/cameras/{camera}/recording/status", elapsed.GetProperty("state_topic").GetString());
            Assert.Equal("s", elapsed.GetProperty("unit_of_measurement").GetString());
            Assert.Contains("value_json.elapsed_seconds", elapsed.GetProperty("value_template").GetString(), StringComparison.Ordinal);

            // No motion detection in this service yet: no motion entity.
            Assert.DoesNotContain(probe.Messages, m => m.Topic.Contains("motion", StringComparison.Ordinal));
        }

        var storage = await Config(probe, "sensor", "camera-service_box1_storage_used");
        Assert.Equal($"{Base}/storage", storage.GetProperty("state_topic").GetString());
        Assert.Equal("%", storage.GetProperty("unit_of_measurement").GetString());
        var storageState = await probe.RetainedAsync($"{Base}/storage", null, Wait);
        Assert.True(storageState.Json().GetProperty("usage_percentage").GetDouble() >= 0);
        var health = await probe.RetainedAsync($"{Base}/health", null, Wait);
        Assert.Contains(health.Json().GetProperty("status").GetString(), new[] { "HEALTHY", "DEGRADED", "UNHEALTHY" });

        // A recording started through the WebSocket API flips the recording topic; the notification goes to events/.
        var token = await service.CreateTokenAsync("operator");
        await using var api = await service.ConnectAsync(token);
        await api.ResultAsync("start_recording", new { device = "camera0" });
        await probe.WaitAsync($"{Base}/cameras/camera0/recording", m => m.Text == "ON", Wait, service.Output);
        var started = await probe.WaitAsync($"{Base}/events/recording_status_update", m => m.Json().GetProperty("status").GetString() == "STARTED", Wait);
        Assert.False(started.Retain);
        Assert.Equal("camera0", started.Json().GetProperty("device").GetString());
        await probe.WaitAsync($"{Base}/cameras/camera0/recording/status", m => m.Json().GetProperty("status").GetString() == "RECORDING", Wait);
        Assert.Equal("OFF", probe.Last($"{Base}/cameras/camera1/recording")!.Text);

        await api.ResultAsync("stop_recording", new { device = "camera0" });
        await probe.WaitAsync($"{Base}/cameras/camera0/recording", m => m.Text == "OFF", Wait, service.Output);

        // A clean stop says offline itself.
        await service.StopAsync();
        await probe.WaitAsync($"{Base}/availability", m => m.Text == "offline", Wait);
    }

    [Fact]
    public async Task Commands_Enabled_RunThroughTheApi_InvalidPayloadsExecuteNothing()
    {
        await using var broker = MosquittoBroker.Create();
        await broker.StartAsync();
        await using var service = ServiceUnderTest.Create(Settings(broker, commands: true));
        await service.StartAsync();
        await using var probe = await MqttProbe.ConnectAsync(broker.Port);
        await probe.WaitAsync($"{Base}/cameras/camera0/recording", m => m.Text == "OFF", Wait, service.Output);
        var token = await service.CreateTokenAsync("viewer");
        await using var api = await service.ConnectAsync(token);
        var resultTopic = $"{Base}/cameras/camera0/recording/result";

        // Invalid payloads: the contract's -32602, and nothing runs.
        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", "START PLEASE");
        var invalid = (await probe.WaitAsync(resultTopic, null, Wait, service.Output)).Json().GetProperty("error");
        Assert.Equal(-32602, invalid.GetProperty("code").GetInt32());
        Assert.Equal("Invalid params", invalid.GetProperty("message").GetString());
        Assert.Equal("payload", invalid.GetProperty("data").GetProperty("param").GetString());

        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", """{"duration": "soon"}""");
        await probe.WaitAsync(resultTopic, m => m.Text.Contains("\"duration\"", StringComparison.Ordinal), Wait, service.Output);
        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", """{"duration": "30s", "rm": "-rf"}""");
        await probe.WaitAsync(resultTopic, m => m.Text.Contains("\"rm\"", StringComparison.Ordinal), Wait, service.Output);
        Assert.Equal("STOPPED", (await api.ResultAsync("get_recording_status", new { device = "camera0" })).GetProperty("status").GetString());
        Assert.Equal(0, (await api.ResultAsync("list_recordings", new { device = "camera0" })).GetProperty("total").GetInt32());

        // ON starts a recording that the API shows; the result is the API's start_recording result.
        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", "ON");
        var on = (await probe.WaitAsync(resultTopic, m => m.Text.Contains("\"result\"", StringComparison.Ordinal), Wait, service.Output)).Json();
        Assert.Equal("RECORDING", on.GetProperty("result").GetProperty("status").GetString());
        var sessionId = on.GetProperty("result").GetProperty("session_id").GetString();
        var status = await api.ResultAsync("get_recording_status", new { device = "camera0" });
        Assert.Equal("RECORDING", status.GetProperty("status").GetString());
        Assert.Equal(sessionId, status.GetProperty("session_id").GetString());
        await probe.WaitAsync($"{Base}/cameras/camera0/recording", m => m.Text == "ON", Wait);

        // ON again: the API's own error (already recording), answered as is.
        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", "ON");
        var again = await probe.WaitAsync(resultTopic, m => m.Text.Contains("-32020", StringComparison.Ordinal), Wait, service.Output);
        Assert.Equal(-32020, again.Json().GetProperty("error").GetProperty("code").GetInt32());

        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", "OFF");
        var off = (await probe.WaitAsync(resultTopic, m => m.Text.Contains("\"STOPPED\"", StringComparison.Ordinal), Wait, service.Output)).Json();
        Assert.Equal(sessionId, off.GetProperty("result").GetProperty("session_id").GetString());
        Assert.Equal("STOPPED", (await api.ResultAsync("get_recording_status", new { device = "camera0" })).GetProperty("status").GetString());
        await probe.WaitAsync($"{Base}/cameras/camera0/recording", m => m.Text == "OFF", Wait);

        // A timed recording from JSON.
        await probe.PublishAsync($"{Base}/cameras/camera1/recording/set", """{"duration": "30s"}""");
        var timed = (await probe.WaitAsync($"{Base}/cameras/camera1/recording/result", m => m.Text.Contains("\"result\"", StringComparison.Ordinal), Wait, service.Output)).Json();
        Assert.Equal(30, timed.GetProperty("result").GetProperty("duration").GetDouble());
        Assert.Equal(30, (await api.ResultAsync("get_recording_status", new { device = "camera1" })).GetProperty("duration_limit").GetDouble());
        await probe.PublishAsync($"{Base}/cameras/camera1/recording/set", "OFF");
        await probe.WaitAsync($"{Base}/cameras/camera1/recording/result", m => m.Text.Contains("\"STOPPED\"", StringComparison.Ordinal), Wait, service.Output);

        // An unknown camera: the API's not-found error.
        await probe.PublishAsync($"{Base}/cameras/camera77/recording/set", "ON");
        var missing = (await probe.WaitAsync($"{Base}/cameras/camera77/recording/result", null, Wait, service.Output)).Json();
        Assert.Equal(-32010, missing.GetProperty("error").GetProperty("code").GetInt32());

        // The snapshot button: take_snapshot through the API, its result, and the JPEG on the retained snapshot topic.
        await probe.PublishAsync($"{Base}/cameras/camera0/snapshot/set", "PRESS");
        var shot = (await probe.WaitAsync($"{Base}/cameras/camera0/snapshot/result", null, Wait, service.Output)).Json();
        Assert.Equal("SUCCESS", shot.GetProperty("result").GetProperty("status").GetString());
        var image = await probe.WaitAsync($"{Base}/cameras/camera0/snapshot", null, Wait, service.Output);
        Assert.True(image.Payload.Length > 100);
        Assert.Equal(new byte[] { 0xFF, 0xD8 }, image.Payload[..2]);
        Assert.Equal(shot.GetProperty("result").GetProperty("file_size").GetInt64(), image.Payload.Length);
        var files = await api.ResultAsync("list_snapshots", new { device = "camera0" });
        Assert.Equal(shot.GetProperty("result").GetProperty("filename").GetString(), files.GetProperty("files")[0].GetProperty("filename").GetString());
        await using var late = await MqttProbe.ConnectAsync(broker.Port, $"{Base}/cameras/camera0/snapshot");
        Assert.Equal(image.Payload, (await late.RetainedAsync($"{Base}/cameras/camera0/snapshot", null, Wait)).Payload);
    }

    [Fact]
    public async Task Commands_Disabled_AreIgnoredAndLogged_AndARemovedCameraIsCleared()
    {
        await using var broker = MosquittoBroker.Create();
        await broker.StartAsync();
        await using var probe = await MqttProbe.ConnectAsync(broker.Port);
        await using (var service = ServiceUnderTest.Create(Settings(broker, commands: false)))
        {
            await service.StartAsync();
            await probe.WaitAsync($"{Base}/cameras/camera1/state", null, Wait, service.Output);
            var recordingSensor = await Config(probe, "binary_sensor", Unique("camera0", "recording"), retained: false);
            Assert.Equal($"{Base}/cameras/camera0/recording", recordingSensor.GetProperty("state_topic").GetString());
            Assert.DoesNotContain(probe.Messages, m => m.Topic == $"{Discovery}/switch/{Unique("camera0", "recording")}/config" && m.Payload.Length > 0);

            await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", "ON");
            await probe.PublishAsync($"{Base}/cameras/camera0/snapshot/set", "PRESS");
            await service.Process.WaitUntilAsync(
                () => service.Output.Split('\n').Count(l => l.Contains("ignored: commands are disabled", StringComparison.Ordinal)) >= 2,
                Wait,
                "the bridge to log the two ignored commands");
            var token = await service.CreateTokenAsync("viewer");
            await using var api = await service.ConnectAsync(token);
            Assert.Equal("STOPPED", (await api.ResultAsync("get_recording_status", new { device = "camera0" })).GetProperty("status").GetString());
            Assert.Equal(0, (await api.ResultAsync("list_snapshots", new { device = "camera0" })).GetProperty("total").GetInt32());
            Assert.DoesNotContain(probe.Messages, m => m.Topic.EndsWith("/result", StringComparison.Ordinal));
            await service.StopAsync();
        }

        // The next run knows one camera only (fresh state, one test-pattern camera): camera1's topics are cleared.
        await using (var service = ServiceUnderTest.Create(Settings(broker, commands: false, "Plugins:TestPattern:Count=1")))
        {
            await service.StartAsync();
            foreach (var topic in new[]
            {
                $"{Base}/cameras/camera1/state",
                $"{Base}/cameras/camera1/recording",
                $"{Discovery}/camera/{Unique("camera1", "snapshot")}/config",
                $"{Discovery}/binary_sensor/{Unique("camera1", "connected")}/config",
                $"{Discovery}/binary_sensor/{Unique("camera1", "recording")}/config",
                $"{Discovery}/sensor/{Unique("camera1", "recording_elapsed")}/config",
            })
            {
                await probe.WaitAsync(topic, m => m.Payload.Length == 0, Wait, service.Output);
            }

            await using var late = await MqttProbe.ConnectAsync(broker.Port);
            await late.WaitAsync($"{Base}/cameras/camera0/state", null, Wait);
            await late.WaitAsync($"{Discovery}/camera/{Unique("camera0", "snapshot")}/config", null, Wait);
            Assert.DoesNotContain(late.Messages, m => m.Topic.Contains("camera1", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Broker_DownAtStartThenKilledAndRestarted_ApiUnaffected_StateRepublished_LastWillOnKill()
    {
        await using var broker = MosquittoBroker.Create();
        await using var service = ServiceUnderTest.Create(Settings(broker, commands: true));

        // No broker yet: the service starts, is ready and serves the API.
        await service.StartAsync();
        var token = await service.CreateTokenAsync("admin");
        await using var api = await service.ConnectAsync(token);
        Assert.Equal(2, (await api.ResultAsync("get_camera_list")).GetProperty("total").GetInt32());
        await service.Process.WaitUntilAsync(() => service.Output.Contains("cannot connect to", StringComparison.Ordinal), Wait, "a failed connection attempt");
        var (_, health) = await service.HealthAsync("/health/ready");
        Assert.Equal("ready", health.GetProperty("status").GetString());

        // The broker arrives: the bridge connects by itself.
        await broker.StartAsync();
        await using (var probe = await MqttProbe.ConnectAsync(broker.Port))
        {
            await probe.WaitAsync($"{Base}/availability", m => m.Text == "online", Wait, service.Output);
            await probe.WaitAsync($"{Base}/cameras/camera0/state", null, Wait, service.Output);
        }

        // Killed (retained messages lost with it) and restarted: everything is republished.
        await broker.KillAsync();
        Assert.Equal("pong", (await api.ResultAsync("ping")).GetString());
        await api.ResultAsync("start_recording", new { device = "camera1" });
        Assert.Equal("RECORDING", (await api.ResultAsync("get_recording_status", new { device = "camera1" })).GetProperty("status").GetString());
        await broker.StartAsync();
        await using (var probe = await MqttProbe.ConnectAsync(broker.Port))
        {
            await probe.WaitAsync($"{Base}/availability", m => m.Text == "online", Wait, service.Output);
            await probe.WaitAsync($"{Base}/cameras/camera1/recording", m => m.Text == "ON", Wait, service.Output);
            await probe.WaitAsync($"{Discovery}/switch/{Unique("camera1", "recording")}/config", null, Wait, service.Output);
            await probe.WaitAsync($"{Base}/storage", null, Wait, service.Output);

            // Republished as retained: a subscriber arriving now gets them from the broker.
            await using (var late = await MqttProbe.ConnectAsync(broker.Port))
            {
                await late.RetainedAsync($"{Base}/cameras/camera0/state", null, Wait);
                await late.RetainedAsync($"{Base}/cameras/camera1/recording", m => m.Text == "ON", Wait);
                await Config(late, "switch", Unique("camera1", "recording"));
                await late.RetainedAsync($"{Base}/storage", null, Wait);
            }

            // Killed without a goodbye: the broker publishes the last will.
            await service.Process.SignalAsync("KILL");
            var will = await probe.WaitAsync($"{Base}/availability", m => m.Text == "offline", Wait);
            Assert.Equal("offline", will.Text);
        }

        await using var after = await MqttProbe.ConnectAsync(broker.Port, $"{Base}/availability");
        var retained = await after.RetainedAsync($"{Base}/availability", null, Wait);
        Assert.Equal("offline", retained.Text);
    }

    [Fact]
    public async Task Bridge_MqttsWithClientCertificate_Connects_CommandsRunWithTheConfiguredRole()
    {
        using var certificates = TestCertificates.Create();
        await using var broker = MosquittoBroker.Create(certificates);
        await broker.StartAsync();
        await using var probe = await MqttProbe.ConnectAsync(broker.Port);
        await using var service = ServiceUnderTest.Create(Settings(
            broker,
            commands: true,
            "Plugins:Mqtt:Commands:Role=viewer",
            $"Plugins:Mqtt:Url=mqtts://127.0.0.1:{broker.TlsPort}",
            $"Plugins:Mqtt:CaCertificatePath={certificates.CaPath}",
            $"Plugins:Mqtt:ClientCertificatePath={certificates.ClientCertificatePath}",
            $"Plugins:Mqtt:ClientKeyPath={certificates.ClientKeyPath}"));
        await service.StartAsync();

        // The probe listens on the broker's plain listener; the bridge can only have come in over mutual TLS.
        await probe.WaitAsync($"{Base}/availability", m => m.Text == "online", Wait, service.Output + broker.Output);
        await probe.WaitAsync($"{Base}/cameras/camera0/state", null, Wait, service.Output);
        await service.Process.WaitUntilAsync(() => service.Output.Contains($"connected to mqtts://127.0.0.1:{broker.TlsPort}", StringComparison.Ordinal), Wait, "the connected log line");

        // Commands run with the configured role: a viewer may not record (the API's -32002).
        await probe.PublishAsync($"{Base}/cameras/camera0/recording/set", "ON");
        var denied = (await probe.WaitAsync($"{Base}/cameras/camera0/recording/result", null, Wait, service.Output)).Json().GetProperty("error");
        Assert.Equal(-32002, denied.GetProperty("code").GetInt32());
        Assert.Equal("operator", denied.GetProperty("data").GetProperty("required_role").GetString());
        Assert.Equal("OFF", (await probe.WaitAsync($"{Base}/cameras/camera0/recording", null, Wait)).Text);
    }

    /// <summary>A discovery config with the fields every entity needs; <paramref name="retained"/> for a probe that subscribed after it was published.</summary>
    private static async Task<JsonElement> Config(MqttProbe probe, string component, string uniqueId, bool retained = true)
    {
        var message = await probe.WaitAsync($"{Discovery}/{component}/{uniqueId}/config", m => m.Payload.Length > 0 && m.Retain == retained, Wait);
        var json = message.Json();
        Assert.Equal(uniqueId, json.GetProperty("unique_id").GetString());
        Assert.StartsWith(component + ".", json.GetProperty("default_entity_id").GetString(), StringComparison.Ordinal);
        var availability = json.GetProperty("availability")[0];
        Assert.Equal($"{Base}/availability", availability.GetProperty("topic").GetString());
        Assert.Equal("online", availability.GetProperty("payload_available").GetString());
        Assert.Equal("offline", availability.GetProperty("payload_not_available").GetString());
        Assert.True(json.GetProperty("device").GetProperty("identifiers").GetArrayLength() > 0);
        Assert.Equal("camera-service", json.GetProperty("origin").GetProperty("name").GetString());
        return json;
    }
}

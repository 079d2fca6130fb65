using System.Diagnostics.Metrics;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The bridge's instruments (meter <c>CameraService.Mqtt</c>; the service exports every <c>CameraService*</c> meter at
/// <c>/metrics</c>).
/// </summary>
internal sealed class MqttMetrics : IDisposable
{
    public const string MeterName = "CameraService.Mqtt";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishFailures;
    private readonly Counter<long> _connects;
    private readonly Counter<long> _commands;
    private int _connected;

    public MqttMetrics()
    {
        _meter.CreateObservableGauge("camera_service.mqtt.connected", () => Volatile.Read(ref _connected), description: "1 while the bridge is connected to the broker, else 0");
        _published = _meter.CreateCounter<long>("camera_service.mqtt.published", description: "MQTT messages published, by kind (state, event, discovery, snapshot, result)");
        _publishFailures = _meter.CreateCounter<long>("camera_service.mqtt.publish_failures", description: "MQTT publishes that failed (broker gone), by kind");
        _connects = _meter.CreateCounter<long>("camera_service.mqtt.connect_attempts", description: "Connection attempts to the broker, by outcome (success, failure)");
        _commands = _meter.CreateCounter<long>("camera_service.mqtt.commands", description: "Commands received, by command and outcome (success, error, invalid, ignored)");
    }

    public bool Connected
    {
        set => Volatile.Write(ref _connected, value ? 1 : 0);
    }

    public void Published(string kind) => _published.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void PublishFailed(string kind) => _publishFailures.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void ConnectAttempt(bool success) => _connects.Add(1, new KeyValuePair<string, object?>("outcome", success ? "success" : "failure"));

    public void Command(string command, string outcome) =>
        _commands.Add(1, new KeyValuePair<string, object?>("command", command), new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}

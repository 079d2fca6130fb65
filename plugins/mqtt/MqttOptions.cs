using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Mqtt;

/// <summary>Options of the mqtt plugin, bound from <c>Plugins:Mqtt</c> (docs/mqtt.md).</summary>
internal sealed class MqttOptions
{
    public const string SectionName = "Plugins:Mqtt";

    /// <summary>
    /// Whether the bridge connects. Unset means false: the plugin loads but stays idle, so an installation never
    /// talks to a broker unless asked to (<c>false</c> written explicitly also makes the host skip loading it).
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Broker URL: <c>mqtt://host[:1883]</c> or <c>mqtts://host[:8883]</c>; user and password may be given as <c>mqtt://user:pass@host</c>.</summary>
    public string Url { get; set; } = "mqtt://127.0.0.1:1883";

    /// <summary>User name (overrides one in the URL).</summary>
    public string? Username { get; set; }

    /// <summary>Password (overrides one in the URL).</summary>
    public string? Password { get; set; }

    /// <summary>PEM client certificate for mutual TLS (with <see cref="ClientKeyPath"/>).</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>PEM private key of the client certificate.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>PEM CA certificate that signed the broker's certificate, when it is not in the system store.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>MQTT client id; default <c>camera-service-&lt;node&gt;</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>Topic prefix; default <c>camera-service/&lt;Fleet:NodeId or host name&gt;</c>.</summary>
    public string? BaseTopic { get; set; }

    /// <summary>Home Assistant discovery prefix; empty turns discovery off.</summary>
    public string DiscoveryPrefix { get; set; } = "homeassistant";

    /// <summary>Largest snapshot published on <c>&lt;base&gt;/cameras/&lt;id&gt;/snapshot</c>; bigger ones are skipped (logged).</summary>
    public int SnapshotMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>How often the storage, health and recording-elapsed topics are refreshed (events refresh them at once too).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before reconnecting to the broker; doubled after each failure.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between reconnection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>MQTT keep-alive period.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Commands received over MQTT.</summary>
    public MqttCommandsOptions Commands { get; set; } = new();
}

/// <summary>The command part of <see cref="MqttOptions"/> (<c>Plugins:Mqtt:Commands</c>).</summary>
internal sealed class MqttCommandsOptions
{
    /// <summary>Whether <c>…/recording/set</c> and <c>…/snapshot/set</c> are executed; off = ignored and logged.</summary>
    public bool Enabled { get; set; }

    /// <summary>The API role the commands run with: <c>viewer</c>, <c>operator</c> or <c>admin</c>.</summary>
    public string Role { get; set; } = "operator";
}

/// <summary>Checks <see cref="MqttOptions"/> at start, with messages that name the key to fix.</summary>
internal sealed class MqttOptionsValidator : IValidateOptions<MqttOptions>
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!BrokerAddress.TryParse(options.Url, out _, out var urlError))
        {
            errors.Add($"Plugins:Mqtt:Url {urlError}");
        }

        if (string.IsNullOrWhiteSpace(options.ClientCertificatePath) != string.IsNullOrWhiteSpace(options.ClientKeyPath))
        {
            errors.Add("Plugins:Mqtt:ClientCertificatePath and Plugins:Mqtt:ClientKeyPath go together (PEM files): set both or neither.");
        }

        if (options.BaseTopic is { } baseTopic && !MqttTopics.IsValidBase(baseTopic))
        {
            errors.Add($"Plugins:Mqtt:BaseTopic '{baseTopic}' must be a non-empty topic without '+', '#', a leading or trailing '/'.");
        }

        if (!string.IsNullOrEmpty(options.DiscoveryPrefix) && !MqttTopics.IsValidBase(options.DiscoveryPrefix))
        {
            errors.Add($"Plugins:Mqtt:DiscoveryPrefix '{options.DiscoveryPrefix}' must be a topic without '+', '#', a leading or trailing '/' (or empty to turn discovery off).");
        }

        if (options.SnapshotMaxBytes is < 1024 or > 256 * 1024 * 1024)
        {
            errors.Add($"Plugins:Mqtt:SnapshotMaxBytes must be between 1024 and 268435456 (was {options.SnapshotMaxBytes}).");
        }

        if (!MqttRoles.TryParse(options.Commands.Role, out _))
        {
            errors.Add($"Plugins:Mqtt:Commands:Role '{options.Commands.Role}' must be viewer, operator or admin.");
        }

        Interval(errors, options.RefreshInterval, "Plugins:Mqtt:RefreshInterval");
        Interval(errors, options.ReconnectDelay, "Plugins:Mqtt:ReconnectDelay");
        Interval(errors, options.ReconnectMaxDelay, "Plugins:Mqtt:ReconnectMaxDelay");
        Interval(errors, options.KeepAlive, "Plugins:Mqtt:KeepAlive");
        if (options.ReconnectMaxDelay < options.ReconnectDelay)
        {
            errors.Add("Plugins:Mqtt:ReconnectMaxDelay must not be shorter than Plugins:Mqtt:ReconnectDelay.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Interval(List<string> errors, TimeSpan value, string key)
    {
        if (value < TimeSpan.FromMilliseconds(10) || value > MaxInterval)
        {
            errors.Add($"{key} must be between 10 ms and 1 hour (was {value}); e.g. 00:00:10 for 10 seconds.");
        }
    }
}

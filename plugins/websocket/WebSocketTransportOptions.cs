using System.Net;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// Settings of the WebSocket transport, bound from the <c>Api</c> section (the contract names these keys
/// explicitly, so they do not live under <c>Plugins:websocket</c>). Defaults are the contract's.
/// </summary>
internal sealed class WebSocketTransportOptions
{
    public const string SectionName = "Api";

    /// <summary>IP address to listen on; <c>0.0.0.0</c> (all IPv4), <c>::</c> (all IPv6) or <c>localhost</c>.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>TCP port; 0 picks a free port (see <c>IApiTransport.Addresses</c>).</summary>
    public int Port { get; set; } = 8002;

    /// <summary>Path of the WebSocket endpoint.</summary>
    public string Path { get; set; } = "/ws";

    /// <summary>TLS settings; both paths set turns on wss/https.</summary>
    public TlsSettings Tls { get; set; } = new();

    /// <summary>Largest accepted client message (all frames of one message); larger closes with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Concurrent WebSocket sessions; more are refused with HTTP 503 before the upgrade.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Concurrent WebSocket sessions from one client address; more are refused with HTTP 503 before the upgrade.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>Reverse proxies (addresses or CIDR ranges) whose <c>X-Forwarded-For</c> names the client for the per-address limit.</summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>Bytes (responses and notifications) that may wait for a session's writer, besides <see cref="OutboundQueueLength"/>.</summary>
    public long MaxQueuedBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Interval of the server's WebSocket pings.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the server waits for the pong of a ping before dropping the peer.</summary>
    public TimeSpan PongTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Allowed <c>Origin</c> values (scheme://host[:port]); empty allows every origin. <c>*</c> allows all.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Messages (responses and notifications) that may wait for a session's writer.</summary>
    public int OutboundQueueLength { get; set; } = 256;

    /// <summary>
    /// Notifications a session may drop (queue full) without ever catching up (queue drained to empty)
    /// before it is closed with 1008.
    /// </summary>
    public int MaxDroppedNotifications { get; set; } = 64;

    /// <summary>A single send that takes longer than this aborts the session (the peer stopped reading).</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a close handshake may take before the connection is aborted.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>TCP listen backlog (the kernel caps it at <c>net.core.somaxconn</c>).</summary>
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>Kestrel's <c>UnsafePreferInlineScheduling</c>: run request code on I/O threads (less CPU, riskier with blocking code).</summary>
    public bool InlineScheduling { get; set; }

    /// <summary>Whether TLS is configured.</summary>
    public bool UseTls => !string.IsNullOrWhiteSpace(Tls.CertificatePath) || !string.IsNullOrWhiteSpace(Tls.KeyPath);

    /// <summary>TLS certificate and key, PEM files.</summary>
    internal sealed class TlsSettings
    {
        /// <summary>PEM certificate (chain) file.</summary>
        public string? CertificatePath { get; set; }

        /// <summary>PEM private key file (unencrypted).</summary>
        public string? KeyPath { get; set; }
    }

    /// <summary>Parses <see cref="BindAddress"/>; null for <c>localhost</c>.</summary>
    public static bool TryParseBindAddress(string value, out IPAddress? address)
    {
        address = null;
        if (string.Equals(value, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (value is "*" or "+")
        {
            address = IPAddress.Any;
            return true;
        }

        return IPAddress.TryParse(value, out address);
    }
}

/// <summary>Checks <see cref="WebSocketTransportOptions"/> at start, with messages that say which key to fix.</summary>
internal sealed class WebSocketTransportOptionsValidator : IValidateOptions<WebSocketTransportOptions>
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, WebSocketTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!WebSocketTransportOptions.TryParseBindAddress(options.BindAddress, out _))
        {
            errors.Add($"Api:BindAddress '{options.BindAddress}' is not an IP address; use e.g. 0.0.0.0, ::, 127.0.0.1 or localhost.");
        }

        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"Api:Port {options.Port} is out of range; use 1-65535 (or 0 for a free port).");
        }

        if (string.IsNullOrEmpty(options.Path) || options.Path[0] != '/' || options.Path.Contains('{', StringComparison.Ordinal))
        {
            errors.Add($"Api:Path '{options.Path}' must start with '/' and contain no route parameters, e.g. /ws.");
        }

        if (options.UseTls && (string.IsNullOrWhiteSpace(options.Tls.CertificatePath) || string.IsNullOrWhiteSpace(options.Tls.KeyPath)))
        {
            errors.Add("Api:Tls needs both CertificatePath and KeyPath (PEM files), or neither.");
        }

        Positive(errors, options.MaxMessageBytes, "Api:MaxMessageBytes");
        Positive(errors, options.MaxConnections, "Api:MaxConnections");
        Positive(errors, options.MaxConnectionsPerAddress, "Api:MaxConnectionsPerAddress");
        if (options.MaxQueuedBytes < 64 * 1024)
        {
            errors.Add($"Api:MaxQueuedBytes must be at least 65536 (was {options.MaxQueuedBytes}).");
        }

        foreach (var proxy in options.TrustedProxies)
        {
            if (!ClientAddress.TryParse(proxy, out _))
            {
                errors.Add($"Api:TrustedProxies entry '{proxy}' is not an IP address or CIDR range, e.g. 10.0.0.5 or 10.0.0.0/24.");
            }
        }

        Positive(errors, options.OutboundQueueLength, "Api:OutboundQueueLength");
        Positive(errors, options.MaxDroppedNotifications, "Api:MaxDroppedNotifications");
        Positive(errors, options.ListenBacklog, "Api:ListenBacklog");
        Interval(errors, options.PingInterval, "Api:PingInterval");
        Interval(errors, options.PongTimeout, "Api:PongTimeout");
        Interval(errors, options.SendTimeout, "Api:SendTimeout");
        Interval(errors, options.CloseTimeout, "Api:CloseTimeout");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, int value, string key)
    {
        if (value <= 0)
        {
            errors.Add($"{key} must be greater than 0 (was {value}).");
        }
    }

    // TimeSpan values bind with TimeSpan.Parse, where "30" means 30 days: catch that mistake here.
    private static void Interval(List<string> errors, TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero || value > MaxInterval)
        {
            errors.Add($"{key} must be between 00:00:00.001 and 01:00:00 written as hh:mm:ss (was {value}); e.g. 00:00:30 for 30 seconds.");
        }
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Options of fleet mode, bound from <c>Fleet</c> (docs/fleet.md). The section is <c>Fleet:*</c> rather than
/// <c>Plugins:Fleet:*</c> because api-contract.md §8.6 names the keys (<c>Fleet:Role</c>, <c>Fleet:NodeId</c>,
/// <c>Fleet:Nats:Url</c>); the plugin is only their implementation. Everything binds as text and is checked by
/// <see cref="FleetOptionsValidator"/>, so a bad value is one line naming the key (exit 2), never a binder exception.
/// </summary>
internal sealed class FleetOptions
{
    public const string SectionName = "Fleet";

    /// <summary><c>standalone</c> (default), <c>node</c> or <c>gateway</c>.</summary>
    public string? Role { get; set; }

    /// <summary>This node's id (node role): lower-case letters, digits, <c>-</c>, <c>_</c>; a NATS subject token.</summary>
    public string? NodeId { get; set; }

    /// <summary>How long a node may stay silent before the gateway reports its cameras DISCONNECTED.</summary>
    public string? NodeTimeout { get; set; }

    /// <summary>How often a node announces itself.</summary>
    public string? HeartbeatInterval { get; set; }

    /// <summary>How long the gateway waits for a node's answer.</summary>
    public string? RequestTimeout { get; set; }

    /// <summary>The fleet credential: the shared secret gateways sign requests with and nodes verify (≥ 32 bytes).</summary>
    public string? Secret { get; set; }

    /// <summary>A file holding the fleet credential (alternative to <see cref="Secret"/>).</summary>
    public string? SecretFile { get; set; }

    /// <summary>How old a signed request may be (and how long its nonce is remembered).</summary>
    public string? ReplayWindow { get; set; }

    /// <summary>The NATS connection.</summary>
    public NatsSettings Nats { get; set; } = new();

    public FleetRole ParsedRole => FleetOptionsValidator.ParseRole(Role) ?? FleetRole.Standalone;

    public TimeSpan NodeTimeoutValue => FleetOptionsValidator.ParseDuration(NodeTimeout) ?? TimeSpan.FromSeconds(5);

    public TimeSpan HeartbeatIntervalValue => FleetOptionsValidator.ParseDuration(HeartbeatInterval) ?? TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(200).Ticks, NodeTimeoutValue.Ticks / 5));

    public TimeSpan RequestTimeoutValue => FleetOptionsValidator.ParseDuration(RequestTimeout) ?? TimeSpan.FromSeconds(30);

    public TimeSpan ReplayWindowValue => FleetOptionsValidator.ParseDuration(ReplayWindow) ?? TimeSpan.FromSeconds(30);

    /// <summary>The fleet credential's bytes (from <see cref="Secret"/> or <see cref="SecretFile"/>).</summary>
    public byte[] SecretBytes()
    {
        if (!string.IsNullOrEmpty(Secret))
        {
            return System.Text.Encoding.UTF8.GetBytes(Secret);
        }

        return string.IsNullOrEmpty(SecretFile) ? [] : System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(SecretFile).Trim());
    }
}

/// <summary>The <c>Fleet:Nats</c> section: where NATS is and how to authenticate to it.</summary>
internal sealed class NatsSettings
{
    /// <summary>Server URL(s), comma-separated (<c>nats://127.0.0.1:4222</c>; <c>tls://</c> for TLS).</summary>
    public string? Url { get; set; }

    /// <summary>User name (with <see cref="Password"/>).</summary>
    public string? User { get; set; }

    /// <summary>Password of <see cref="User"/>.</summary>
    public string? Password { get; set; }

    /// <summary>An authentication token.</summary>
    public string? Token { get; set; }

    /// <summary>A file with an NKey seed (<c>SU…</c>).</summary>
    public string? NKeyFile { get; set; }

    /// <summary>A NATS credentials file (JWT + seed).</summary>
    public string? CredsFile { get; set; }

    /// <summary>TLS settings.</summary>
    public NatsTlsSettings Tls { get; set; } = new();
}

/// <summary>The <c>Fleet:Nats:Tls</c> section.</summary>
internal sealed class NatsTlsSettings
{
    /// <summary>Require TLS (also implied by a <c>tls://</c> URL).</summary>
    public string? Required { get; set; }

    /// <summary>CA bundle to trust (PEM).</summary>
    public string? CaFile { get; set; }

    /// <summary>Client certificate (PEM) for mutual TLS.</summary>
    public string? CertFile { get; set; }

    /// <summary>Key of <see cref="CertFile"/> (PEM).</summary>
    public string? KeyFile { get; set; }
}

internal enum FleetRole
{
    Standalone,
    Node,
    Gateway,
}

/// <summary>Checks the <c>Fleet</c> section; each failure is one line that names its key.</summary>
internal sealed partial class FleetOptionsValidator : IValidateOptions<FleetOptions>
{
    public const int MinimumSecretBytes = 32;

    public static FleetRole? ParseRole(string? role) => role?.Trim().ToLowerInvariant() switch
    {
        null or "" or "standalone" => FleetRole.Standalone,
        "node" => FleetRole.Node,
        "gateway" => FleetRole.Gateway,
        _ => null,
    };

    /// <summary>Parses <c>5s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c> or <c>hh:mm:ss</c>; null when absent or malformed.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var match = DurationPattern().Match(text.Trim());
        if (match.Success)
        {
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" or "" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
    }

    public ValidateOptionsResult Validate(string? name, FleetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var role = ParseRole(options.Role);
        if (role is null)
        {
            errors.Add($"Fleet:Role must be standalone, node or gateway (got '{options.Role}').");
        }

        CheckDuration(errors, "Fleet:NodeTimeout", options.NodeTimeout, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(10));
        CheckDuration(errors, "Fleet:HeartbeatInterval", options.HeartbeatInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        CheckDuration(errors, "Fleet:RequestTimeout", options.RequestTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        CheckDuration(errors, "Fleet:ReplayWindow", options.ReplayWindow, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        if (errors.Count == 0 && options.HeartbeatIntervalValue >= options.NodeTimeoutValue)
        {
            errors.Add("Fleet:HeartbeatInterval must be shorter than Fleet:NodeTimeout, or a healthy node would be reported lost.");
        }

        if (role is FleetRole.Node or FleetRole.Gateway)
        {
            if (role == FleetRole.Node && (options.NodeId is null || !NodeIdPattern().IsMatch(options.NodeId)))
            {
                errors.Add($"Fleet:NodeId must be set for Fleet:Role=node: 1-64 characters of a-z, 0-9, '-' and '_' (got '{options.NodeId}').");
            }

            CheckSecret(errors, options);
            CheckNats(errors, options.Nats);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static bool IsValidNodeId(string? id) => id is not null && NodeIdPattern().IsMatch(id);

    private static void CheckSecret(List<string> errors, FleetOptions options)
    {
        if (!string.IsNullOrEmpty(options.SecretFile) && !File.Exists(options.SecretFile))
        {
            errors.Add($"Fleet:SecretFile names a file that does not exist: {options.SecretFile}");
            return;
        }

        byte[] secret;
        try
        {
            secret = options.SecretBytes();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"Fleet:SecretFile cannot be read: {ex.Message}");
            return;
        }

        if (secret.Length < MinimumSecretBytes)
        {
            errors.Add($"Fleet:Secret (or Fleet:SecretFile) must hold the fleet credential, at least {MinimumSecretBytes} bytes, the same on every node and gateway.");
        }
    }

    private static void CheckNats(List<string> errors, NatsSettings nats)
    {
        foreach (var url in (nats.Url ?? "nats://127.0.0.1:4222").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || string.IsNullOrEmpty(uri.Host))
            {
                errors.Add($"Fleet:Nats:Url must be nats://host:port (or tls://, ws://, wss://), comma-separated for a cluster (got '{url}').");
            }
        }

        if (!string.IsNullOrEmpty(nats.Password) && string.IsNullOrEmpty(nats.User))
        {
            errors.Add("Fleet:Nats:Password needs Fleet:Nats:User.");
        }

        foreach (var (key, path) in new[] { ("Fleet:Nats:NKeyFile", nats.NKeyFile), ("Fleet:Nats:CredsFile", nats.CredsFile), ("Fleet:Nats:Tls:CaFile", nats.Tls.CaFile), ("Fleet:Nats:Tls:CertFile", nats.Tls.CertFile), ("Fleet:Nats:Tls:KeyFile", nats.Tls.KeyFile) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                errors.Add($"{key} names a file that does not exist: {path}");
            }
        }

        if (string.IsNullOrEmpty(nats.Tls.CertFile) != string.IsNullOrEmpty(nats.Tls.KeyFile))
        {
            errors.Add("Fleet:Nats:Tls:CertFile and Fleet:Nats:Tls:KeyFile go together (mutual TLS).");
        }

        if (!string.IsNullOrEmpty(nats.Tls.Required) && !bool.TryParse(nats.Tls.Required, out _))
        {
            errors.Add($"Fleet:Nats:Tls:Required must be true or false (got '{nats.Tls.Required}').");
        }
    }

    private static void CheckDuration(List<string> errors, string key, string? text, TimeSpan min, TimeSpan max)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        var value = ParseDuration(text);
        if (value is null || value < min || value > max)
        {
            errors.Add($"{key} must be a duration between {min.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s and {max.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s, e.g. 5s, 500ms or 00:00:05 (got '{text}').");
        }
    }

    [GeneratedRegex("^([0-9]+(?:\\.[0-9]+)?)\\s*(ms|s|m|h|)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NodeIdPattern();
}

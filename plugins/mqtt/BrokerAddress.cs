using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Mqtt;

/// <summary>The broker of <c>Plugins:Mqtt:Url</c>: <c>mqtt://[user[:password]@]host[:port]</c> or <c>mqtts://…</c>.</summary>
internal sealed record BrokerAddress(string Host, int Port, bool Tls, string? Username, string? Password)
{
    public static bool TryParse(string? url, out BrokerAddress? address, out string error)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
        {
            error = $"'{url}' is not a URL; use mqtt://host:1883 or mqtts://host:8883.";
            return false;
        }

        var tls = uri.Scheme switch
        {
            "mqtt" or "tcp" => false,
            "mqtts" or "ssl" => true,
            _ => (bool?)null,
        };
        if (tls is null)
        {
            error = $"scheme '{uri.Scheme}' is not supported; use mqtt:// or mqtts://.";
            return false;
        }

        if (string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/") || !string.IsNullOrEmpty(uri.Query))
        {
            error = $"'{Redact(url)}' must be just mqtt[s]://[user:password@]host[:port] (no path or query).";
            return false;
        }

        string? user = null;
        string? password = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
        }

        var port = uri.IsDefaultPort || uri.Port <= 0 ? (tls.Value ? 8883 : 1883) : uri.Port;
        address = new BrokerAddress(uri.Host, port, tls.Value, user, password);
        error = string.Empty;
        return true;
    }

    /// <summary>The URL with any password replaced by <c>***</c>, for logs.</summary>
    public static string Redact(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (at < 0 || scheme < 0 || at < scheme)
        {
            return url;
        }

        var colon = url.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at)) : url;
    }

    public override string ToString() => $"{(Tls ? "mqtts" : "mqtt")}://{Host}:{Port}";
}

/// <summary>The API roles by their configuration names (<c>viewer</c>, <c>operator</c>, <c>admin</c>; the core's parser is not visible to plugins).</summary>
internal static class MqttRoles
{
    public static bool TryParse(string? text, out ApiRole role) =>
        Enum.TryParse(text?.Trim(), ignoreCase: true, out role)
        && Enum.IsDefined(role)
        && text!.Trim().All(char.IsAsciiLetter); // "2" or "viewer,admin" are not role names
}

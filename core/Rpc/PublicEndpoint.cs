using System.Net;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Rpc;

/// <summary>
/// The service's public base URL (<c>Api:PublicBaseUrl</c>, else <c>http(s)://&lt;Api:PublicHost or host name&gt;:&lt;Api:Port&gt;</c>),
/// used to build absolute URLs such as <c>download_url</c>.
/// </summary>
internal sealed class PublicEndpoint
{
    public PublicEndpoint(IOptions<ApiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        if (o.PublicBaseUrl is { Length: > 0 } configured)
        {
            BaseUrl = configured.TrimEnd('/');
        }
        else
        {
            var host = o.PublicHost is { Length: > 0 } h ? h : Dns.GetHostName();
            var scheme = o.Tls.CertificatePath is { Length: > 0 } ? "https" : "http";
            BaseUrl = $"{scheme}://{host}:{o.Port}";
        }

        Host = new Uri(BaseUrl).Host;
        WebSocketPath = o.Path is { Length: > 0 } path ? path : "/ws";
    }

    /// <summary>The path of the JSON-RPC WebSocket endpoint (<c>Api:Path</c>, default <c>/ws</c>).</summary>
    public string WebSocketPath { get; }

    /// <summary>The base URL without a trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>The host name part of <see cref="BaseUrl"/>.</summary>
    public string Host { get; }

    /// <summary>An absolute URL for a path (<c>/files/recordings/x.mp4</c>) with an optional <c>token</c> query value.</summary>
    public string BuildUrl(string path, string? token = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var url = BaseUrl + (path.StartsWith('/') ? path : "/" + path);
        return token is null ? url : url + "?token=" + Uri.EscapeDataString(token);
    }
}

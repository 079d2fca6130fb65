using System.Net;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Rtsp;

/// <summary>Options of the rtsp plugin, bound from <c>Plugins:Rtsp</c> (docs/rtsp.md).</summary>
internal sealed class RtspOptions
{
    public const string SectionName = "Plugins:Rtsp";

    /// <summary>Streams offered as cameras from configuration (cannot be removed over the API).</summary>
    public List<ConfiguredStream> Streams { get; set; } = [];

    /// <summary>The ffprobe executable that probes codec, size, rate and audio of a stream.</summary>
    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>How long one probe (connect + analysis) may take.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Period of the keep-alive (RTSP DESCRIBE) of a connected stream.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First delay before probing an unreachable stream again; doubled after each failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between two probes of an unreachable stream.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How RTSP media is carried to the backends: <c>automatic</c>, <c>tcp</c> or <c>udp</c>.</summary>
    public string Transport { get; set; } = "tcp";

    /// <summary>At most this many streams (configured + added).</summary>
    public int MaxStreams { get; set; } = 64;

    /// <summary>Discovery of streams on configured targets.</summary>
    public DiscoveryOptions Discovery { get; set; } = new();
}

/// <summary>One stream of <c>Plugins:Rtsp:Streams</c>.</summary>
internal sealed class ConfiguredStream
{
    public string Url { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string? Type { get; set; }
}

/// <summary><c>Plugins:Rtsp:Discovery</c>.</summary>
internal sealed class DiscoveryOptions
{
    /// <summary>Off by default: discovery answers -32030 feature_disabled, as the original does.</summary>
    public bool Enabled { get; set; }

    /// <summary>Period of the background scan in seconds (0 = on demand); <c>set_discovery_interval</c> overrides it (persisted).</summary>
    public int ScanInterval { get; set; }

    /// <summary>What the RTSP probe may touch; nothing else is ever scanned.</summary>
    public List<DiscoveryTarget> Targets { get; set; } = [];

    /// <summary>Probes running at once.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Connect + answer timeout of one probe.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most addresses one scan may probe (CIDR ranges count every address).</summary>
    public int MaxAddresses { get; set; } = 1024;

    /// <summary>ONVIF WS-Discovery.</summary>
    public OnvifOptions Onvif { get; set; } = new();
}

/// <summary>One entry of <c>Plugins:Rtsp:Discovery:Targets</c>.</summary>
internal sealed class DiscoveryTarget
{
    /// <summary>Addresses or CIDR ranges (<c>192.0.2.10</c>, <c>192.0.2.0/28</c>).</summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary><c>skydio</c> (ports 5554, paths /subject and /infrared) or empty for generic.</summary>
    public string? Profile { get; set; }

    /// <summary>Ports (default 554, or 5554 for the Skydio profile).</summary>
    public List<int> Ports { get; set; } = [];

    /// <summary>Paths (default <c>/</c>, or /subject and /infrared for the Skydio profile).</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>Credentials for the probe (DESCRIBE) of this target, if it needs them.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }
}

/// <summary><c>Plugins:Rtsp:Discovery:Onvif</c>.</summary>
internal sealed class OnvifOptions
{
    public bool Enabled { get; set; }

    /// <summary>Where the WS-Discovery Probe is sent: the standard multicast group (a test uses a loopback responder).</summary>
    public string ProbeAddress { get; set; } = "239.255.255.250:3702";

    /// <summary>How long to collect ProbeMatch answers.</summary>
    public TimeSpan ProbeWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Credentials for GetProfiles / GetStreamUri (WS-Security UsernameToken).</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }
}

/// <summary>Rejects what the plugin cannot use, one message per key.</summary>
internal sealed class RtspOptionsValidator : IValidateOptions<RtspOptions>
{
    public ValidateOptionsResult Validate(string? name, RtspOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        for (var i = 0; i < options.Streams.Count; i++)
        {
            var s = options.Streams[i];
            if (!StreamUrl.TryParse(s.Url, out _, out var why))
            {
                errors.Add($"Plugins:Rtsp:Streams:{i}:Url {why}");
            }

            if (string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > 100)
            {
                errors.Add($"Plugins:Rtsp:Streams:{i}:Name must be 1-100 characters.");
            }

            if (s.Type is { Length: > 0 } t && t is not ("skydio" or "generic"))
            {
                errors.Add($"Plugins:Rtsp:Streams:{i}:Type must be skydio or generic.");
            }
        }

        if (options.Streams.Select(s => StreamUrl.TryParse(s.Url, out var u, out _) ? u!.StableId : s.Url).Distinct(StringComparer.Ordinal).Count() != options.Streams.Count)
        {
            errors.Add("Plugins:Rtsp:Streams lists the same URL twice.");
        }

        if (options.ProbeTimeout < TimeSpan.FromSeconds(1) || options.ProbeTimeout > TimeSpan.FromMinutes(2))
        {
            errors.Add("Plugins:Rtsp:ProbeTimeout must be between 00:00:01 and 00:02:00.");
        }

        if (options.WatchInterval < TimeSpan.FromMilliseconds(200) || options.WatchInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add("Plugins:Rtsp:WatchInterval must be between 00:00:00.2 and 00:10:00.");
        }

        if (options.InitialBackoff < TimeSpan.FromMilliseconds(100) || options.MaxBackoff < options.InitialBackoff || options.MaxBackoff > TimeSpan.FromHours(1))
        {
            errors.Add("Plugins:Rtsp:InitialBackoff must be at least 00:00:00.1 and Plugins:Rtsp:MaxBackoff between it and 01:00:00.");
        }

        if (options.Transport is not ("automatic" or "tcp" or "udp"))
        {
            errors.Add("Plugins:Rtsp:Transport must be automatic, tcp or udp.");
        }

        if (options.MaxStreams is < 1 or > 1024)
        {
            errors.Add("Plugins:Rtsp:MaxStreams must be between 1 and 1024.");
        }

        if (string.IsNullOrWhiteSpace(options.FfprobePath))
        {
            errors.Add("Plugins:Rtsp:FfprobePath must name the ffprobe executable.");
        }

        ValidateDiscovery(options.Discovery, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateDiscovery(DiscoveryOptions d, List<string> errors)
    {
        if (d.ScanInterval is < 0 or > 86400)
        {
            errors.Add("Plugins:Rtsp:Discovery:ScanInterval must be between 0 and 86400 seconds.");
        }

        if (d.MaxConcurrency is < 1 or > 256)
        {
            errors.Add("Plugins:Rtsp:Discovery:MaxConcurrency must be between 1 and 256.");
        }

        if (d.Timeout < TimeSpan.FromMilliseconds(100) || d.Timeout > TimeSpan.FromSeconds(30))
        {
            errors.Add("Plugins:Rtsp:Discovery:Timeout must be between 00:00:00.1 and 00:00:30.");
        }

        if (d.MaxAddresses is < 1 or > 65536)
        {
            errors.Add("Plugins:Rtsp:Discovery:MaxAddresses must be between 1 and 65536.");
        }

        for (var i = 0; i < d.Targets.Count; i++)
        {
            var t = d.Targets[i];
            if (t.Hosts.Count == 0)
            {
                errors.Add($"Plugins:Rtsp:Discovery:Targets:{i}:Hosts must list at least one address or CIDR range.");
            }

            foreach (var h in t.Hosts)
            {
                if (!AddressRange.TryParse(h, out _))
                {
                    errors.Add($"Plugins:Rtsp:Discovery:Targets:{i}:Hosts: '{h}' is not an IP address or CIDR range.");
                }
            }

            if (t.Profile is { Length: > 0 } p && p != "skydio")
            {
                errors.Add($"Plugins:Rtsp:Discovery:Targets:{i}:Profile must be skydio or empty.");
            }

            if (t.Ports.Any(port => port is < 1 or > 65535))
            {
                errors.Add($"Plugins:Rtsp:Discovery:Targets:{i}:Ports must be between 1 and 65535.");
            }

            if (t.Paths.Any(path => !path.StartsWith('/')))
            {
                errors.Add($"Plugins:Rtsp:Discovery:Targets:{i}:Paths must start with '/'.");
            }
        }

        if (d.Onvif.Enabled && !IPEndPoint.TryParse(d.Onvif.ProbeAddress, out _))
        {
            errors.Add("Plugins:Rtsp:Discovery:Onvif:ProbeAddress must be address:port.");
        }

        if (d.Onvif.ProbeWait < TimeSpan.FromMilliseconds(100) || d.Onvif.ProbeWait > TimeSpan.FromSeconds(30))
        {
            errors.Add("Plugins:Rtsp:Discovery:Onvif:ProbeWait must be between 00:00:00.1 and 00:00:30.");
        }
    }
}

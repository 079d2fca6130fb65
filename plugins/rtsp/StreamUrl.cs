using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// An RTSP URL split into the part that may be shown (no credentials) and the credentials, which only the 0600
/// store, the probe and the backends' capture input ever see.
/// </summary>
internal sealed record StreamUrl(Uri Url, string? UserName, string? Password)
{
    /// <summary>The camera's stable id: derived from the URL without credentials, so re-adding a URL finds its camera again.</summary>
    public string StableId
    {
        get
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Url.AbsoluteUri));
            return "rtsp-" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
        }
    }

    /// <summary>The port, with the scheme's default.</summary>
    public int Port => Url.IsDefaultPort || Url.Port <= 0 ? (Url.Scheme == "rtsps" ? 322 : 554) : Url.Port;

    /// <summary>The URL for people and the API: <c>rtsp://user:***@host/path</c> (no password ever).</summary>
    public string Display
    {
        get
        {
            if (UserName is null)
            {
                return Url.AbsoluteUri;
            }

            var b = new UriBuilder(Url) { UserName = Uri.EscapeDataString(UserName), Password = "***" };
            return b.Uri.AbsoluteUri.Replace("%2A%2A%2A@", "***@", StringComparison.Ordinal);
        }
    }

    /// <summary>The URL with credentials, for the probe only.</summary>
    public string WithCredentials
    {
        get
        {
            if (UserName is null)
            {
                return Url.AbsoluteUri;
            }

            var b = new UriBuilder(Url) { UserName = Uri.EscapeDataString(UserName), Password = Uri.EscapeDataString(Password ?? string.Empty) };
            return b.Uri.AbsoluteUri;
        }
    }

    /// <summary>Replaces every trace of the password (plain or escaped) in <paramref name="text"/> with <c>***</c>.</summary>
    public string Scrub(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Replace(WithCredentials, Display, StringComparison.Ordinal);
        if (Password is { Length: > 0 } p)
        {
            text = text.Replace(Uri.EscapeDataString(p), "***", StringComparison.Ordinal).Replace(p, "***", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Parses and checks a stream URL: rtsp or rtsps, a host, no fragment.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out StreamUrl? url, out string why)
    {
        url = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 2048)
        {
            why = "must be an rtsp:// or rtsps:// URL of at most 2048 characters.";
            return false;
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("rtsp" or "rtsps"))
        {
            why = "must be an rtsp:// or rtsps:// URL (e.g. rtsp://192.0.2.10:554/stream1).";
            return false;
        }

        if (string.IsNullOrEmpty(uri.Host) || uri.Fragment.Length > 0 || uri.Host.Contains('*', StringComparison.Ordinal))
        {
            why = "must name a host and have no #fragment.";
            return false;
        }

        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            if (password == "***")
            {
                why = "carries '***' as password: give the real password (the API never shows it back).";
                return false;
            }
        }

        var bare = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
        url = new StreamUrl(bare, user, password);
        why = string.Empty;
        return true;
    }

    /// <summary>The stream kind of the original: <c>subject</c>/<c>infrared</c> for the Skydio paths, else <c>generic</c>.</summary>
    public string StreamKind => Url.AbsolutePath.TrimEnd('/') switch
    {
        var p when p.EndsWith("/subject", StringComparison.OrdinalIgnoreCase) => "subject",
        var p when p.EndsWith("/infrared", StringComparison.OrdinalIgnoreCase) => "infrared",
        _ => "generic",
    };

    /// <summary>The category derived from the URL: Skydio's port 5554 with /subject or /infrared, else generic.</summary>
    public string DefaultType => Port == 5554 && StreamKind != "generic" ? "skydio" : "generic";
}

/// <summary>An address or a CIDR range of <c>Plugins:Rtsp:Discovery:Targets:*:Hosts</c>.</summary>
internal sealed record AddressRange(IPAddress First, int PrefixLength)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out AddressRange? range)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(slash < 0 ? text : text[..slash], out var address))
        {
            return false;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix < 0 || prefix > max))
        {
            return false;
        }

        range = new AddressRange(address, prefix);
        return true;
    }

    /// <summary>How many addresses the range holds (capped to avoid overflow).</summary>
    public long Count
    {
        get
        {
            var bits = (First.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) - PrefixLength;
            return bits >= 62 ? long.MaxValue : 1L << bits;
        }
    }

    /// <summary>The addresses, at most <paramref name="limit"/>; a /24 or wider IPv4 range leaves out network and broadcast addresses.</summary>
    public IEnumerable<IPAddress> Addresses(long limit)
    {
        var bytes = First.GetAddressBytes();
        var total = bytes.Length * 8;
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var hostBits = total - PrefixLength;
        var mask = (BigInteger.One << hostBits) - 1;
        var network = value & ~mask;
        var count = BigInteger.One << hostBits;
        var skipEdges = First.AddressFamily == AddressFamily.InterNetwork && hostBits >= 2;
        var start = skipEdges ? BigInteger.One : BigInteger.Zero;
        var end = skipEdges ? count - 1 : count;
        long produced = 0;
        for (var i = start; i < end && produced < limit; i++, produced++)
        {
            var a = (network + i).ToByteArray(isUnsigned: true, isBigEndian: true);
            var padded = new byte[bytes.Length];
            a.CopyTo(padded, padded.Length - a.Length);
            yield return new IPAddress(padded);
        }
    }
}

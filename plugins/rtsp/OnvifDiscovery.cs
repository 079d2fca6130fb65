using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// ONVIF discovery: a WS-Discovery Probe (SOAP over UDP) sent to <c>Plugins:Rtsp:Discovery:Onvif:ProbeAddress</c>
/// (the standard multicast group by default), then for every device that answers with a ProbeMatch:
/// GetCapabilities (device service) → media service, GetProfiles, GetStreamUri for each profile, authenticated with a
/// WS-Security UsernameToken (password digest) from configuration. Hand-written because no served .NET package does
/// ONVIF; it uses only the BCL's XML and HTTP.
/// </summary>
internal sealed class OnvifDiscovery(OnvifOptions options, TimeSpan requestTimeout, TimeProvider time)
{
    private static readonly XNamespace Soap = "http://www.w3.org/2003/05/soap-envelope";
    private static readonly XNamespace Wsa = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    private static readonly XNamespace Wsd = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
    private static readonly XNamespace Tds = "http://www.onvif.org/ver10/device/wsdl";
    private static readonly XNamespace Trt = "http://www.onvif.org/ver10/media/wsdl";
    private static readonly XNamespace Tt = "http://www.onvif.org/ver10/schema";
    private static readonly XNamespace Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    private static readonly XNamespace Wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

    /// <summary>Probes, then asks every device for its stream URIs. Errors are returned per device, never thrown.</summary>
    public async Task<IReadOnlyList<(ExternalStream Stream, string? Error)>> DiscoverAsync(CancellationToken cancellationToken)
    {
        var results = new List<(ExternalStream, string?)>();
        IReadOnlyList<Uri> devices;
        try
        {
            devices = await ProbeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return [(null!, "ONVIF WS-Discovery probe failed: " + ex.SocketErrorCode)];
        }

        using var http = new HttpClient { Timeout = requestTimeout };
        foreach (var device in devices)
        {
            try
            {
                foreach (var stream in await StreamsOfAsync(http, device, cancellationToken).ConfigureAwait(false))
                {
                    results.Add((stream, null));
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Xml.XmlException or InvalidDataException)
            {
                results.Add((null!, $"ONVIF device {device.GetLeftPart(UriPartial.Authority)}: {ex.Message}"));
            }
        }

        return results;
    }

    /// <summary>Sends one Probe and collects the XAddrs of every ProbeMatch during <see cref="OnvifOptions.ProbeWait"/>.</summary>
    internal async Task<IReadOnlyList<Uri>> ProbeAsync(CancellationToken cancellationToken)
    {
        var target = IPEndPoint.Parse(options.ProbeAddress);
        using var udp = new UdpClient(target.AddressFamily);
        udp.Client.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        var messageId = "uuid:" + Guid.NewGuid();
        var probe = new XDocument(new XElement(
            Soap + "Envelope",
            new XAttribute(XNamespace.Xmlns + "s", Soap),
            new XAttribute(XNamespace.Xmlns + "a", Wsa),
            new XAttribute(XNamespace.Xmlns + "d", Wsd),
            new XElement(
                Soap + "Header",
                new XElement(Wsa + "Action", "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe"),
                new XElement(Wsa + "MessageID", messageId),
                new XElement(Wsa + "To", "urn:schemas-xmlsoap-org:ws:2005:04:discovery")),
            new XElement(Soap + "Body", new XElement(Wsd + "Probe", new XElement(Wsd + "Types", new XAttribute(XNamespace.Xmlns + "dn", "http://www.onvif.org/ver10/network/wsdl"), "dn:NetworkVideoTransmitter")))));
        var bytes = Encoding.UTF8.GetBytes(probe.ToString(SaveOptions.DisableFormatting));
        await udp.SendAsync(bytes, target, cancellationToken).ConfigureAwait(false);

        var found = new List<Uri>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(options.ProbeWait);
        while (true)
        {
            UdpReceiveResult answer;
            try
            {
                answer = await udp.ReceiveAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                var doc = XDocument.Parse(Encoding.UTF8.GetString(answer.Buffer));
                if (doc.Descendants(Wsa + "RelatesTo").FirstOrDefault()?.Value is { } relates && relates != messageId)
                {
                    continue;
                }

                foreach (var xaddrs in doc.Descendants(Wsd + "XAddrs"))
                {
                    foreach (var a in xaddrs.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (Uri.TryCreate(a, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !found.Contains(uri))
                        {
                            found.Add(uri);
                        }
                    }
                }
            }
            catch (System.Xml.XmlException)
            {
                // Not a SOAP answer: ignore it, like every WS-Discovery client does.
            }
        }

        return found;
    }

    private async Task<IReadOnlyList<ExternalStream>> StreamsOfAsync(HttpClient http, Uri device, CancellationToken ct)
    {
        var capabilities = await CallAsync(http, device, new XElement(Tds + "GetCapabilities", new XElement(Tds + "Category", "Media")), ct).ConfigureAwait(false);
        var mediaAddress = capabilities.Descendants(Tt + "Media").Elements(Tt + "XAddr").FirstOrDefault()?.Value;
        var media = mediaAddress is not null && Uri.TryCreate(mediaAddress, UriKind.Absolute, out var m) ? m : device;
        var profiles = await CallAsync(http, media, new XElement(Trt + "GetProfiles"), ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var streams = new List<ExternalStream>();
        foreach (var profile in profiles.Descendants(Trt + "Profiles"))
        {
            var token = profile.Attribute("token")?.Value;
            if (token is null)
            {
                continue;
            }

            var request = new XElement(
                Trt + "GetStreamUri",
                new XElement(Trt + "StreamSetup", new XElement(Tt + "Stream", "RTP-Unicast"), new XElement(Tt + "Transport", new XElement(Tt + "Protocol", "RTSP"))),
                new XElement(Trt + "ProfileToken", token));
            var answer = await CallAsync(http, media, request, ct).ConfigureAwait(false);
            var uriText = answer.Descendants(Tt + "Uri").FirstOrDefault()?.Value;
            if (!StreamUrl.TryParse(uriText, out var url, out _))
            {
                continue;
            }

            var encoding = profile.Descendants(Tt + "VideoEncoderConfiguration").Elements(Tt + "Encoding").FirstOrDefault()?.Value;
            var width = profile.Descendants(Tt + "Resolution").Elements(Tt + "Width").FirstOrDefault()?.Value;
            var height = profile.Descendants(Tt + "Resolution").Elements(Tt + "Height").FirstOrDefault()?.Value;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["onvif_device"] = device.GetLeftPart(UriPartial.Path),
                ["onvif_profile"] = token,
            };
            if (profile.Element(Tt + "Name")?.Value is { } profileName)
            {
                metadata["onvif_profile_name"] = profileName;
            }

            if (width is not null && height is not null)
            {
                metadata["resolution"] = width + "x" + height;
            }

            streams.Add(new ExternalStream
            {
                Url = url.Display,
                Name = (profile.Element(Tt + "Name")?.Value ?? token) + " @ " + url.Url.Host,
                Type = ExternalStreamTypes.Generic,
                Status = ExternalStreamStatuses.Discovered,
                DiscoveredAt = now,
                LastSeen = now,
                Capabilities = new ExternalStreamCapabilities
                {
                    Protocol = url.Url.Scheme,
                    Source = "onvif",
                    StreamType = "generic",
                    Port = url.Port,
                    StreamPath = url.Url.AbsolutePath,
                    Codec = encoding?.ToUpperInvariant() switch
                    {
                        "H264" => PixelFormats.H264,
                        "H265" => PixelFormats.Hevc,
                        "JPEG" => PixelFormats.Mjpeg,
                        var c => c,
                    },
                    Metadata = metadata,
                },
            });
        }

        return streams;
    }

    private async Task<XElement> CallAsync(HttpClient http, Uri endpoint, XElement body, CancellationToken ct)
    {
        var envelope = new XElement(
            Soap + "Envelope",
            new XAttribute(XNamespace.Xmlns + "s", Soap),
            new XElement(Soap + "Header", Security()),
            new XElement(Soap + "Body", body));
        using var content = new StringContent(envelope.ToString(SaveOptions.DisableFormatting), Encoding.UTF8, "application/soap+xml");
        using var response = await http.PostAsync(endpoint, content, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var fault = TryParse(text)?.Descendants(Soap + "Text").FirstOrDefault()?.Value;
            throw new InvalidDataException($"{body.Name.LocalName} answered HTTP {(int)response.StatusCode}{(fault is null ? string.Empty : ": " + fault)}");
        }

        return XDocument.Parse(text).Root?.Element(Soap + "Body") ?? throw new InvalidDataException($"{body.Name.LocalName} answered without a SOAP body");
    }

    private static XDocument? TryParse(string text)
    {
        try
        {
            return XDocument.Parse(text);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    /// <summary>The WS-Security UsernameToken with a password digest (ONVIF Core §5.12): Base64(SHA1(nonce + created + password)).</summary>
    private XElement? Security()
    {
        if (options.Username is not { Length: > 0 } user)
        {
            return null;
        }

        var nonce = RandomNumberGenerator.GetBytes(16);
        var created = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
#pragma warning disable CA5350 // ONVIF's UsernameToken digest is defined with SHA-1; devices accept nothing else
        var digest = SHA1.HashData([.. nonce, .. Encoding.UTF8.GetBytes(created), .. Encoding.UTF8.GetBytes(options.Password ?? string.Empty)]);
#pragma warning restore CA5350
        return new XElement(
            Wsse + "Security",
            new XAttribute(Soap + "mustUnderstand", "1"),
            new XElement(
                Wsse + "UsernameToken",
                new XElement(Wsse + "Username", user),
                new XElement(Wsse + "Password", new XAttribute("Type", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"), Convert.ToBase64String(digest)),
                new XElement(Wsse + "Nonce", new XAttribute("EncodingType", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"), Convert.ToBase64String(nonce)),
                new XElement(Wsu + "Created", created)));
    }
}

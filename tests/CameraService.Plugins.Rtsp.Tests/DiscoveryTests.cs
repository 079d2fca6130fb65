using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>Discovery: the RTSP probe of configured targets and ONVIF WS-Discovery, all on loopback.</summary>
public sealed class DiscoveryTests
{
    [Fact]
    public async Task Disabled_DiscoverAndInterval_AnswerFeatureDisabled()
    {
        await using var h = new Harness();
        await h.StartAsync();

        var discover = await Assert.ThrowsAsync<UnsupportedFeatureException>(() => h.Source.DiscoverAsync(new ExternalStreamScanRequest(), CancellationToken.None));
        var interval = await Assert.ThrowsAsync<UnsupportedFeatureException>(() => h.Source.SetDiscoveryIntervalAsync(TimeSpan.FromMinutes(1), CancellationToken.None));

        Assert.Equal("external_stream_discovery", discover.Feature);
        Assert.Equal("external_stream_discovery", interval.Feature);
        Assert.Contains("Plugins:Rtsp:Discovery:Enabled", discover.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RtspProbe_FindsConfiguredStreams_ListsThemWithoutAddingThem()
    {
        await using var skydio = await RtspTestServer.StartNewAsync(path: "/subject");
        await using var locked = await RtspTestServer.StartNewAsync(path: "/cam", auth: "digest", user: "u", password: "p");
        var options = Harness.Fast();
        options.Discovery = new DiscoveryOptions
        {
            Enabled = true,
            Targets =
            [
                new DiscoveryTarget { Hosts = ["127.0.0.1"], Profile = "skydio", Ports = [skydio.Port] },
                new DiscoveryTarget { Hosts = ["127.0.0.1/32"], Ports = [locked.Port], Paths = ["/cam", "/missing"] },
            ],
        };
        await using var h = new Harness(options);
        await h.StartAsync();

        var scan = await h.Source.DiscoverAsync(new ExternalStreamScanRequest { ForceRescan = true }, CancellationToken.None);

        Assert.Equal(2, scan.Streams.Count);
        var subject = Assert.Single(scan.Streams, s => s.Type == ExternalStreamTypes.Skydio);
        Assert.Equal(($"rtsp://127.0.0.1:{skydio.Port}/subject", "DISCOVERED", "subject", PixelFormats.H264, "rtsp_probe"),
            (subject.Url, subject.Status, subject.Capabilities.StreamType, subject.Capabilities.Codec, subject.Capabilities.Source));
        Assert.Equal(("320x240", "15"), (subject.Capabilities.Metadata["resolution"], subject.Capabilities.Metadata["fps"]));
        var generic = Assert.Single(scan.Streams, s => s.Type == ExternalStreamTypes.Generic);
        Assert.Equal($"rtsp://127.0.0.1:{locked.Port}/cam", generic.Url);
        Assert.Equal("Digest", generic.Capabilities.Metadata["auth_required"]);
        Assert.Empty(h.Source.GetExternalStreams());
        Assert.Empty(h.Source.GetCameras());
        Assert.Equal(2, h.StreamEvents.Count(e => e.Change == "discovered"));

        // With include_offline the probes that found nothing are listed as ERROR (the Skydio /infrared, the generic /missing).
        var all = await h.Source.DiscoverAsync(new ExternalStreamScanRequest { ForceRescan = true, IncludeOffline = true }, CancellationToken.None);
        Assert.Equal(4, all.Streams.Count);
        Assert.Contains(all.Streams, s => s.Status == ExternalStreamStatuses.Error && s.Capabilities.StreamPath == "/infrared");
        Assert.Contains(all.Streams, s => s.Status == ExternalStreamStatuses.Error && s.Capabilities.StreamPath == "/missing");

        // Only the Skydio profile when generic is off.
        var onlySkydio = await h.Source.DiscoverAsync(new ExternalStreamScanRequest { ForceRescan = true, GenericEnabled = false }, CancellationToken.None);
        Assert.All(onlySkydio.Streams, s => Assert.Equal(ExternalStreamTypes.Skydio, s.Type));
    }

    [Fact]
    public void Plan_ProbesOnlyConfiguredAddresses_CappedByMaxAddresses()
    {
        var options = new DiscoveryOptions
        {
            Targets = [new DiscoveryTarget { Hosts = ["127.0.0.0/30"], Ports = [8554], Paths = ["/a"] }, new DiscoveryTarget { Hosts = ["127.0.0.9"], Profile = "skydio" }],
        };
        var plan = new RtspDiscovery(options, TimeProvider.System).Plan(skydio: true, generic: true).Select(p => p.Url.Url.AbsoluteUri).ToList();

        Assert.Equal(
            ["rtsp://127.0.0.1:8554/a", "rtsp://127.0.0.2:8554/a", "rtsp://127.0.0.9:5554/subject", "rtsp://127.0.0.9:5554/infrared"],
            plan);

        options.MaxAddresses = 1;
        Assert.Equal(["rtsp://127.0.0.1:8554/a"], new RtspDiscovery(options, TimeProvider.System).Plan(true, true).Select(p => p.Url.Url.AbsoluteUri));
    }

    [Fact]
    public async Task SetDiscoveryInterval_IsPersisted()
    {
        var root = Directory.CreateTempSubdirectory("rtsp-interval-").FullName;
        try
        {
            var options = Harness.Fast();
            options.Discovery = new DiscoveryOptions { Enabled = true };
            await using (var h = new Harness(options, root))
            {
                await h.StartAsync();
                await h.Source.SetDiscoveryIntervalAsync(TimeSpan.FromSeconds(600), CancellationToken.None);
                await Assert.ThrowsAsync<InvalidParameterException>(() => h.Source.SetDiscoveryIntervalAsync(TimeSpan.FromDays(2), CancellationToken.None));
                Assert.Equal(TimeSpan.FromSeconds(600), h.Source.DiscoveryInterval);
            }

            await using var again = new Harness(options, root);
            await again.StartAsync();
            Assert.Equal(TimeSpan.FromSeconds(600), again.Source.DiscoveryInterval);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Onvif_ProbeMatchThenGetProfilesAndGetStreamUri_StreamDiscoveredWithItsUri()
    {
        await using var camera = await RtspTestServer.StartNewAsync(path: "/onvif1");
        await using var device = await OnvifDevice.StartAsync(camera.Url);
        var options = Harness.Fast();

        // ProbeWait is how long the scan listens for ProbeMatch replies. 1 s missed the fake device's reply on a CI run
        // at load 12 (the scan found nothing); a camera on a loaded box may answer that late too.
        options.Discovery = new DiscoveryOptions
        {
            Enabled = true,
            Onvif = new OnvifOptions { Enabled = true, ProbeAddress = device.ProbeEndpoint.ToString(), ProbeWait = TimeSpan.FromSeconds(5), Username = "admin", Password = "onvif-pw" },
        };
        await using var h = new Harness(options);
        await h.StartAsync();

        var scan = await h.Source.DiscoverAsync(new ExternalStreamScanRequest { ForceRescan = true }, CancellationToken.None);

        var found = Assert.Single(scan.Streams);
        Assert.Equal(camera.Url, found.Url);
        Assert.Equal(("onvif", PixelFormats.H264, "320x240", "prof1"), (found.Capabilities.Source, found.Capabilities.Codec, found.Capabilities.Metadata["resolution"], found.Capabilities.Metadata["onvif_profile"]));
        Assert.Empty(scan.Errors);
        Assert.True(device.Probes > 0);
        Assert.Equal(["GetCapabilities", "GetProfiles", "GetStreamUri"], device.Calls);
        Assert.All(device.Users, u => Assert.Equal("admin", u));
        Assert.True(device.DigestsValid, "the WS-Security password digest did not verify");
    }
}

/// <summary>
/// An ONVIF device on loopback: a WS-Discovery responder (UDP) answering a Probe with a ProbeMatch whose XAddrs point
/// at a device service (HTTP) that answers GetCapabilities, GetProfiles and GetStreamUri and checks the UsernameToken.
/// </summary>
internal sealed class OnvifDevice : IAsyncDisposable
{
    private static readonly XNamespace Soap = "http://www.w3.org/2003/05/soap-envelope";
    private static readonly XNamespace Wsa = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    private static readonly XNamespace Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    private static readonly XNamespace Wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly HttpListener _http = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly string _streamUri;
    private readonly int _httpPort = RtspTestServer.FreePort();
    private Task? _udpLoop;
    private Task? _httpLoop;

    private OnvifDevice(string streamUri) => _streamUri = streamUri;

    public IPEndPoint ProbeEndpoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    public int Probes { get; private set; }

    public List<string> Calls { get; } = [];

    public List<string> Users { get; } = [];

    public bool DigestsValid { get; private set; } = true;

    public static Task<OnvifDevice> StartAsync(string streamUri)
    {
        var d = new OnvifDevice(streamUri);
        d._http.Prefixes.Add($"http://127.0.0.1:{d._httpPort}/");
        d._http.Start();
        d._udpLoop = d.UdpLoopAsync();
        d._httpLoop = d.HttpLoopAsync();
        return Task.FromResult(d);
    }

    private async Task UdpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult r;
            try
            {
                r = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var probe = XDocument.Parse(Encoding.UTF8.GetString(r.Buffer));
            var id = probe.Descendants(Wsa + "MessageID").Single().Value;
            Probes++;
            var match = $"""
                <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">
                <s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action><a:RelatesTo>{id}</a:RelatesTo></s:Header>
                <s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:1</a:Address></a:EndpointReference>
                <d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>http://127.0.0.1:{_httpPort}/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>
                """;
            await _udp.SendAsync(Encoding.UTF8.GetBytes(match), r.RemoteEndPoint);
        }
    }

    private async Task HttpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _http.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            using var reader = new StreamReader(ctx.Request.InputStream);
            var request = XDocument.Parse(await reader.ReadToEndAsync());
            var token = request.Descendants(Wsse + "UsernameToken").SingleOrDefault();
            if (token is not null)
            {
                Users.Add(token.Element(Wsse + "Username")!.Value);
                var nonce = Convert.FromBase64String(token.Element(Wsse + "Nonce")!.Value);
                var created = token.Element(Wsu + "Created")!.Value;
#pragma warning disable CA5350 // verifies ONVIF's SHA-1 UsernameToken digest
                var expected = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData([.. nonce, .. Encoding.UTF8.GetBytes(created), .. Encoding.UTF8.GetBytes("onvif-pw")]));
#pragma warning restore CA5350
                DigestsValid &= expected == token.Element(Wsse + "Password")!.Value;
            }
            else
            {
                DigestsValid = false;
            }

            var op = request.Root!.Element(Soap + "Body")!.Elements().First().Name.LocalName;
            Calls.Add(op);
            var body = op switch
            {
                "GetCapabilities" => $"""<tds:GetCapabilitiesResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><tds:Capabilities><tt:Media><tt:XAddr>http://127.0.0.1:{_httpPort}/onvif/media</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>""",
                "GetProfiles" => """<trt:GetProfilesResponse xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><trt:Profiles token="prof1"><tt:Name>Main</tt:Name><tt:VideoEncoderConfiguration token="v1"><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>320</tt:Width><tt:Height>240</tt:Height></tt:Resolution></tt:VideoEncoderConfiguration></trt:Profiles></trt:GetProfilesResponse>""",
                "GetStreamUri" => $"""<trt:GetStreamUriResponse xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><trt:MediaUri><tt:Uri>{_streamUri}</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>""",
                _ => null,
            };
            ctx.Response.StatusCode = body is null ? 400 : 200;
            ctx.Response.ContentType = "application/soap+xml";
            var bytes = Encoding.UTF8.GetBytes($"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{body}</s:Body></s:Envelope>""");
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _http.Stop();
        foreach (var t in new[] { _udpLoop, _httpLoop })
        {
            if (t is not null)
            {
                try
                {
                    await t;
                }
                catch (Exception) when (t.IsFaulted || t.IsCanceled)
                {
                    // Stopping.
                }
            }
        }

        _http.Close();
        _stop.Dispose();
    }
}

using CameraService.EndToEnd.Tests;
using MediaMtxEmulator;
using Microsoft.Playwright;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>
/// The real service as a process with the MediaMTX backend (Control API: the MediaMTX emulator; two test-pattern
/// cameras), whose WebRTC and HLS URLs point at a <see cref="LiveMediaServer"/> on 127.0.0.1, and Debian's headless
/// Chromium with a sender page that answers WHEP offers with a real RTCPeerConnection sending a moving canvas.
/// </summary>
public sealed class LiveViewFixture : IAsyncLifetime
{
    /// <summary>
    /// Sets up the sender: a canvas drawn 15 times a second (a moving, changing picture) captured as a video track, and
    /// <c>window.answerWhep(offer)</c>, which answers an offer with a new peer connection sending that track and
    /// returns the answer once ICE gathering is complete (non-trickle, like MediaMTX's WHEP answers).
    /// </summary>
    private const string SenderScript = """
        () => {
          const canvas = document.createElement('canvas');
          canvas.width = 320; canvas.height = 240;
          document.body.appendChild(canvas);
          const g = canvas.getContext('2d');
          let n = 0;
          setInterval(() => {
            n++;
            g.fillStyle = `hsl(${(n * 9) % 360} 60% 35%)`;
            g.fillRect(0, 0, 320, 240);
            g.fillStyle = '#fff';
            g.font = 'bold 28px sans-serif';
            g.fillText('WebRTC ' + n, 20 + (n * 4) % 150, 60 + (n * 3) % 150);
          }, 66);
          const track = canvas.captureStream(15).getVideoTracks()[0];
          window.peers = [];
          window.answerWhep = async (offer) => {
            const pc = new RTCPeerConnection();
            window.peers.push(pc);
            await pc.setRemoteDescription({ type: 'offer', sdp: offer });
            for (const t of pc.getTransceivers()) {
              if (t.receiver.track.kind !== 'video') continue;
              t.direction = 'sendonly';
              await t.sender.replaceTrack(track);
            }
            await pc.setLocalDescription(await pc.createAnswer());
            await new Promise((resolve) => {
              if (pc.iceGatheringState === 'complete') return resolve();
              const timer = setTimeout(resolve, 5000);
              pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); } });
            });
            return pc.localDescription.sdp;
          };
        }
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("cs-webui-live-").FullName;
    private readonly SemaphoreSlim _senderGate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowserContext? _senderContext;
    private IPage? _sender;
    private Emulator? _emulator;

    public ServiceProcess Service { get; private set; } = null!;

    public LiveMediaServer Media { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string AdminToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ConsoleFixture.ChromiumPath))
        {
            throw new InvalidOperationException($"{ConsoleFixture.ChromiumPath} is missing: apt-get install -y chromium (./test.sh does it when run as root).");
        }

        var media = Path.Combine(_root, "media");
        Directory.CreateDirectory(media);
        Media = new LiveMediaServer(Path.Combine(_root, "hls"));
        await Media.StartAsync(TimeSpan.FromSeconds(60));

        _emulator = new Emulator(new EmulatorOptions { ApiAddress = "127.0.0.1:0", RtspAddress = "127.0.0.1:0", RecordingsRoot = media });
        var api = await _emulator.StartAsync(CancellationToken.None);
        Service = new ServiceProcess(_root, new Dictionary<string, string>
        {
            ["CameraService:StreamBackend"] = "mediamtx",
            ["CameraService:CameraSources:0"] = "testpattern",
            ["Plugins:TestPattern:Enabled"] = "true",
            ["Plugins:TestPattern:Count"] = "2",
            ["Plugins:TestPattern:Width"] = "320",
            ["Plugins:TestPattern:Height"] = "240",
            ["Plugins:TestPattern:Fps"] = "10",
            ["Plugins:MediaMtx:ApiUrl"] = api.ToString().TrimEnd('/'),
            ["Plugins:MediaMtx:RtspHost"] = "127.0.0.1",
            ["Plugins:MediaMtx:RtspPort"] = _emulator.RtspPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plugins:MediaMtx:PublicHost"] = "127.0.0.1",
            ["Plugins:MediaMtx:WebRtcPort"] = Media.WebRtcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plugins:MediaMtx:HlsPort"] = Media.HlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Storage:Root"] = media,
        });
        await Service.StartAsync(TimeSpan.FromSeconds(90));
        AdminToken = await Service.CreateTokenAsync("admin");

        Directory.CreateDirectory(ConsoleFixture.ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ConsoleFixture.ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--autoplay-policy=no-user-gesture-required",

                // Both peers run in this browser and must talk over loopback only: add the loopback interface to
                // WebRTC's network list (left out by default) and give candidates as addresses, not mDNS names.
                "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
            ],
        });

        _senderContext = await NewContextAsync();
        _sender = await _senderContext.NewPageAsync();
        await _sender.GotoAsync(Media.SenderPageUrl);
        await _sender.EvaluateAsync(SenderScript);
        Media.Answerer = AnswerAsync;
    }

    private async Task<string> AnswerAsync(string offer)
    {
        await _senderGate.WaitAsync();
        try
        {
            return await _sender!.EvaluateAsync<string>("offer => window.answerWhep(offer)", offer);
        }
        finally
        {
            _senderGate.Release();
        }
    }

    /// <summary>The states of the sender page's peer connections (for diagnostics).</summary>
    public Task<string> SenderStatesAsync() =>
        _sender!.EvaluateAsync<string>("() => JSON.stringify(window.peers.map(p => [p.connectionState, p.iceConnectionState, p.signalingState]))");

    /// <summary>Closes every peer connection of the sender page (the server side of every session ends).</summary>
    public Task CloseSendersAsync() => _sender!.EvaluateAsync("() => window.peers.forEach(p => p.close())");

    /// <summary>Peer connections of the sender page that reached <c>connected</c>.</summary>
    public Task<int> ConnectedSendersAsync() =>
        _sender!.EvaluateAsync<int>("() => window.peers.filter(p => p.connectionState === 'connected').length");

    /// <summary>A fresh browser context with a page that records console messages and requests.</summary>
    public async Task<ConsolePage> OpenAsync()
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();

        // CSP violations reported by the browser itself (besides the console log lines ConsolePage collects).
        await page.AddInitScriptAsync("""
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
            """);
        return new ConsolePage(context, page, Service.BaseUrl);
    }

    /// <summary>
    /// A browser context whose pages may enumerate every network interface for WebRTC, loopback included: Chromium
    /// gathers candidates of the default route only, unless the page holds camera/microphone permission. The permission
    /// changes nothing else (the console never asks for a camera); it only lets the session stay on 127.0.0.1.
    /// </summary>
    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        await context.GrantPermissionsAsync(["camera", "microphone"]);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_senderContext is not null)
        {
            await _senderContext.CloseAsync();
        }

        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }

        if (Media is not null)
        {
            await Media.DisposeAsync();
        }

        _senderGate.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // ffmpeg may still be closing a segment; the temp cleaner takes the rest.
        }
    }
}

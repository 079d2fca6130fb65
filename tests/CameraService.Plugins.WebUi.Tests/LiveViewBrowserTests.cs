using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>
/// How the console's live view chooses WebRTC (WHEP) or HLS with the MediaMTX backend, in a real headless Chromium
/// against the real service: a WHEP endpoint that answers gives a real WebRTC session (<c>data-mode="webrtc"</c>, frames
/// arrive); one that answers an error, or answers but can never be reached, gives real HLS (<c>data-mode="hls"</c>).
/// The console's Content-Security-Policy (no <c>unsafe-inline</c>) allows all of it. Screenshots go to
/// <see cref="ConsoleFixture.ScreenshotDirectory"/>.
/// </summary>
public sealed class LiveViewBrowserTests(LiveViewFixture fixture, ITestOutputHelper output) : IClassFixture<LiveViewFixture>
{
    private static readonly PageWaitForFunctionOptions Long = new() { Timeout = 60_000, PollingInterval = 200 };

    private static string Tile(string device) => $"[data-testid=camera-tile][data-device={device}] video";

    [Fact]
    public async Task WhepAnswered_TilePlaysRealWebRtcVideo_AllowedByTheCsp()
    {
        await using var live = await SignInAsync(WhepBehavior.Answer, WhepBehavior.Answer);
        var console = live.Console;

        // The page's policy has no unsafe-inline for scripts, and the session below ran under it.
        var csp = (await console.PageResponse!.AllHeadersAsync())["content-security-policy"];
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);

        var video = Tile("camera0");
        await AssertPlaysAsync(console.Page, video, "webrtc");

        // Real frames over a real peer connection: a MediaStream from the sender's canvas, decoded at its size.
        Assert.True(await console.Page.Locator(video).EvaluateAsync<bool>("v => v.srcObject instanceof MediaStream && v.srcObject.getVideoTracks().length === 1"));
        Assert.Equal(320, await console.Page.Locator(video).EvaluateAsync<int>("v => v.videoWidth"));
        Assert.True(await console.Page.Locator(video).EvaluateAsync<int>("v => v.getVideoPlaybackQuality().totalVideoFrames") > 5);
        Assert.True(await fixture.ConnectedSendersAsync() >= 1, "no sender peer connection is connected");
        Assert.Equal("live", await console.Page.Locator(video).EvaluateAsync<string>("v => v.srcObject.getVideoTracks()[0].readyState"));

        // WebRTC only: this tile never loaded HLS.
        AssertNoRequest(console, $"http://127.0.0.1:{fixture.Media.HlsPort}/camera0/");
        await EndAsync(console, "live-webrtc");
    }

    [Fact]
    public async Task WhepAnswersAnError_TileFallsBackToHls_OtherTileStaysOnWebRtc()
    {
        var offersBefore = Offers("camera1");
        await using var live = await SignInAsync(WhepBehavior.Answer, WhepBehavior.NotFound);
        var console = live.Console;

        await AssertPlaysAsync(console.Page, Tile("camera1"), "hls");
        Assert.True(Offers("camera1") > offersBefore, "the console did not try WHEP before HLS");
        Assert.True(await console.Page.Locator(Tile("camera1")).EvaluateAsync<bool>("v => v.srcObject === null && v.src.startsWith('blob:')"), "HLS plays through MSE");
        Assert.Contains(RequestsTo(console, $"http://127.0.0.1:{fixture.Media.HlsPort}/camera1/"), r => new Uri(r).AbsolutePath == "/camera1/index.m3u8"); // the URL is signed: ?token=…

        await AssertPlaysAsync(console.Page, Tile("camera0"), "webrtc");
        await EndAsync(console, "live-webrtc-and-hls-fallback");
    }

    [Fact]
    public async Task WhepAnsweredButMediaNeverConnects_TileFallsBackToHls()
    {
        var sessionsBefore = fixture.Media.Sessions;
        await using var live = await SignInAsync(WhepBehavior.Unreachable, WhepBehavior.Answer);
        var console = live.Console;

        // The player bounds the wait for a connected session (10 s), then plays HLS.
        await AssertPlaysAsync(console.Page, Tile("camera0"), "hls");
        Assert.True(fixture.Media.Sessions > sessionsBefore, "the WHEP endpoint answered no offer");
        Assert.True(await console.Page.Locator(Tile("camera0")).EvaluateAsync<bool>("v => v.srcObject === null"), "the dead WebRTC stream still hides the HLS picture");
        await EndAsync(console, "live-hls-after-unreachable-webrtc");
    }

    [Fact]
    public async Task WebRtcSessionBreaksLater_TileGoesOnOverHls()
    {
        await using var live = await SignInAsync(WhepBehavior.Answer, WhepBehavior.Answer);
        var console = live.Console;
        await AssertPlaysAsync(console.Page, Tile("camera0"), "webrtc");

        // The server side of every session goes away (MediaMTX restarted): the tiles go on over HLS.
        await fixture.CloseSendersAsync();
        await AssertPlaysAsync(console.Page, Tile("camera0"), "hls");
        await EndAsync(console, "live-hls-after-webrtc-session-failed");
    }

    /// <summary>Sets what the WHEP endpoint does for each camera, opens a console page and signs in as admin.</summary>
    private async Task<LiveConsole> SignInAsync(WhepBehavior camera0, WhepBehavior camera1)
    {
        fixture.Media.SetBehavior("camera0", camera0);
        fixture.Media.SetBehavior("camera1", camera1);
        var live = new LiveConsole(await fixture.OpenAsync(), fixture, output);
        await live.Console.SignInAsync(fixture.AdminToken);
        return live;
    }

    /// <summary>The tile plays in that mode: <c>data-mode</c> is set and <c>currentTime</c> advances (real frames).</summary>
    private static async Task AssertPlaysAsync(IPage page, string selector, string mode)
    {
        await page.WaitForFunctionAsync("([s, m]) => document.querySelector(s)?.dataset.mode === m", new object[] { selector, mode }, Long);
        await page.WaitForFunctionAsync("s => { const v = document.querySelector(s); return v && v.currentTime > 0.2; }", selector, Long);
        var first = await page.Locator(selector).EvaluateAsync<double>("v => v.currentTime");
        await page.WaitForFunctionAsync("([s, t]) => document.querySelector(s).currentTime > t + 1", new object[] { selector, first }, Long);
    }

    /// <summary>Saves the screenshot and asserts the CSP allowed everything and nothing left loopback.</summary>
    private async Task EndAsync(ConsolePage console, string screenshot)
    {
        await console.ScreenshotAsync(screenshot);
        AssertCspAllowedEverythingOnLoopback(console, await console.Page.EvaluateAsync<string[]>("() => window.__cspViolations"));
    }

    /// <summary>A console page; disposing it writes what the page, the media server and the sender said (shown for a failed test).</summary>
    private sealed class LiveConsole(ConsolePage console, LiveViewFixture fixture, ITestOutputHelper output) : IAsyncDisposable
    {
        public ConsolePage Console => console;

        public async ValueTask DisposeAsync()
        {
            WriteDiagnostics();
            await console.DisposeAsync();
        }

        private void WriteDiagnostics()
        {
            try
            {
                var videos = console.Page.EvaluateAsync<string>(
                    "() => JSON.stringify([...document.querySelectorAll('video')].map(v => ({ mode: v.dataset.mode, t: v.currentTime, rs: v.readyState, src: v.src, so: !!v.srcObject, err: v.error && v.error.message, w: v.videoWidth })))")
                    .WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
                output.WriteLine("videos: " + videos);
                output.WriteLine("senders: " + fixture.SenderStatesAsync().WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult());
            }
            catch (Exception e) when (e is PlaywrightException or TimeoutException)
            {
                output.WriteLine("videos: " + e.Message);
            }

            lock (console.Messages)
            {
                output.WriteLine("console:\n" + string.Join('\n', console.Messages));
            }

            lock (console.Requests)
            {
                output.WriteLine("requests:\n" + string.Join('\n', console.Requests.Distinct()));
            }

            output.WriteLine($"offers: {string.Join(", ", fixture.Media.Offers)}; sessions: {fixture.Media.Sessions}");
            output.WriteLine("ffmpeg:\n" + fixture.Media.FfmpegLog);
            output.WriteLine("last offer:\n" + fixture.Media.LastOffer + "\nlast answer:\n" + fixture.Media.LastAnswer);
        }
    }

    private int Offers(string path)
    {
        lock (fixture.Media.Offers)
        {
            return fixture.Media.Offers.GetValueOrDefault(path);
        }
    }

    private static List<string> RequestsTo(ConsolePage console, string prefix)
    {
        lock (console.Requests)
        {
            return console.Requests.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
    }

    private static void AssertNoRequest(ConsolePage console, string prefix) => Assert.Empty(RequestsTo(console, prefix));

    /// <summary>
    /// No CSP violation (neither a <c>securitypolicyviolation</c> event nor a console report) and every request went to
    /// the service or to the stream URLs it handed out, all on 127.0.0.1.
    /// </summary>
    private void AssertCspAllowedEverythingOnLoopback(ConsolePage console, string[] violations)
    {
        Assert.Empty(violations);
        lock (console.Messages)
        {
            Assert.DoesNotContain(console.Messages, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
        }

        var allowed = new[] { console.BaseUrl + "/", $"http://127.0.0.1:{fixture.Media.WebRtcPort}/", $"http://127.0.0.1:{fixture.Media.HlsPort}/", "blob:", "data:" };
        lock (console.Requests)
        {
            Assert.All(console.Requests, r => Assert.True(allowed.Any(a => r.StartsWith(a, StringComparison.Ordinal)), "unexpected request: " + r));
        }
    }
}

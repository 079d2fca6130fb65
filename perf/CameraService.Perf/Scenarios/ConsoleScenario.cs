using System.Diagnostics;
using CameraService.Perf.Targets;
using Microsoft.Playwright;
using static CameraService.Perf.Scenarios.ScenarioContext;

namespace CameraService.Perf.Scenarios;

/// <summary>
/// console: the web console in Debian's headless Chromium (issue 18, "first paint &lt; 1 s on loopback"). Each iteration
/// opens a fresh browser context (cold cache, like a first visit) and records, from the navigation's start:
/// <c>first-contentful-paint</c> and <c>dom-content-loaded</c> of the sign-in page (the browser's own Paint Timing),
/// then signs in with the target's token and records <c>signed-in</c> (connected and authenticated) and
/// <c>first-live-frame</c> (the first camera tile's video playing). The service is started with the ffmpeg backend
/// (HLS in the tiles) unless the target is a URL.
/// </summary>
internal sealed class ConsoleScenario : IScenario
{
    private const string ChromiumPath = "/usr/bin/chromium";

    public string Name => "console";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new PerfException($"{ChromiumPath} is missing: apt-get install -y chromium");
        }

        if (context.Options.Target == TargetKind.Echo)
        {
            throw new PerfException("the console scenario needs the service (its web console): use --start-service or --url");
        }

        var iterations = context.Pick(context.Settings.Iterations, 20, 2);
        var notes = new List<string> { "fresh browser context per iteration (no cache); times from navigation start, by the browser's Performance API" };
        await using var target = await context.OpenTargetAsync(null, ["--CameraService:StreamBackend=ffmpeg", "--Plugins:WebUi:Enabled=true"], cancellationToken).ConfigureAwait(false);
        var token = target.Info.Token ?? throw new PerfException("the console scenario signs in: give --token with --url");
        using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
        }).ConfigureAwait(false);
        var page = new Uri(target.Info.HttpBase, "/").ToString();

        var phase = await context.RunPhaseAsync("console", target.Info, async (m, ct) =>
        {
            for (var i = 0; i < iterations; i++)
            {
                ct.ThrowIfCancellationRequested();
                await using var browserContext = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } }).ConfigureAwait(false);
                var tab = await browserContext.NewPageAsync().ConfigureAwait(false);
                var response = await tab.GotoAsync(page, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 30_000 }).ConfigureAwait(false);
                if (response is not { Ok: true })
                {
                    m.Record("first-contentful-paint", 0, "http " + (response?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"), ok: false);
                    continue;
                }

                await tab.WaitForFunctionAsync("() => performance.getEntriesByName('first-contentful-paint').length > 0", null, new PageWaitForFunctionOptions { Timeout = 30_000 }).ConfigureAwait(false);
                m.Record("first-contentful-paint", Micros(await tab.EvaluateAsync<double>("() => performance.getEntriesByName('first-contentful-paint')[0].startTime").ConfigureAwait(false)), "ok", ok: true);
                m.Record("dom-content-loaded", Micros(await tab.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd").ConfigureAwait(false)), "ok", ok: true);

                await tab.GetByTestId("login-token").FillAsync(token).ConfigureAwait(false);
                var submitted = Stopwatch.GetTimestamp();
                await tab.GetByTestId("login-submit").ClickAsync().ConfigureAwait(false);
                try
                {
                    await tab.Locator("[data-testid=connection-state][data-state=ready]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 }).ConfigureAwait(false);
                    m.Record("signed-in", (long)Stopwatch.GetElapsedTime(submitted).TotalMicroseconds, "ok", ok: true);
                    await tab.WaitForFunctionAsync("() => { const v = document.querySelector('[data-testid=camera-tile] video'); return v && v.currentTime > 0; }", null, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 50 }).ConfigureAwait(false);
                    m.Record("first-live-frame", (long)Stopwatch.GetElapsedTime(submitted).TotalMicroseconds, "ok", ok: true);
                }
                catch (TimeoutException)
                {
                    m.Record("first-live-frame", 0, "timeout", ok: false);
                }
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);

        return new ScenarioOutcome([phase], new Dictionary<string, string> { ["iterations"] = Inv(iterations), ["browser"] = ChromiumPath }, notes);
    }

    private static long Micros(double milliseconds) => (long)(milliseconds * 1000);
}

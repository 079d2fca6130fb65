using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>
/// The console in a real headless Chromium against the real service: sign-in, live video, snapshot, recording,
/// playback, delete, role gating, hot-unplug and a service restart. Tests run in the order of their names (the
/// restart comes last); each leaves the service as it found it. Screenshots go to <see cref="ConsoleFixture.ScreenshotDirectory"/>.
/// </summary>
[TestCaseOrderer("CameraService.Plugins.WebUi.Tests.ByNameOrderer", "CameraService.Plugins.WebUi.Tests")]
public sealed class ConsoleBrowserTests(ConsoleFixture fixture, ITestOutputHelper output) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Long = new() { Timeout = 60_000, PollingInterval = 200 };

    [Fact]
    public async Task T1_SignIn_BothCameraTilesPlayLiveVideo()
    {
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(fixture.AdminToken);

        // Reported, not asserted (tests never assert timings): the first paint of the page on loopback.
        output.WriteLine("first-contentful-paint: " + await console.Page.EvaluateAsync<double>(
            "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1") + " ms");
        Assert.Equal("admin", await console.Page.GetByTestId("role").TextContentAsync());
        var headers = await console.PageResponse!.AllHeadersAsync();
        Assert.StartsWith("default-src 'self'; script-src 'self';", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("no-cache", headers["cache-control"]);
        foreach (var device in new[] { "camera0", "camera1" })
        {
            await AssertVideoAdvancesAsync(console.Page, $"[data-testid=camera-tile][data-device={device}] video");
        }

        await console.ScreenshotAsync("cameras");
        console.AssertNoCspViolationsAndNoExternalRequests();
        Assert.Null(await console.Page.EvaluateAsync<string?>("() => location.href.includes('ey') ? location.href : null")); // never the token in the URL
    }

    [Fact]
    public async Task T2_Snapshot_ShowsAtOnce_AppearsInFiles_AndItsImageLoads()
    {
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(fixture.AdminToken);
        await console.Page.GetByTestId("camera-tile").And(console.Page.Locator("[data-device=camera0]")).ClickAsync();
        await AssertVideoAdvancesAsync(console.Page, ".video-box.large video");

        await console.Page.GetByTestId("snapshot-button").ClickAsync();
        await console.Page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=snapshot-image]'); return i && i.complete && i.naturalWidth > 0; }", null, Long);
        var filename = (await console.Page.Locator("[data-testid=snapshot-result] figcaption a").First.InnerTextAsync()).Trim();
        Assert.EndsWith(".jpg", filename, StringComparison.Ordinal);
        await console.ScreenshotAsync("camera");

        await console.Page.GotoAsync(console.BaseUrl + "/#/files/recordings");
        await console.Page.GetByTestId("files-tab-snapshots").ClickAsync();
        var row = console.Page.Locator($"[data-testid=file-row][data-filename=\"{filename}\"]");
        await row.WaitForAsync();
        await console.Page.WaitForFunctionAsync(
            "name => { const i = document.querySelector(`[data-testid=file-row][data-filename=\"${name}\"] img`); return i && i.complete && i.naturalWidth > 0; }", filename, Long);
        await console.ScreenshotAsync("files-snapshots");
        console.AssertNoCspViolationsAndNoExternalRequests();
    }

    [Fact]
    public async Task T3_Record3Seconds_RecordingPlaysInThePage_ThenDelete()
    {
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(fixture.AdminToken);
        await console.Page.GotoAsync(console.BaseUrl + "/#/camera/camera1");

        await console.Page.GetByTestId("record-button").ClickAsync();
        await console.Page.GetByTestId("recording-badge").WaitForAsync();
        await console.Page.GetByTestId("record-stop-button").WaitForAsync();
        await console.Page.WaitForTimeoutAsync(3000);
        await console.ScreenshotAsync("camera-recording");
        await console.Page.GetByTestId("record-stop-button").ClickAsync();
        await console.Page.GetByTestId("record-button").WaitForAsync();
        Assert.Equal(0, await console.Page.GetByTestId("recording-badge").CountAsync());

        await console.Page.GotoAsync(console.BaseUrl + "/#/files/recordings?device=camera1");
        var row = console.Page.GetByTestId("file-row").First;
        await row.WaitForAsync();
        var filename = await row.GetAttributeAsync("data-filename");
        Assert.StartsWith("camera1_", filename, StringComparison.Ordinal);
        await row.GetByTestId("play-button").ClickAsync();
        await console.Page.WaitForFunctionAsync("() => { const v = document.querySelector('[data-testid=recording-player]'); return v && v.readyState >= 2 && v.duration > 1 && v.currentTime > 0.3; }", null, Long);
        await console.ScreenshotAsync("files-recordings");

        await row.GetByTestId("delete-button").ClickAsync();
        await console.Page.GetByTestId("confirm-delete").ClickAsync();
        await console.Page.Locator($"[data-testid=file-row][data-filename=\"{filename}\"]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        console.AssertNoCspViolationsAndNoExternalRequests();
    }

    [Fact]
    public async Task T4_System_HealthStorageRetentionAndCharts()
    {
        await using var console = await fixture.OpenAsync(new ViewportSize { Width = 1440, Height = 1600 });
        await console.SignInAsync(fixture.AdminToken);
        await console.Page.GotoAsync(console.BaseUrl + "/#/system");

        var health = console.Page.GetByTestId("health-status");
        await health.WaitForAsync();
        // Whatever the service says (the fake V4L2 camera cannot stream, so the backend may be degraded), shown as it says it.
        Assert.Contains(await health.GetAttributeAsync("data-status"), new[] { "HEALTHY", "DEGRADED", "UNHEALTHY" });
        Assert.True(await console.Page.Locator(".components li").CountAsync() >= 4);
        await console.Page.GetByTestId("storage-gauge").WaitForAsync();

        await console.Page.GetByTestId("retention-type").SelectOptionAsync("age");
        await console.Page.GetByTestId("retention-max-age").FillAsync("30");
        await console.Page.GetByTestId("retention-save").ClickAsync();
        await console.Page.GetByTestId("retention-result").Filter(new() { HasText = "stored" }).WaitForAsync();
        await console.Page.GetByTestId("cleanup-button").ClickAsync();
        await console.Page.GetByTestId("retention-result").Filter(new() { HasText = "deleted" }).WaitForAsync();

        await console.Page.GetByTestId("apikey-create").ClickAsync();
        var secret = await console.Page.GetByTestId("apikey-secret").InputValueAsync();
        Assert.StartsWith("csk_", secret, StringComparison.Ordinal);
        await console.Page.GetByTestId("apikey-row").First.WaitForAsync();

        // Charts fill with a few samples.
        await console.Page.WaitForTimeoutAsync(6000);
        Assert.Equal(4, await console.Page.GetByTestId("metric-chart").CountAsync());
        await console.ScreenshotAsync("system");
        console.AssertNoCspViolationsAndNoExternalRequests();
    }

    [Fact]
    public async Task T5_Viewer_SeesNoRecordSnapshotOrDeleteControls()
    {
        // A file to list: a snapshot taken by the admin through the console.
        await using (var admin = await fixture.OpenAsync())
        {
            await admin.SignInAsync(fixture.AdminToken);
            await admin.Page.GotoAsync(admin.BaseUrl + "/#/camera/camera0");
            await admin.Page.GetByTestId("snapshot-button").ClickAsync();
            await admin.Page.GetByTestId("snapshot-image").WaitForAsync();
        }

        await using var viewer = await fixture.OpenAsync();
        await viewer.SignInAsync(fixture.ViewerToken);
        Assert.Equal("viewer", await viewer.Page.GetByTestId("role").TextContentAsync());
        await viewer.Page.GotoAsync(viewer.BaseUrl + "/#/camera/camera0");
        await viewer.Page.GetByText("Capabilities").WaitForAsync();
        Assert.Equal(0, await viewer.Page.GetByTestId("record-button").CountAsync());
        Assert.Equal(0, await viewer.Page.GetByTestId("snapshot-button").CountAsync());

        await viewer.Page.GotoAsync(viewer.BaseUrl + "/#/files/snapshots");
        await viewer.Page.GetByTestId("file-row").First.WaitForAsync();
        Assert.Equal(0, await viewer.Page.GetByTestId("delete-button").CountAsync());

        await viewer.Page.GotoAsync(viewer.BaseUrl + "/#/system");
        await viewer.Page.GetByTestId("plugins").WaitForAsync();
        Assert.Equal(0, await viewer.Page.GetByTestId("storage-gauge").CountAsync());
        viewer.AssertNoCspViolationsAndNoExternalRequests();
    }

    [Fact]
    public async Task T6_FakeCameraPluggedThenUnplugged_TileAppearsThenTurnsDisconnected_WithoutReload()
    {
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(fixture.AdminToken);
        await console.Page.GetByTestId("camera-tile").First.WaitForAsync();
        await console.Page.EvaluateAsync("() => { window.__noReload = true; }");
        var tile = console.Page.Locator("[data-testid=camera-tile][data-device=camera2]");

        fixture.PlugFakeCamera();
        await tile.And(console.Page.Locator("[data-status=CONNECTED]")).WaitForAsync(new() { Timeout = 30_000 });
        fixture.UnplugFakeCamera();
        await tile.And(console.Page.Locator("[data-status=DISCONNECTED]")).WaitForAsync(new() { Timeout = 30_000 });

        Assert.True(await console.Page.EvaluateAsync<bool>("() => window.__noReload === true"));
        Assert.Equal("Disconnected", await tile.GetByTestId("camera-status").InnerTextAsync());
        await console.ScreenshotAsync("cameras-unplugged");
    }

    [Fact]
    public async Task T7_Phone_LayoutShowsTheGrid()
    {
        await using var console = await fixture.OpenAsync(new ViewportSize { Width = 390, Height = 844 });
        await console.SignInAsync(fixture.AdminToken);
        await AssertVideoAdvancesAsync(console.Page, "[data-testid=camera-tile][data-device=camera0] video");
        var width = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the page scrolls sideways on a phone ({width}px)");
        await console.ScreenshotAsync("phone-cameras");
    }

    [Fact]
    public async Task T8_RefusedToken_BackToSignInWithTheReason()
    {
        await using var console = await fixture.OpenAsync();
        await console.Page.GotoAsync(console.BaseUrl + "/");
        await console.Page.GetByTestId("login-token").FillAsync("not-a-token");
        await console.Page.GetByTestId("login-submit").ClickAsync();

        var alert = console.Page.Locator(".login-card [role=alert]");
        await alert.WaitForAsync();
        Assert.Contains("Authentication failed", await alert.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Null(await console.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('camera-service.token')"));

        // A used demo link is refused with a clear message, never a blank page.
        await console.Page.GotoAsync(console.BaseUrl + "/#signin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        await alert.Filter(new() { HasText = "already used or has expired" }).WaitForAsync();
        await console.ScreenshotAsync("sign-in");
    }

    /// <summary>
    /// The camera page's controls card on a test-pattern camera (synthetic brightness/contrast/saturation): an operator
    /// changes brightness, another console sees it by notification, a reload shows the stored value, a bad value is
    /// refused and changes nothing, a viewer sees the values but cannot change them, reset goes back to the defaults.
    /// </summary>
    [Fact]
    public async Task T8b_Controls_SetSeenElsewhereRefusedWhenBadViewerReadOnly_Reset()
    {
        const string Brightness = "[data-testid=control-input][data-name=brightness]";
        await using var operatorConsole = await fixture.OpenAsync();
        await operatorConsole.SignInAsync(fixture.AdminToken);
        await using var other = await fixture.OpenAsync();
        await other.SignInAsync(fixture.AdminToken);
        foreach (var c in new[] { operatorConsole, other })
        {
            await c.Page.GotoAsync(c.BaseUrl + "/#/camera/camera1");
            await c.Page.Locator(Brightness).WaitForAsync(new() { Timeout = 30_000 });
        }

        var page = operatorConsole.Page;
        Assert.Equal("0", await page.Locator(Brightness).InputValueAsync());
        Assert.Equal(["brightness", "contrast", "saturation"], await page.Locator("[data-testid=control-row]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.name)"));

        // Set: the number is sent when committed; the other console follows by camera_controls_changed.
        await page.Locator(Brightness).FillAsync("60");
        await page.Locator(Brightness).PressAsync("Tab");
        await WaitForValueAsync(other.Page, Brightness, "60");
        await page.ReloadAsync();
        await WaitForValueAsync(page, Brightness, "60");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleFixture.ScreenshotDirectory, "camera-controls.png"), FullPage = true });

        // A value out of range: the service refuses it, the toast says so, the camera keeps its value.
        await page.Locator(Brightness).FillAsync("999");
        await page.Locator(Brightness).PressAsync("Tab");
        await page.GetByTestId("toast").Filter(new() { HasText = "brightness" }).WaitForAsync(new() { Timeout = 30_000 });
        await WaitForValueAsync(page, Brightness, "60");
        Assert.Equal("60", await other.Page.Locator(Brightness).InputValueAsync());

        // A viewer sees the values, cannot change them and gets no reset.
        await using (var viewer = await fixture.OpenAsync())
        {
            await viewer.SignInAsync(fixture.ViewerToken);
            await viewer.Page.GotoAsync(viewer.BaseUrl + "/#/camera/camera1");
            await WaitForValueAsync(viewer.Page, Brightness, "60");
            Assert.True(await viewer.Page.Locator(Brightness).IsDisabledAsync());
            Assert.Equal(0, await viewer.Page.GetByTestId("controls-reset").CountAsync());
            await viewer.Page.GetByText("changing them needs the operator role").WaitForAsync();
        }

        // Reset: the driver's defaults, here and in the other console.
        await page.GetByTestId("controls-reset").ClickAsync();
        await WaitForValueAsync(page, Brightness, "0");
        await WaitForValueAsync(other.Page, Brightness, "0");
        operatorConsole.AssertNoCspViolationsAndNoExternalRequests();
    }

    /// <summary>
    /// The camera page's schedule card: an operator adds a window that is open now and saves it — the service records
    /// the camera by the schedule and the page shows it; a bad window is caught before sending, a bad zone is refused
    /// by the service and changes nothing; a viewer sees it read-only; removing the window stops the recording.
    /// </summary>
    [Fact]
    public async Task T8c_Schedule_OpenWindowRecords_BadInputRefused_ViewerReadOnly_RemoveStops()
    {
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(fixture.AdminToken);
        var page = console.Page;
        await page.GotoAsync(console.BaseUrl + "/#/camera/camera0");
        var state = page.GetByTestId("schedule-state");
        await state.Filter(new() { HasText = "No schedule." }).WaitForAsync(new() { Timeout = 30_000 });

        // A window open all week, in UTC: saving it makes the service record the camera, with no click on Record.
        await page.GetByTestId("schedule-add").ClickAsync();
        await page.GetByTestId("schedule-start").FillAsync("00:00");
        await page.GetByTestId("schedule-end").FillAsync("24:00");
        await page.GetByTestId("schedule-zone").FillAsync("UTC");
        await page.GetByTestId("schedule-save").ClickAsync();
        await state.Filter(new() { HasText = "Recording window open" }).WaitForAsync(new() { Timeout = 30_000 });
        await page.GetByTestId("record-stop-button").WaitForAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleFixture.ScreenshotDirectory, "camera-schedule.png"), FullPage = true });

        // Checked before sending: an end that is not a time.
        await page.GetByTestId("schedule-end").FillAsync("25:00");
        await page.GetByTestId("schedule-save").ClickAsync();
        await page.GetByTestId("toast").Filter(new() { HasText = "Window 1: The end" }).WaitForAsync(new() { Timeout = 30_000 });

        // Checked by the service: an unknown zone is refused and nothing changes.
        await page.GetByTestId("schedule-end").FillAsync("24:00");
        await page.GetByTestId("schedule-zone").FillAsync("Mars/Olympus");
        await page.GetByTestId("schedule-save").ClickAsync();
        await page.GetByTestId("toast").Filter(new() { HasText = "time_zone" }).WaitForAsync(new() { Timeout = 30_000 });
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=schedule-zone]')?.value === 'UTC'", null, Long);

        // A viewer sees the schedule and its state, and cannot change it.
        await using (var viewer = await fixture.OpenAsync())
        {
            await viewer.SignInAsync(fixture.ViewerToken);
            await viewer.Page.GotoAsync(viewer.BaseUrl + "/#/camera/camera0");
            await viewer.Page.GetByTestId("schedule-state").Filter(new() { HasText = "Recording window open" }).WaitForAsync(new() { Timeout = 30_000 });
            Assert.True(await viewer.Page.GetByTestId("schedule-start").IsDisabledAsync());
            Assert.Equal(0, await viewer.Page.GetByTestId("schedule-save").CountAsync());
        }

        // No window any more: the recording the schedule started stops.
        await page.GetByTestId("schedule-remove").ClickAsync();
        await page.GetByTestId("schedule-save").ClickAsync();
        await page.GetByTestId("record-button").WaitForAsync(new() { Timeout = 30_000 });
        await state.Filter(new() { HasText = "No window in the coming week." }).WaitForAsync(new() { Timeout = 30_000 });
        console.AssertNoCspViolationsAndNoExternalRequests();
    }

    private static async Task WaitForValueAsync(IPage page, string selector, string value) =>
        await page.WaitForFunctionAsync("([s, v]) => document.querySelector(s)?.value === v", new object[] { selector, value }, Long);

    [Fact]
    public async Task T8a_TokenExpiresWhileTheConsoleIsOpen_BackToSignInWithTheReason()
    {
        var minted = await fixture.Service.RunCliAsync("token", "create", "--role", "viewer", "--ttl", "15s");
        var token = minted.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.Count(c => c == '.') == 2);
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(token);

        // Nobody touches the page: the console asks the service when the token expires and goes back to sign-in.
        var alert = console.Page.Locator(".login-card [role=alert]");
        await alert.Filter(new() { HasText = "expired" }).WaitForAsync(new() { Timeout = 60_000 });
        Assert.Contains("token_expired", await alert.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Null(await console.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('camera-service.token')"));
        await console.ScreenshotAsync("signed-out-expired");
    }

    [Fact]
    public async Task T8b_ApiKeyRevokedWhileSignedIn_NextActionReturnsToSignInWithTheReason()
    {
        var name = "revoke-me-" + Guid.NewGuid().ToString("N")[..8];
        var key = (await fixture.Service.RunCliAsync("apikey", "create", "--role", "operator", "--name", name)).Trim().Split('\n')[^1].Trim();
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(key);
        Assert.Equal("operator", await console.Page.GetByTestId("role").TextContentAsync());

        var id = (await fixture.Service.RunCliAsync("apikey", "list")).Split('\n').Single(l => l.Contains(name, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        await fixture.Service.RunCliAsync("apikey", "revoke", id);

        // The next thing the person does (here: moving between pages, each of which calls the API) is refused, and the
        // console says why. The service reads the key file at most once a second, so a move may still pass just after.
        var login = console.Page.GetByTestId("login-token");
        var deadline = DateTime.UtcNow.AddSeconds(45);
        for (var i = 0; !await login.IsVisibleAsync() && DateTime.UtcNow < deadline; i++)
        {
            await console.Page.EvaluateAsync("h => { location.hash = h; }", i % 2 == 0 ? "#/files/recordings" : "#/cameras");
            await console.Page.WaitForTimeoutAsync(500);
        }

        var alert = console.Page.Locator(".login-card [role=alert]");
        await alert.Filter(new() { HasText = "revoked" }).WaitForAsync(new() { Timeout = 10_000 });
        Assert.Contains("api_key_revoked", await alert.InnerTextAsync(), StringComparison.Ordinal);
        await console.ScreenshotAsync("signed-out-revoked");
    }

    [Fact]
    public async Task T9_ServiceRestarted_ConsoleReconnectsByItself()
    {
        await using var console = await fixture.OpenAsync();
        await console.SignInAsync(fixture.AdminToken);
        await AssertVideoAdvancesAsync(console.Page, "[data-testid=camera-tile][data-device=camera0] video");
        await console.Page.EvaluateAsync("() => { window.__noReload = true; }");

        await fixture.Service.StopAsync();
        await console.Page.Locator("[data-testid=connection-state][data-state=reconnecting]").WaitForAsync(new() { Timeout = 30_000 });
        await console.ScreenshotAsync("reconnecting");
        await fixture.Service.StartAsync(TimeSpan.FromSeconds(60));

        await console.Page.Locator("[data-testid=connection-state][data-state=ready]").WaitForAsync(new() { Timeout = 60_000 });
        Assert.True(await console.Page.EvaluateAsync<bool>("() => window.__noReload === true"));
        // Resubscribed: a recording started by another client shows up through notifications.
        await using (var other = await fixture.OpenAsync())
        {
            await other.SignInAsync(fixture.AdminToken);
            await other.Page.GotoAsync(other.BaseUrl + "/#/camera/camera0");
            await other.Page.GetByTestId("record-button").ClickAsync();
            await console.Page.Locator("[data-testid=camera-tile][data-device=camera0] [data-testid=recording-badge]").WaitForAsync(new() { Timeout = 30_000 });
            await other.Page.GetByTestId("record-stop-button").ClickAsync();

            // The click only dispatches the call: wait until the page shows it stopped before closing that page, or
            // its connection may close before stop_recording is sent.
            await other.Page.GetByTestId("record-button").WaitForAsync(new() { Timeout = 30_000 });
        }

        await console.Page.Locator("[data-testid=camera-tile][data-device=camera0] [data-testid=recording-badge]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 30_000 });
        await AssertVideoAdvancesAsync(console.Page, "[data-testid=camera-tile][data-device=camera0] video");
    }

    private static async Task AssertVideoAdvancesAsync(IPage page, string selector)
    {
        await page.WaitForFunctionAsync("s => { const v = document.querySelector(s); return v && v.currentTime > 0.2; }", selector, Long);
        var first = await page.Locator(selector).EvaluateAsync<double>("v => v.currentTime");
        await page.WaitForFunctionAsync("([s, t]) => document.querySelector(s).currentTime > t + 1", new object[] { selector, first }, Long);
    }
}

/// <summary>Runs the tests of a class in the order of their method names.</summary>
public sealed class ByNameOrderer : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}

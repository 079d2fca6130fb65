using CameraService.EndToEnd.Tests;
using Microsoft.Playwright;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>
/// The real service as a process (two test-pattern cameras, one fake V4L2 camera, the ffmpeg backend, the storage
/// plugin) on a free 127.0.0.1 port, and Debian's headless Chromium driven by Playwright. Shared by the browser tests.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly string _root = Directory.CreateTempSubdirectory("cs-webui-").FullName;
    private IPlaywright? _playwright;

    public ServiceProcess Service { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string AdminToken { get; private set; } = null!;

    public string ViewerToken { get; private set; } = null!;

    /// <summary>The fake device root (empty at start); the fake camera's node is <c>video0</c>.</summary>
    public string DeviceRoot => Path.Combine(_root, "v4l2", "dev");

    /// <summary>Where screenshots go (test artifacts): <c>artifacts/webui-screenshots/</c> of the repository, or <c>WEBUI_SCREENSHOTS</c>.</summary>
    public static string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable("WEBUI_SCREENSHOTS") is { Length: > 0 } d
        ? d
        : Path.Combine(ServiceProcess.RepoRoot, "artifacts", "webui-screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install -y chromium (./test.sh does it when run as root).");
        }

        Directory.CreateDirectory(DeviceRoot);
        Directory.CreateDirectory(Path.Combine(_root, "v4l2", "sys"));
        Service = new ServiceProcess(_root, new Dictionary<string, string>
        {
            ["CameraService:StreamBackend"] = "ffmpeg",
            ["CameraService:CameraSources:0"] = "testpattern",
            ["CameraService:CameraSources:1"] = "v4l2",
            ["Plugins:TestPattern:Enabled"] = "true",
            ["Plugins:TestPattern:Count"] = "2",
            ["Plugins:TestPattern:Width"] = "320",
            ["Plugins:TestPattern:Height"] = "240",
            ["Plugins:TestPattern:Fps"] = "10",
            ["Plugins:V4l2:DeviceRoot"] = DeviceRoot,
            ["Plugins:V4l2:SysfsRoot"] = Path.Combine(_root, "v4l2", "sys"),
            ["Plugins:V4l2:FakeDevicesDirectory"] = "fixtures/v4l2",
            ["Plugins:Ffmpeg:HlsDirectory"] = Path.Combine(_root, "hls"),
            ["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00",
        });
        await Service.StartAsync(TimeSpan.FromSeconds(60));
        AdminToken = await Service.CreateTokenAsync("admin");
        ViewerToken = await Service.CreateTokenAsync("viewer");

        Directory.CreateDirectory(ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
        });
    }

    /// <summary>Plugs the fake USB camera (C920 fixture) as <c>video0</c>, written and renamed like udev would.</summary>
    public void PlugFakeCamera()
    {
        var temp = Path.Combine(DeviceRoot, ".video0");
        File.WriteAllText(temp, "c920-h264.txt\n");
        File.Move(temp, Path.Combine(DeviceRoot, "video0"), overwrite: true);
    }

    public void UnplugFakeCamera() => File.Delete(Path.Combine(DeviceRoot, "video0"));

    /// <summary>A fresh browser context (own sessionStorage) with a page that records CSP violations and every request's host.</summary>
    public async Task<ConsolePage> OpenAsync(ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = viewport ?? new ViewportSize { Width = 1440, Height = 900 }, IsMobile = viewport is { Width: < 600 } });
        var page = await context.NewPageAsync();
        var console = new ConsolePage(context, page, Service.BaseUrl);
        return console;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // ffmpeg may still be closing a file; the temp cleaner takes the rest.
        }
    }
}

/// <summary>One browser page of the console plus what it did on the network and in the console log.</summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;

    public ConsolePage(IBrowserContext context, IPage page, string baseUrl)
    {
        _context = context;
        Page = page;
        BaseUrl = baseUrl;
        page.Console += (_, m) =>
        {
            lock (Messages)
            {
                Messages.Add($"{m.Type}: {m.Text}");
            }
        };
        page.Request += (_, r) =>
        {
            lock (Requests)
            {
                Requests.Add(r.Url);
            }
        };
    }

    public IPage Page { get; }

    public string BaseUrl { get; }

    public List<string> Messages { get; } = [];

    public List<string> Requests { get; } = [];

    /// <summary>The answer to <c>GET /</c> of the last sign-in (headers as the real listener sent them).</summary>
    public IResponse? PageResponse { get; private set; }

    public async Task SignInAsync(string token)
    {
        PageResponse = await Page.GotoAsync(BaseUrl + "/");
        await Page.GetByTestId("login-token").FillAsync(token);
        await Page.GetByTestId("login-submit").ClickAsync();
        await Page.GetByTestId("connection-state").And(Page.Locator("[data-state=ready]")).WaitForAsync();
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleFixture.ScreenshotDirectory, name + ".png") });

    /// <summary>No CSP violation was logged and every request stayed on the service's own origin (loopback).</summary>
    public void AssertNoCspViolationsAndNoExternalRequests()
    {
        lock (Messages)
        {
            Assert.DoesNotContain(Messages, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
        }

        lock (Requests)
        {
            Assert.All(Requests, r => Assert.True(r.StartsWith(BaseUrl, StringComparison.Ordinal) || r.StartsWith("blob:", StringComparison.Ordinal) || r.StartsWith("data:", StringComparison.Ordinal), "external request: " + r));
        }
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}

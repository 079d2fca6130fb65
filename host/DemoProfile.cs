using System.Globalization;
using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Host;

/// <summary>
/// <c>camera-service run --demo</c>: the service with two synthetic test-pattern cameras and the ffmpeg backend,
/// data in <c>./data</c>, so a newcomer without cameras and without MediaMTX sees it work. Explicit configuration
/// (files, environment, command line) still wins over the profile.
/// </summary>
internal static class DemoProfile
{
    public const string Option = "--demo";

    /// <summary>The profile's settings; <paramref name="port"/> is the API port the rest of the configuration chose.</summary>
    public static Dictionary<string, string?> Settings(string dataDirectory, int port) => new()
    {
        ["CameraService:StreamBackend"] = "ffmpeg",
        ["CameraService:CameraSources:0"] = "testpattern",
        ["Plugins:TestPattern:Enabled"] = "true",
        ["Plugins:TestPattern:Count"] = "2",
        ["Plugins:TestPattern:Width"] = "640",
        ["Plugins:TestPattern:Height"] = "480",
        ["Plugins:TestPattern:Fps"] = "15",
        ["Plugins:Ffmpeg:HlsDirectory"] = Path.Combine(dataDirectory, "hls"),
        ["State:Directory"] = Path.Combine(dataDirectory, "state"),
        ["Storage:Root"] = Path.Combine(dataDirectory, "media"),
        ["Api:PublicBaseUrl"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"),
    };

    /// <summary>How long the printed console link can be used (once).</summary>
    public static readonly TimeSpan SignInLinkLifetime = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The console line of the banner: a one-time sign-in link of the web console (the code in the fragment is
    /// exchanged once for an admin token; the token itself never appears in a URL), or how to enable the console.
    /// </summary>
    private static string ConsoleLine(IServiceProvider services, IConfiguration configuration, string port)
    {
        if (services.GetService<IConsoleSignIn>() is not { } signIn)
        {
            return "  Console (disabled: Plugins:WebUi:Enabled=false or the webui plugin is missing)";
        }

        var token = services.GetRequiredService<JwtTokenService>().Create("demo-console", ApiRole.Admin, TimeSpan.FromHours(24));
        var link = signIn.CreateSignInLink(token, SignInLinkLifetime);
        var host = configuration["Api:BindAddress"] is { Length: > 0 } bind && bind != "0.0.0.0" && bind != "::" && bind != "*" ? bind : "127.0.0.1";
        return $"  Console http://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{port}{link}\n" +
               "          (open it in a browser: signs in as admin; the link works once, for 15 minutes)";
    }

    /// <summary>Whether the ffmpeg the demo needs can be found (the configured path, or on PATH).</summary>
    public static bool FfmpegAvailable(IConfiguration configuration)
    {
        var configured = configuration["Plugins:Ffmpeg:FfmpegPath"];
        if (!string.IsNullOrWhiteSpace(configured) && configured.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(configured);
        }

        var name = string.IsNullOrWhiteSpace(configured) ? "ffmpeg" : configured;
        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
    }

    /// <summary>What the demo prints once it listens: the URL, an admin token and three commands to try.</summary>
    public static string Banner(IServiceProvider services, IConfiguration configuration)
    {
        var port = configuration["Api:Port"] ?? "8002";
        var path = configuration["Api:Path"] ?? "/ws";
        var url = $"ws://127.0.0.1:{port}{path}";
        var token = services.GetRequiredService<JwtTokenService>().Create("demo", ApiRole.Admin, TimeSpan.FromHours(24));
        var console = ConsoleLine(services, configuration, port);
        const string camctl = "dotnet run --project client/camctl --";
        return $"""

            camera-service demo: 2 synthetic cameras (test pattern), ffmpeg backend, data in {configuration["Storage:Root"]}
            {console}
              API     {url}
              Token   {token}
                      (admin, valid 24 h; mint more with: camera-service token create --role operator --ttl 24h)
              Try, in another terminal of this folder:
                export CAMCTL_URL={url} CAMCTL_TOKEN={token}
                {camctl} cameras
                {camctl} snapshot camera0 -o snapshot.jpg
                {camctl} record start camera0 --duration 10s && sleep 12 && {camctl} files recordings
                {camctl} stream start camera0        (prints an HLS URL to open in VLC, ffplay or a browser player)
              Stop with Ctrl+C.

            """;
    }
}

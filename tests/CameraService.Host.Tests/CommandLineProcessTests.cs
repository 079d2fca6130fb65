using System.Text.RegularExpressions;
using CameraService.Abstractions.Plugins;
using CameraService.Tests.Support;

namespace CameraService.Host.Tests;

/// <summary>The built <c>camera-service</c> as an operator runs it: a child process with its real plugins folder, environment and signals.</summary>
public sealed class CommandLineProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Plugins_AfterBuild_ListsTheFourInRepoPluginsAsLoaded()
    {
        // No --Plugins:Directory: the default is plugins/ next to the binary, where the build puts the in-repo plugins.
        using var host = await HostProcess.RunAsync(
            ["plugins", "--config", EmptyConfigFolder(), $"--State:Directory={_temp.Combine("state")}", $"--Storage:Root={_temp.Combine("media")}"]);

        Assert.True(host.ExitCode == 0, host.StandardError);
        var rows = host.StandardOutput.Split('\n')
            .Select(line => Regex.Match(line, @"^(?<id>[a-z0-9-]+)\s+(?<version>\S+)\s+(?<state>Loaded|Disabled|Incompatible|Faulted)\b"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["id"].Value, m => m.Groups["state"].Value);
        foreach (var id in new[] { "mediamtx", "storage", "v4l2", "websocket" })
        {
            Assert.True(rows.TryGetValue(id, out var state) && state == "Loaded", $"plugin '{id}' is not Loaded:\n{host.StandardOutput}");
        }
    }

    [Fact]
    public async Task Version_PrintsTheHostVersion()
    {
        using var host = await HostProcess.RunAsync(["--version"]);

        Assert.Equal(0, host.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", host.StandardOutput.Trim());
    }

    [Fact]
    public async Task ConfigCheck_EnvironmentVariable_ReachesApiPort()
    {
        using var host = await HostProcess.RunAsync(
            ["config", "check", .. Isolated()],
            new Dictionary<string, string> { ["CAMERA_SERVICE_Api__Port"] = "18002" });

        Assert.True(host.ExitCode == 0, host.StandardError);
        Assert.Contains("  Api:Port = 18002", host.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_CommandLineOverridesEnvironmentAndFile()
    {
        var config = Directory.CreateDirectory(_temp.Combine("etc")).FullName;
        File.WriteAllText(Path.Combine(config, "10-api.json"), """{ "Api": { "Port": 1000, "PublicBaseUrl": "http://from-file" } }""");

        using var host = await HostProcess.RunAsync(
            ["config", "check", "--config", config, .. Isolated(withConfig: false), "--Api:Port=3000"],
            new Dictionary<string, string> { ["CAMERA_SERVICE_Api__Port"] = "2000" });

        Assert.True(host.ExitCode == 0, host.StandardError);
        Assert.Contains("  Api:Port = 3000", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  Api:PublicBaseUrl = http://from-file", host.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_Secrets_AreRedacted()
    {
        // At least 32 bytes: config check validates Auth:JwtSecret like a start does (HS256 key length).
        const string Secret = "s3cr3t-value-that-must-never-be-shown";
        using var host = await HostProcess.RunAsync(
            ["config", "check", .. Isolated(), $"--Auth:JwtSecret={Secret}", $"--Auth:AdminPassword={Secret}", "--Auth:Issuer=camera-service"],
            new Dictionary<string, string> { ["CAMERA_SERVICE_Api__TlsKeyPassword"] = Secret });

        Assert.True(host.ExitCode == 0, host.StandardError);
        Assert.DoesNotContain(Secret, host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  Auth:JwtSecret = ***", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  Auth:AdminPassword = ***", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  Api:TlsKeyPassword = ***", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  Auth:Issuer = camera-service", host.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadShutdownTimeout_Exits2WithOneLine()
    {
        using var host = await HostProcess.RunAsync(["run", .. Isolated(), "--Host:ShutdownTimeout=-5s"]);

        Assert.Equal(2, host.ExitCode);
        Assert.Equal(
            "Configuration error: Host:ShutdownTimeout: must be a duration between 00:00:01 and 00:10:00, e.g. '30s' or '00:00:30' (got '-5s')",
            host.StandardError.Trim());
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Run_Signal_StopsGracefullyAndExits0(string signal)
    {
        // slow-stop takes 3 s to stop (longer than System.CommandLine's 2 s default process-termination timeout):
        // exit code 0 and the marker prove that Host:ShutdownTimeout (not a fixed timeout) governs the stop.
        using var plugins = new PluginFolder();
        plugins.Add("slow-stop");
        // Broken plugins beside it: the service still starts and stops cleanly.
        plugins.Add("throws");
        plugins.Add("newer-major");
        plugins.Add("missing-dependency", without: "Fixtures.Library.dll");
        var marker = _temp.Combine("slow-stop.marker");

        using var host = HostProcess.Start(
        [
            "run", .. Isolated(), $"--Plugins:Directory={plugins.Path}",
            "--Host:ShutdownTimeout=30s", "--Plugins:slow-stop:StopDelay=00:00:03", $"--Plugins:slow-stop:MarkerFile={marker}",
        ]);
        await host.WaitUntilAsync(() => host.StandardOutput.Contains("Application started", StringComparison.Ordinal), Timeout, "the service to start");
        Assert.Equal("started", File.ReadAllText(marker));
        Assert.Contains("Plugin slow-stop 1.0.0 loaded, providing ICameraSource", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Plugin throws is Faulted: threw in ConfigureServices: InvalidOperationException: fixture failure", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Plugin newer-major is Incompatible: was built against CameraService.Abstractions {AbstractionsVersion.Major + 1}.0", host.StandardOutput, StringComparison.Ordinal);

        await host.SignalAsync(signal);
        await host.WaitForExitAsync(Timeout);

        Assert.True(host.ExitCode == 0, $"exit code {host.ExitCode}\n{host.StandardOutput}\n{host.StandardError}");
        Assert.Equal("stopped", File.ReadAllText(marker));
    }

    [Fact]
    public async Task Run_StopExceedsShutdownTimeout_AbandonsTheComponentAndExits1WithOneLine()
    {
        using var plugins = new PluginFolder();
        plugins.Add("slow-stop");
        var marker = _temp.Combine("slow-stop.marker");

        using var host = HostProcess.Start(
        [
            "run", .. Isolated(), $"--Plugins:Directory={plugins.Path}",
            "--Host:ShutdownTimeout=1s", "--Plugins:slow-stop:StopDelay=00:10:00", $"--Plugins:slow-stop:MarkerFile={marker}",
        ]);
        await host.WaitUntilAsync(() => host.StandardOutput.Contains("Application started", StringComparison.Ordinal), Timeout, "the service to start");

        await host.SignalAsync("TERM");
        await host.WaitForExitAsync(Timeout);

        Assert.Equal(1, host.ExitCode);
        Assert.Equal("camera-service did not stop within Host:ShutdownTimeout (00:00:01); components still stopping were abandoned", host.StandardError.Trim());
        Assert.Equal("started", File.ReadAllText(marker));
    }

    private string EmptyConfigFolder() => Directory.CreateDirectory(_temp.Combine("empty-etc")).FullName;

    private string[] Isolated(bool withConfig = true) =>
    [
        .. withConfig ? new[] { "--config", EmptyConfigFolder() } : [],
        $"--Plugins:Directory={_temp.Combine("no-plugins")}",
        $"--State:Directory={_temp.Combine("state")}",
        $"--Storage:Root={_temp.Combine("media")}",
    ];
}

using CameraService.Tests.Support;

namespace CameraService.Host.Tests;

/// <summary>Serializes the tests that redirect the process-wide Console.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}

/// <summary>The real CLI entry point, in process: exit codes and the one-line configuration errors.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ProgramTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("run")]
    [InlineData("plugins")]
    [InlineData("config check")]
    public async Task Main_BadShutdownTimeout_PrintsOneLineNamingKeyAndRuleAndExits2(string command)
    {
        var (exitCode, _, stderr) = await RunMainAsync([.. command.Split(' '), .. Isolated(), "--Host:ShutdownTimeout=soon"]);

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "Configuration error: Host:ShutdownTimeout: must be a duration between 00:00:01 and 00:10:00, e.g. '30s' or '00:00:30' (got 'soon')",
            stderr.TrimEnd());
    }

    [Fact]
    public async Task Main_ShutdownTimeoutOutOfRange_Exits2()
    {
        var (exitCode, _, stderr) = await RunMainAsync(["config", "check", .. Isolated(), "--Host:ShutdownTimeout=11m"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Configuration error: Host:ShutdownTimeout: must be a duration between", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("config check")]
    public async Task Main_ChangeMePlaceholderLeftInConfig_RefusesToStartNamingTheKey(string command)
    {
        // Issue 17, hole 7: the shipped CHANGE-ME password must never end up in a running service.
        var (exitCode, _, stderr) = await RunMainAsync([.. command.Split(' '), .. Isolated(), "--Plugins:MediaMtx:Password=CHANGE-ME"]);

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "Configuration error: Plugins:MediaMtx:Password: still holds the placeholder CHANGE-ME; set a real value (or remove the key) before starting",
            stderr.TrimEnd());
    }

    [Fact]
    public async Task Main_ConfigPathDoesNotExist_Exits2NamingTheOption()
    {
        var missing = _temp.Combine("nope.json");

        var (exitCode, _, stderr) = await RunMainAsync(["config", "check", "--config", missing]);

        Assert.Equal(2, exitCode);
        Assert.Equal($"Configuration error: --config: '{missing}' is neither a file nor a folder", stderr.TrimEnd());
    }

    [Fact]
    public async Task Main_PluginEnabledNotBoolean_Exits2NamingTheKey()
    {
        using var plugins = new PluginFolder();
        plugins.Add("good");

        var (exitCode, _, stderr) = await RunMainAsync(["plugins", .. Isolated(), $"--Plugins:Directory={plugins.Path}", "--Plugins:good:Enabled=maybe"]);

        Assert.Equal(2, exitCode);
        Assert.Equal("Configuration error: Plugins:good:Enabled: must be true or false (got 'maybe')", stderr.TrimEnd());
    }

    [Fact]
    public async Task Main_ValidConfigCheck_Exits0AndPrintsEffectiveValues()
    {
        var (exitCode, stdout, stderr) = await RunMainAsync(["config", "check", .. Isolated(), "--Host:ShutdownTimeout=15s"]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("Configuration is valid.", stdout, StringComparison.Ordinal);
        Assert.Contains("  Host:ShutdownTimeout = 15s", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_Plugins_PrintsTableWithStateAndReason()
    {
        using var plugins = new PluginFolder();
        plugins.Add("good");
        plugins.Add("throws");

        var (exitCode, stdout, _) = await RunMainAsync(["plugins", .. Isolated(), $"--Plugins:Directory={plugins.Path}"]);

        Assert.Equal(0, exitCode);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"Plugins in {plugins.Path}:", lines[0]);
        Assert.Matches(@"^ID\s+VERSION\s+STATE\s+CONTRACTS\s+REASON$", lines[1]);
        Assert.Matches(@"^good\s+1\.0\.0\s+Loaded\s+ICameraSource$", lines[2]);
        Assert.Matches(@"^throws\s+1\.0\.0\s+Faulted\s+threw in ConfigureServices: InvalidOperationException: fixture failure", lines[3]);
    }

    /// <summary>Arguments that keep the test away from /etc/camera-service and the machine's folders.</summary>
    private string[] Isolated() =>
    [
        "--config", Directory.CreateDirectory(_temp.Combine("etc")).FullName,
        $"--Plugins:Directory={_temp.Combine("no-plugins")}",
        $"--State:Directory={_temp.Combine("state")}",
        $"--Storage:Root={_temp.Combine("media")}",
    ];

    internal static Task<(int ExitCode, string Stdout, string Stderr)> RunMainAsync(string[] args) => CaptureAsync(() => Program.Main(args));

    /// <summary>Runs a command with the process-wide Console captured (callers are in the Console collection).</summary>
    internal static async Task<(int ExitCode, string Stdout, string Stderr)> CaptureAsync(Func<Task<int>> command)
    {
        var originalOut = Console.Out;
        var originalError = Console.Error;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var exitCode = await command();
            return (exitCode, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}

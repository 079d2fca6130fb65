using System.Text.Json;
using CameraService.Perf.Client;

namespace CameraService.Perf.Tests;

/// <summary>The CLI end to end: verbs, target checks, the echo server as a child process, the service launcher's failure paths.</summary>
public sealed class CommandLineTests
{
    internal static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.BuildCommandLine(output, error, string.Join(' ', args)).Parse(args).InvokeAsync();
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Limit_SmokeWithEchoChildProcess_ExitsZeroAndWritesJson()
    {
        using var results = new TempDirectory();

        var (code, output, error) = await RunAsync("limit", "--smoke", "--results-dir", results.Path);

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        var json = Assert.Single(Directory.GetFiles(results.Path, "limit-smoke-*.json"));
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var phase = document.RootElement.GetProperty("phases")[0];
        Assert.Equal("limit (echo)", phase.GetProperty("name").GetString());
        Assert.True(phase.GetProperty("requests").GetInt64() > 0);
        Assert.Equal(0, phase.GetProperty("errors").GetInt64());
        // The echo server ran as a separate process, so its CPU and RSS were sampled from /proc.
        Assert.True(phase.GetProperty("server").GetProperty("rss_max_bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Scenario_NoTarget_ExitsOneAndAsksForOne()
    {
        var (code, _, error) = await RunAsync("throughput", "--smoke", "--no-results");

        Assert.Equal(1, code);
        Assert.Contains("choose a target", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws://192.0.2.10:8002/ws")]
    [InlineData("ws://example.invalid:8002/ws")]
    public async Task Scenario_NonLoopbackUrl_IsRefusedBeforeAnyTraffic(string url)
    {
        var (code, _, error) = await RunAsync("throughput", "--url", url, "--no-results");

        Assert.Equal(1, code);
        Assert.Contains("loopback only", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scenario_StartServiceNotBuilt_ExitsOneWithBuildHint()
    {
        using var temp = new TempDirectory();

        var (code, _, error) = await RunAsync("baseline", "--start-service", "--smoke", "--no-results", "--service-dll", Path.Combine(temp.Path, "camera-service.dll"));

        Assert.Equal(1, code);
        Assert.Contains("dotnet build -c Release", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scenario_StartServiceTokenCommandFails_ExitsOneNamingTheCommand()
    {
        // The harness's own echo server stands in for the service (it listens on {port}/ws and answers ping), and
        // the token command is one that fails: the run must stop with a message naming the command.
        var perfDll = typeof(RpcMethod).Assembly.Location;

        var (code, _, error) = await RunAsync(
            "baseline", "--start-service", "--smoke", "--no-results",
            "--service-dll", perfDll,
            "--service-args", "echo-server --port {port}",
            "--token-args", "token-create-does-not-exist --State:Directory={state}",
            "--emulator", "off");

        Assert.Equal(1, code);
        Assert.Contains("minting a token failed", error, StringComparison.Ordinal);
        Assert.Contains("token-create-does-not-exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Baseline_StartServiceWithStandIn_StartsSamplesAndStopsIt()
    {
        // The launcher's success path end to end: the echo server stands in for camera-service.dll (started on
        // {port}), `echo` stands in for the token command, and the run must complete against the started process,
        // sample it from /proc, and leave nothing running.
        using var results = new TempDirectory();
        var perfDll = typeof(RpcMethod).Assembly.Location;
        const string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl";

        var (code, output, error) = await RunAsync(
            "baseline", "--start-service", "--smoke", "--results-dir", results.Path,
            "--service-dll", perfDll,
            "--service-args", "echo-server --port {port}",
            "--token-exec", "echo",
            "--token-args", "token: " + jwt,
            "--emulator", "off");

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        var json = Assert.Single(Directory.GetFiles(results.Path, "baseline-smoke-*.json"));
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Equal("service", document.RootElement.GetProperty("parameters").GetProperty("target").GetString());
        var server = document.RootElement.GetProperty("phases")[0].GetProperty("server");
        Assert.True(server.GetProperty("rss_max_bytes").GetInt64() > 0);
        var pid = server.GetProperty("pid").GetInt32();
        Assert.False(File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), "the started server is still running");
    }

    [Fact]
    public async Task Control_StartServiceWithEmulatorStandIn_StartsBothAndCompletes()
    {
        // Another echo server stands in for the MediaMTX emulator: the launcher must start it first on {emuport},
        // wait until it answers HTTP, then start the service, and stop both.
        using var results = new TempDirectory();
        var perfDll = typeof(RpcMethod).Assembly.Location;

        var (code, output, error) = await RunAsync(
            "control", "--start-service", "--smoke", "--results-dir", results.Path,
            "--service-dll", perfDll,
            "--service-args", "echo-server --port {port}",
            "--token-exec", "echo",
            "--token-args", "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl",
            "--emulator", "on",
            "--emulator-dll", perfDll,
            "--emulator-args", "echo-server --port {emuport}",
            "--emulator-service-args", "");

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        Assert.Contains("starting the MediaMTX emulator", output, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(results.Path, "control-smoke-*.json"));
    }

    [Fact]
    public async Task Scenario_StartServiceEmulatorOnButNotBuilt_ExitsOneWithBuildHint()
    {
        using var temp = new TempDirectory();
        var perfDll = typeof(RpcMethod).Assembly.Location;

        var (code, _, error) = await RunAsync(
            "control", "--start-service", "--smoke", "--no-results", "--service-dll", perfDll,
            "--emulator", "on", "--emulator-dll", Path.Combine(temp.Path, "MediaMtxEmulator.dll"));

        Assert.Equal(1, code);
        Assert.Contains("emulator is not built", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_AgainstEcho_ExitsOneSayingNotAvailable()
    {
        var (code, _, error) = await RunAsync("discovery", "--echo", "--echo-in-process", "--smoke", "--no-results");

        Assert.Equal(1, code);
        Assert.Contains("not available", error, StringComparison.Ordinal);
    }
}

/// <summary>perf/history.csv: --record appends a line per phase, `trend` shows first/previous/latest.</summary>
public sealed class HistoryTests
{
    [Fact]
    public async Task Record_ThreeRuns_AppendsLinesWithCommitAndLoad_TrendShowsFirstPreviousLatest()
    {
        using var dir = new TempDirectory();
        var history = Path.Combine(dir.Path, "history.csv");

        for (var i = 0; i < 3; i++)
        {
            var (code, output, error) = await CommandLineTests.RunAsync("limit", "--smoke", "--results-dir", dir.Path, "--record", "--history-file", history);
            Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        }

        var lines = await File.ReadAllLinesAsync(history);
        Assert.StartsWith("started_utc,commit,scenario,smoke,phase,target,req_per_s,p50_ms,p95_ms", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Contains(",limit,True,limit (echo),", l, StringComparison.Ordinal));

        // Smoke runs are kept in the file but are not a trend; the same rows as full runs are.
        await File.WriteAllLinesAsync(history, lines.Select((l, i) => i == 0 ? l : l.Replace(",True,", ",False,", StringComparison.Ordinal)));
        var (trendCode, trend, _) = await CommandLineTests.RunAsync("trend", "--file", history);

        Assert.Equal(0, trendCode);
        Assert.Contains("| limit | limit (echo) | limit (echo) | first (", trend, StringComparison.Ordinal);
        Assert.Contains("| limit | limit (echo) | limit (echo) | previous (", trend, StringComparison.Ordinal);
        Assert.Contains("| limit | limit (echo) | limit (echo) | latest (", trend, StringComparison.Ordinal);
    }
}

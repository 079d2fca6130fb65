using System.Text.Json;
using CameraService.Perf.Chaos;
using MediaMtxContract;

namespace CameraService.Perf.Tests;

/// <summary>
/// <c>perf/run.sh chaos --mediamtx &lt;binary&gt;</c>. No MediaMTX binary can be had on this machine, so the MediaMTX
/// emulator stands in for one: a shell script that answers <c>--version</c> and, given the config the harness writes,
/// starts the emulator on that config's API and RTSP addresses — the harness treats it exactly as a mediamtx binary
/// (writes its config, starts it, runs the contract suite against it, kills and restarts it for kill-emulator).
/// </summary>
public sealed class ChaosMediaMtxTests
{
    [Fact]
    public async Task MediaMtx_EmulatorStandingIn_ReportListsEveryContractCasePassed()
    {
        using var temp = new TempDirectory();
        var launch = ServiceSmokeTests.ServiceLaunch();
        var binary = StandIn(temp.Path, launch.EmulatorDll!);
        var settings = ChaosCommand.Read("mediamtx", duration: 4, interval: 2, seed: 4, faults: "kill-emulator,emulator-slow", smoke: true, tmpfsMiB: 256, mediamtx: binary) with
        {
            Launch = launch,
            ResultsDirectory = temp.Path,
            CommandLine = "chaos --smoke --backend mediamtx --mediamtx " + binary,
        };
        var log = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var runs = await ChaosCommand.RunAllWithReportsAsync(settings, log, timeout.Token);

        var (result, report) = Assert.Single(runs);
        Assert.NotNull(report);
        var contract = Assert.IsAssignableFrom<IReadOnlyList<MediaMtxContractResult>>(result.Contract);
        Assert.Equal(MediaMtxContractCases.All.Select(c => c.Name), contract.Select(c => c.Name));
        Assert.True(contract.All(c => c.Passed), "contract failures:\n" + string.Join('\n', contract.Where(c => !c.Passed).Select(c => c.Name + ": " + c.Failure)) + "\n" + log);
        Assert.Equal((MediaMtxContractCases.All.Count, 0), result.Log.Invariants["mediamtx-contract"]);
        Assert.Contains(binary, result.MediaMtx, StringComparison.Ordinal);

        var markdown = await File.ReadAllTextAsync(report);
        Assert.Contains("## MediaMTX contract", markdown, StringComparison.Ordinal);
        foreach (var contractCase in MediaMtxContractCases.All)
        {
            Assert.Contains($"| {contractCase.Name} | pass |", markdown, StringComparison.Ordinal);
        }

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(report, ".json")));
        Assert.Equal(MediaMtxContractCases.All.Count, json.RootElement.GetProperty("contract").GetArrayLength());

        // The slow/500 faults need the emulator's side channel: skipped with the reason; the kill hit the stand-in.
        Assert.Contains("/_emulator/faults", result.Skipped["emulator-slow"], StringComparison.Ordinal);
        Assert.True(result.Log.Faults.Any(f => f.Kind == "kill-emulator" && f.NotInjected is null), "no kill-emulator injected:\n" + log);
        Assert.True(result.EmulatorStarts >= 2, $"the stand-in was started {result.EmulatorStarts}×:\n{log}");
        Assert.True(File.Exists(Path.Combine(temp.Path, "stand-in-started")), "the harness did not start the given binary");
    }

    [Theory]
    [InlineData("missing", "does not exist")]
    [InlineData("not-executable", "is not executable")]
    [InlineData("directory", "is a directory")]
    public async Task MediaMtx_PathNotAnExecutable_OneLineAndExitTwo(string kind, string expected)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "mediamtx");
        if (kind == "not-executable")
        {
            await File.WriteAllTextAsync(path, "#!/bin/sh\nexit 0\n");
        }
        else if (kind == "directory")
        {
            Directory.CreateDirectory(path);
        }

        var (code, output, error) = await CommandLineTests.RunAsync("chaos", "--smoke", "--backend", "mediamtx", "--mediamtx", path, "--no-results");

        Assert.Equal(2, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("chaos: --mediamtx: " + path + " " + expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("chaos[", output, StringComparison.Ordinal);
    }

    /// <summary>A shell script that behaves like a mediamtx binary towards the harness, running the emulator.</summary>
    private static string StandIn(string directory, string emulatorDll)
    {
        var path = Path.Combine(directory, "mediamtx");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            # Stands in for mediamtx: "mediamtx --version" and "mediamtx <config.yml>" (API and RTSP addresses from it).
            emulator='{{emulatorDll}}'
            if [ "$1" = "--version" ]; then exec dotnet "$emulator" --version; fi
            [ -f "$1" ] || { echo "no config file: $1" >&2; exit 1; }
            touch '{{Path.Combine(directory, "stand-in-started")}}'
            api=$(sed -n 's/^apiAddress: *//p' "$1")
            rtsp=$(sed -n 's/^rtspAddress: *//p' "$1")
            exec dotnet "$emulator" --api-address "$api" --rtsp-address "$rtsp" --recordings-root "$(dirname "$1")" --media --rtsp-server

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

using System.Diagnostics;
using CameraService.EndToEnd.Tests;

namespace CameraService.Fleet.Tests;

/// <summary>Bad fleet settings stop the start with one line naming the key and exit code 2.</summary>
public sealed class FleetConfigurationTests
{
    [Theory]
    [InlineData("Fleet:Role", "--Fleet:Role=leader")]
    [InlineData("Fleet:NodeId", "--Fleet:Role=node", "--Fleet:Secret=0123456789abcdef0123456789abcdef")]
    [InlineData("Fleet:NodeId", "--Fleet:Role=node", "--Fleet:NodeId=Box.1", "--Fleet:Secret=0123456789abcdef0123456789abcdef")]
    [InlineData("Fleet:Secret", "--Fleet:Role=gateway", "--Fleet:Secret=short")]
    [InlineData("Fleet:Nats:Url", "--Fleet:Role=gateway", "--Fleet:Secret=0123456789abcdef0123456789abcdef", "--Fleet:Nats:Url=http://x")]
    [InlineData("Fleet:NodeTimeout", "--Fleet:NodeTimeout=soon")]
    public async Task Run_BadFleetSetting_ExitCode2AndOneLineNamingTheKey(string key, params string[] args)
    {
        var root = Directory.CreateTempSubdirectory("cs-fleet-config-").FullName;
        try
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            psi.ArgumentList.Add(ServiceProcess.HostDll);
            psi.ArgumentList.Add("run");
            psi.ArgumentList.Add($"--State:Directory={Path.Combine(root, "state")}");
            psi.ArgumentList.Add($"--Storage:Root={Path.Combine(root, "media")}");
            psi.ArgumentList.Add("--Api:BindAddress=127.0.0.1");
            psi.ArgumentList.Add($"--Api:Port={ServiceProcess.FreePort()}");
            foreach (var arg in args)
            {
                psi.ArgumentList.Add(arg);
            }

            using var process = Process.Start(psi)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(cts.Token);

            Assert.Equal(2, process.ExitCode);
            var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var line = Assert.Single(lines);
            Assert.Contains(key, line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
            _ = await stdout;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

using System.Diagnostics;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>Runs the console's own JavaScript unit tests (plugins/webui/ui/test, node --test) so ./test.sh covers them.</summary>
public sealed class ConsoleUnitTests
{
    [Fact]
    public async Task JavaScriptUnitTests_Pass()
    {
        var ui = Path.Combine(CameraService.EndToEnd.Tests.ServiceProcess.RepoRoot, "plugins", "webui", "ui");
        var psi = new ProcessStartInfo("npm", "test") { WorkingDirectory = ui, RedirectStandardOutput = true, RedirectStandardError = true };
        using var npm = Process.Start(psi)!;
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await npm.WaitForExitAsync(cts.Token);
        var output = await stdout + await stderr;

        Assert.True(npm.ExitCode == 0, "npm test failed:\n" + output);
        Assert.Matches(@"# pass [1-9]\d*", output);
        Assert.Contains("# fail 0", output, StringComparison.Ordinal);
    }
}

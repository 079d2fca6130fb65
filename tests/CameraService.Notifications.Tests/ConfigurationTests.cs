using CameraService.Tests.Support;

namespace CameraService.Notifications.Tests;

/// <summary>Bad MQTT and webhook settings stop the start with exit code 2 and one line naming the key.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Plugins:Mqtt:Url", "--Plugins:Mqtt:Url=http://broker:1883")]
    [InlineData("Plugins:Mqtt:Commands:Role", "--Plugins:Mqtt:Commands:Role=root")]
    [InlineData("Plugins:Mqtt:BaseTopic", "--Plugins:Mqtt:BaseTopic=cams/#")]
    [InlineData("Plugins:Mqtt:ClientKeyPath", "--Plugins:Mqtt:ClientCertificatePath=/etc/cert.pem")]
    [InlineData("Notifications:Webhooks:0:Secret", "--Notifications:Webhooks:0:Url=http://127.0.0.1:9/hook", "--Notifications:Webhooks:0:Secret=short")]
    [InlineData("Notifications:Webhooks:0:Url", "--Notifications:Webhooks:0:Url=ftp://127.0.0.1/hook", "--Notifications:Webhooks:0:Secret=0123456789abcdef0123")]
    [InlineData("Notifications:Webhooks:0:Topics", "--Notifications:Webhooks:0:Url=http://127.0.0.1:9/hook", "--Notifications:Webhooks:0:Secret=0123456789abcdef0123", "--Notifications:Webhooks:0:Topics:0=recording.everything")]
    public async Task ConfigCheck_InvalidSetting_ExitsWith2NamingTheKey(string key, params string[] settings)
    {
        var state = Directory.CreateTempSubdirectory("notif-config-");
        try
        {
            using var run = await HostProcess.RunAsync(["config", "check", $"--State:Directory={state.FullName}", $"--Storage:Root={Path.Combine(state.FullName, "media")}", "--Plugins:Mqtt:Enabled=true", .. settings]);
            Assert.True(run.ExitCode == 2, $"exit code {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
            Assert.Contains(key, run.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }
}

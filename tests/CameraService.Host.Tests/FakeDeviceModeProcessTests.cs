using CameraService.Tests.Support;

namespace CameraService.Host.Tests;

/// <summary>
/// The v4l2 plugin's fake-device mode (<c>Plugins:V4l2:FakeDevicesDirectory</c>) with the real host: the fakes are a
/// separate assembly (tests/CameraService.Plugins.V4l2.Fakes) that the plugin loads from its own folder into its own
/// load context only in that mode; a plugin folder without it (a release package) refuses the key with one line.
/// </summary>
public sealed class FakeDeviceModeProcessTests : IDisposable
{
    private const string FakesAssembly = "CameraService.Plugins.V4l2.Fakes.dll";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_FakeDevices_LoadsTheFakesIntoThePluginAndFindsTheFakeCamera()
    {
        var plugins = CopyV4l2Plugin(withFakes: true);
        var dev = Directory.CreateDirectory(_temp.Combine("dev")).FullName;
        Directory.CreateDirectory(_temp.Combine("sys"));
        File.WriteAllText(Path.Combine(dev, "video0"), "c920-h264.txt\n");

        using var host = HostProcess.Start(
        [
            "run", .. Isolated(plugins), "--Plugins:V4l2:FakeDevicesDirectory=fixtures/v4l2",
            $"--Plugins:V4l2:DeviceRoot={dev}", $"--Plugins:V4l2:SysfsRoot={_temp.Combine("sys")}", "--Plugins:V4l2:UseNetlink=false",
        ]);
        await host.WaitUntilAsync(() => host.StandardOutput.Contains("discovery found 1 camera(s)", StringComparison.Ordinal), Timeout, "the fake camera");

        Assert.Contains("answers from fake devices", host.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Plugin v4l2 1.0.0 loaded, providing ICameraSource", host.StandardOutput, StringComparison.Ordinal);
        await host.SignalAsync("TERM");
        await host.WaitForExitAsync(Timeout);
        Assert.True(host.ExitCode == 0, $"exit code {host.ExitCode}\n{host.StandardOutput}\n{host.StandardError}");
    }

    [Fact]
    public async Task Run_FakeDevices_WithoutTheFakesAssembly_Exits2WithOneLineNamingTheKey()
    {
        var plugins = CopyV4l2Plugin(withFakes: false);

        using var host = await HostProcess.RunAsync(["run", .. Isolated(plugins), "--Plugins:V4l2:FakeDevicesDirectory=fixtures/v4l2"]);

        Assert.Equal(2, host.ExitCode);
        var line = Assert.Single(host.StandardError.Trim().Split('\n'));
        Assert.StartsWith("Configuration error:", line, StringComparison.Ordinal);
        Assert.Contains("Plugins:V4l2:FakeDevicesDirectory", line, StringComparison.Ordinal);
        Assert.Contains(FakesAssembly, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithoutTheFakesAssembly_RealDeviceModeStillStarts()
    {
        var plugins = CopyV4l2Plugin(withFakes: false);
        var dev = Directory.CreateDirectory(_temp.Combine("dev")).FullName;

        using var host = HostProcess.Start(["run", .. Isolated(plugins), $"--Plugins:V4l2:DeviceRoot={dev}", "--Plugins:V4l2:UseNetlink=false"]);
        await host.WaitUntilAsync(() => host.StandardOutput.Contains("discovery found 0 camera(s)", StringComparison.Ordinal), Timeout, "the empty discovery");

        Assert.DoesNotContain("fake devices", host.StandardOutput, StringComparison.Ordinal);
        await host.SignalAsync("TERM");
        await host.WaitForExitAsync(Timeout);
        Assert.True(host.ExitCode == 0, $"exit code {host.ExitCode}\n{host.StandardOutput}\n{host.StandardError}");
    }

    /// <summary>The host build's v4l2 plugin folder (where the fakes build installs itself), with or without the fakes.</summary>
    private string CopyV4l2Plugin(bool withFakes)
    {
        var source = Path.Combine(RepositoryPaths.HostOutput, "plugins", "v4l2");
        Assert.True(File.Exists(Path.Combine(source, FakesAssembly)), $"{FakesAssembly} is not in {source}; build tests/CameraService.Host.Tests (it builds the fakes).");
        var target = _temp.Combine("plugins", "v4l2");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (!withFakes && (relative.StartsWith("CameraService.Plugins.V4l2.Fakes.", StringComparison.Ordinal) || relative.StartsWith("fixtures", StringComparison.Ordinal)))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }

        return _temp.Combine("plugins");
    }

    private string[] Isolated(string plugins) =>
    [
        "--config", Directory.CreateDirectory(_temp.Combine("empty-etc")).FullName,
        $"--Plugins:Directory={plugins}",
        $"--State:Directory={_temp.Combine("state")}",
        $"--Storage:Root={_temp.Combine("media")}",
    ];
}

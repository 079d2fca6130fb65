using System.Text.Json;

namespace CameraService.Deploy.Tests;

[Collection(DebianPackageCollection.Name)]
public sealed class DebianPackageTests(DebianPackageFixture fixture)
{
    [Fact]
    public void Package_Metadata_DeclaresDependenciesAndConffiles()
    {
        var info = DebianPackageFixture.Run("dpkg-deb", ["-I", fixture.Package], fixture.WorkDir, TimeSpan.FromMinutes(1));

        Assert.Contains("Package: camera-service", info, StringComparison.Ordinal);
        Assert.Contains("Version: 1.0.0", info, StringComparison.Ordinal);
        Assert.Contains("Architecture: amd64", info, StringComparison.Ordinal);
        Assert.Matches(@"Depends: .*\bffmpeg\b", info);
        var conffiles = DebianPackageFixture.Run("dpkg-deb", ["--ctrl-tarfile", fixture.Package], fixture.WorkDir, TimeSpan.FromMinutes(1));
        Assert.Contains("conffiles", conffiles, StringComparison.Ordinal);
    }

    [Fact]
    public void Package_Contents_HasLayout()
    {
        var listing = DebianPackageFixture.Run("dpkg-deb", ["-c", fixture.Package], fixture.WorkDir, TimeSpan.FromMinutes(1));

        Assert.Contains("./opt/camera-service/camera-service", listing, StringComparison.Ordinal);
        Assert.Contains("./etc/camera-service/camera-service.json", listing, StringComparison.Ordinal);
        Assert.Contains("./lib/systemd/system/camera-service.service", listing, StringComparison.Ordinal);
        Assert.Contains("./usr/bin/camera-service -> /opt/camera-service/camera-service", listing, StringComparison.Ordinal);
        Assert.Contains("./usr/bin/camctl -> /opt/camera-service/camctl", listing, StringComparison.Ordinal);
        foreach (var plugin in new[] { "v4l2", "mediamtx", "storage", "websocket", "webui" })
        {
            Assert.Contains($"./opt/camera-service/plugins/{plugin}/plugin.json", listing, StringComparison.Ordinal);
        }

        // Test doubles never ship: the v4l2 plugin's fake-device assembly and its fixtures are development-only.
        Assert.Contains("./opt/camera-service/plugins/v4l2/CameraService.Plugins.V4l2.dll", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("Fakes", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("fixtures/v4l2", listing, StringComparison.Ordinal);

        // Program files belong to root and are not writable by anyone else.
        foreach (var line in listing.Split('\n').Where(l => l.Contains("./opt/", StringComparison.Ordinal)))
        {
            Assert.Contains("root/root", line, StringComparison.Ordinal);
            Assert.Equal('-', line[5]); // group write bit
            Assert.Equal('-', line[8]); // other write bit
        }
    }

    [RootFact]
    public void Install_IntoScratchRoot_CreatesUserStateSecretAndPermissions()
    {
        var root = fixture.NewScratchRoot();

        var output = fixture.DpkgInstall(root, fixture.Package);

        Assert.Contains("token create --role admin", output, StringComparison.Ordinal);
        var passwd = File.ReadAllText(Path.Combine(root, "etc/passwd"));
        Assert.Matches(@"(?m)^camera-service:x:\d+:\d+:.*:/var/lib/camera-service:/usr/sbin/nologin$", passwd);
        Assert.Matches(@"(?m)^video:x:\d+:.*\bcamera-service\b", File.ReadAllText(Path.Combine(root, "etc/group")));

        // Issue 17: MediaMTX (group camera-media) may only pass through the state directory to the shared media one.
        var state = Path.Combine(root, "var/lib/camera-service");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(state));
        Assert.True(Directory.Exists(Path.Combine(state, "media")));
        Assert.Equal(UnixFileMode.SetGroup | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(Path.Combine(state, "media")));
        Assert.Matches(@"(?m)^camera-media:x:\d+:.*\bcamera-service\b", File.ReadAllText(Path.Combine(root, "etc/group")));

        // Issue 17, hole 7: the configuration is not world-readable.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(root, "etc/camera-service/camera-service.json")));

        var secrets = Path.Combine(root, "etc/camera-service/secrets.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(secrets));
        using var doc = JsonDocument.Parse(File.ReadAllText(secrets));
        Assert.True(doc.RootElement.GetProperty("Auth").GetProperty("JwtSecret").GetString()!.Length >= 32);

        var conffiles = File.ReadAllText(Path.Combine(root, "var/lib/dpkg/status"));
        Assert.Contains("/etc/camera-service/camera-service.json", conffiles, StringComparison.Ordinal);
    }

    [RootFact]
    public void Upgrade_KeepsEditedConfigSecretAndMedia()
    {
        var root = fixture.NewScratchRoot();
        fixture.DpkgInstall(root, fixture.Package);
        var config = Path.Combine(root, "etc/camera-service/camera-service.json");
        var edited = File.ReadAllText(config).Replace("\"Port\": 8002", "\"Port\": 18002", StringComparison.Ordinal);
        File.WriteAllText(config, edited);
        var secret = File.ReadAllText(Path.Combine(root, "etc/camera-service/secrets.json"));
        var recording = Path.Combine(root, "var/lib/camera-service/media/recordings/camera0/camera0_2026-11-27_10-15-00-123456.mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(recording)!);
        File.WriteAllBytes(recording, [1, 2, 3, 4]);

        fixture.DpkgInstall(root, fixture.UpgradePackage);

        Assert.Contains("Version: 1.0.1", File.ReadAllText(Path.Combine(root, "var/lib/dpkg/status")), StringComparison.Ordinal);
        Assert.Equal(edited, File.ReadAllText(config));
        Assert.Equal(secret, File.ReadAllText(Path.Combine(root, "etc/camera-service/secrets.json")));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(recording));
    }

    [RootFact]
    public void RemoveThenPurge_KeepsDataOnRemove_DeletesOnPurge()
    {
        var root = fixture.NewScratchRoot();
        fixture.DpkgInstall(root, fixture.Package);
        var media = Path.Combine(root, "var/lib/camera-service/media/snapshots/camera0/camera0_2026-11-27_10-15-02.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(media)!);
        File.WriteAllBytes(media, [9]);

        DebianPackageFixture.Run("dpkg", [$"--root={root}", "--force-depends", "--force-script-chrootless", "-r", "camera-service"], fixture.WorkDir, TimeSpan.FromMinutes(1));

        Assert.False(File.Exists(Path.Combine(root, "opt/camera-service/camera-service")));
        Assert.True(File.Exists(media));
        Assert.True(File.Exists(Path.Combine(root, "etc/camera-service/camera-service.json")));

        DebianPackageFixture.Run("dpkg", [$"--root={root}", "--force-depends", "--force-script-chrootless", "-P", "camera-service"], fixture.WorkDir, TimeSpan.FromMinutes(1));

        Assert.False(Directory.Exists(Path.Combine(root, "etc/camera-service")));
        Assert.False(Directory.Exists(Path.Combine(root, "var/lib/camera-service")));
        Assert.DoesNotContain("camera-service:", File.ReadAllText(Path.Combine(root, "etc/passwd")), StringComparison.Ordinal);
    }

    [Fact]
    public void SystemdUnit_IsHardenedAndVerifies()
    {
        var unitPath = Path.Combine(fixture.RepoRoot, "deploy/systemd/camera-service.service");
        var unit = File.ReadAllText(unitPath);
        foreach (var directive in new[]
                 {
                     "Type=notify", "ProtectSystem=strict", "ReadWritePaths=/var/lib/camera-service", "PrivateTmp=true",
                     "NoNewPrivileges=true", "DeviceAllow=char-video4linux rw", "SupplementaryGroups=video", "Restart=on-failure",
                     "LimitNOFILE=65536", "StandardOutput=journal", "User=camera-service",
                     "SystemCallFilter=@system-service", "SystemCallArchitectures=native", "ProtectProc=invisible", "RemoveIPC=yes",
                 })
        {
            Assert.Contains(directive, unit, StringComparison.Ordinal);
        }

        // systemd-analyze verify checks that ExecStart exists: point it at the published binary.
        var dir = Directory.CreateDirectory(Path.Combine(fixture.WorkDir, "unit-" + Guid.NewGuid().ToString("N"))).FullName;
        var copy = Path.Combine(dir, "camera-service.service");
        File.WriteAllText(copy, unit.Replace("/opt/camera-service/camera-service", Path.Combine(fixture.PublishedDir, "camera-service"), StringComparison.Ordinal));
        var output = DebianPackageFixture.Run("systemd-analyze", ["verify", copy], dir, TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("camera-service.service:", output, StringComparison.Ordinal);
    }
}

/// <summary>Issue 17: the shipped MediaMTX configuration and unit.</summary>
public sealed class MediaMtxDeployTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir!.FullName, relative);
    }

    [Fact]
    public void MediaMtxYml_NoAnonymousPermission_AuthDelegatedToTheService()
    {
        var yaml = File.ReadAllText(RepoFile("deploy/mediamtx/mediamtx.yml"));

        Assert.Matches("(?m)^authMethod: http$", yaml);
        Assert.Matches("(?m)^authHTTPAddress: http://127\\.0\\.0\\.1:8002/mediamtx/auth$", yaml);
        Assert.Matches(@"(?m)^authHTTPExclude: \[\]$", yaml);
        Assert.DoesNotContain("authInternalUsers", yaml, StringComparison.Ordinal);
        Assert.DoesNotMatch("(?m)user: *any", yaml);
        Assert.Matches("(?m)^  overridePublisher: false$", yaml);
        Assert.DoesNotContain("CHANGE-ME", File.ReadAllText(RepoFile("deploy/mediamtx/mediamtx.yml")), StringComparison.Ordinal);
    }

    [Fact]
    public void MediaMtxUnit_OwnUserAndHardened()
    {
        var unit = File.ReadAllText(RepoFile("deploy/mediamtx/mediamtx.service"));

        foreach (var directive in new[]
                 {
                     "User=mediamtx", "Group=mediamtx", "SupplementaryGroups=video camera-media", "ProtectSystem=strict",
                     "ReadWritePaths=/var/lib/camera-service/media", "NoNewPrivileges=true", "PrivateTmp=true", "ProtectHome=true",
                     "SystemCallFilter=@system-service", "SystemCallArchitectures=native", "ProtectProc=invisible", "RemoveIPC=yes",
                     "CapabilityBoundingSet=", "RestrictNamespaces=true", "ProtectKernelTunables=true", "DevicePolicy=closed",
                 })
        {
            Assert.Contains(directive, unit, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("User=camera-service", unit, StringComparison.Ordinal);
    }
}

[Collection(DebianPackageCollection.Name)]
public sealed class InstalledServiceTests(DebianPackageFixture fixture)
{
    [RootFact]
    public async Task InstalledBinary_WithPackagedConfig_BecomesReady()
    {
        var root = fixture.NewScratchRoot();
        fixture.DpkgInstall(root, fixture.Package);
        var port = FreePort();
        var state = Path.Combine(root, "var/lib/camera-service");
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(root, "opt/camera-service/camera-service"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = state,
        };
        // The packaged configuration, with the paths of the scratch root and the test-pattern source on.
        foreach (var arg in new[]
                 {
                     "run", "--config", Path.Combine(root, "etc/camera-service"),
                     $"--State:Directory={state}", $"--Storage:Root={Path.Combine(state, "media")}",
                     "--Api:BindAddress=127.0.0.1", $"--Api:Port={port}", "--Plugins:TestPattern:Enabled=true",
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var ready = false;
            for (var i = 0; i < 300 && !ready && !process.HasExited; i++)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"));
                    ready = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                catch (TaskCanceledException)
                {
                    // slow start
                }

                if (!ready)
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(ready, "the installed service never answered /health/ready with 200:\n" + log);
            using var cameras = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            Assert.Contains("\"components\"", await cameras.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // The package ships the built web console (embedded in the webui plugin) at GET /.
            using var console = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"));
            Assert.True(console.IsSuccessStatusCode, "GET / of the installed service: " + console.StatusCode);
            Assert.Contains("cs-ws-path", await console.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

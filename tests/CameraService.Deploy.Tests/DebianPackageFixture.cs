using System.Diagnostics;

namespace CameraService.Deploy.Tests;

/// <summary>
/// Builds the Debian package once for all tests (deploy/debian/build-deb.sh), plus a second package with a
/// higher version from the same published folder for the upgrade test.
/// </summary>
public sealed class DebianPackageFixture : IDisposable
{
    public DebianPackageFixture()
    {
        RepoRoot = FindRepoRoot();
        WorkDir = Directory.CreateTempSubdirectory("cs-deb-").FullName;
        IsRoot = Environment.UserName == "root";
        var output = Run("bash", [Path.Combine(RepoRoot, "deploy/debian/build-deb.sh"), "--out", WorkDir, "--version", "1.0.0", "--no-r2r"], RepoRoot, TimeSpan.FromMinutes(8));
        Package = output.Trim().Split('\n')[^1].Trim();
        PublishedDir = Path.Combine(WorkDir, "linux-x64");
        UpgradePackage = Run("bash", [Path.Combine(RepoRoot, "deploy/debian/build-deb.sh"), "--out", WorkDir, "--version", "1.0.1", "--from", PublishedDir], RepoRoot, TimeSpan.FromMinutes(3))
            .Trim().Split('\n')[^1].Trim();
    }

    public string RepoRoot { get; }

    public string WorkDir { get; }

    public string Package { get; }

    public string UpgradePackage { get; }

    public string PublishedDir { get; }

    public bool IsRoot { get; }

    public void Dispose() => Directory.Delete(WorkDir, recursive: true);

    /// <summary>Makes an empty scratch root that dpkg --root can install into (its own dpkg database, users and groups).</summary>
    public string NewScratchRoot()
    {
        var root = Directory.CreateDirectory(Path.Combine(WorkDir, "root-" + Guid.NewGuid().ToString("N"))).FullName;
        foreach (var dir in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        File.WriteAllText(Path.Combine(root, "var/lib/dpkg/status"), string.Empty);
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        File.WriteAllText(Path.Combine(root, "etc/group"), "root:x:0:\n");
        File.WriteAllText(Path.Combine(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n");
        File.WriteAllText(Path.Combine(root, "etc/gshadow"), "root:*::\n");
        if (File.Exists("/etc/login.defs"))
        {
            File.Copy("/etc/login.defs", Path.Combine(root, "etc/login.defs"));
        }

        return root;
    }

    public string DpkgInstall(string root, string package) =>
        Run("dpkg", [$"--root={root}", "--force-depends", "--force-script-chrootless", "--force-confold", "-i", package], WorkDir, TimeSpan.FromMinutes(2));

    public static string Run(string file, IReadOnlyList<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{stdout.GetAwaiter().GetResult()}\n{stderr.GetAwaiter().GetResult()}");
        }

        return stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (CameraService.slnx) not found above the test binaries");
    }
}

[CollectionDefinition(Name)]
public sealed class DebianPackageCollection : ICollectionFixture<DebianPackageFixture>
{
    public const string Name = "debian package";
}

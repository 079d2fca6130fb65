using System.Diagnostics;
using System.Globalization;

namespace CameraService.Perf.Chaos;

/// <summary>
/// What the disk and clock faults need from the host, set up before the processes start: a tmpfs of
/// <see cref="ChaosSettings.TmpfsMiB"/> MiB as the storage root (root only; unmounted at the end whatever happened),
/// and libfaketime for the service with its offset in a file the clock fault rewrites. Where either is impossible, the
/// reason is kept for the report and the fault is skipped.
/// </summary>
internal sealed class DiskAndClock(ChaosSettings settings, string storageRoot, string tempDirectory)
{
    /// <summary>Where Debian's libfaketime lives.</summary>
    public const string LibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    /// <summary>The service's extra environment (libfaketime), empty when the clock fault is off or unavailable.</summary>
    public Dictionary<string, string> ServiceEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The storage root is a tmpfs of <see cref="ChaosSettings.TmpfsMiB"/> MiB (root only).</summary>
    public bool TmpfsMounted { get; private set; }

    /// <summary>The offset file libfaketime reads for the service (null when the clock fault is off or unavailable).</summary>
    public string? FaketimeFile { get; private set; }

    /// <summary>Why the disk fault cannot run here (null when it can).</summary>
    public string? DiskFaultUnavailable { get; private set; }

    /// <summary>Why the clock fault cannot run here (null when it can).</summary>
    public string? ClockFaultUnavailable { get; private set; }

    /// <summary>Writes the libfaketime offset (e.g. <c>+600</c>, <c>-2</c>, <c>+0</c>) the service reads within a second.</summary>
    public void SetClockOffset(string offset)
    {
        if (FaketimeFile is { } file)
        {
            var temp = file + ".tmp";
            File.WriteAllText(temp, offset + "\n");
            File.Move(temp, file, overwrite: true);
        }
    }

    /// <summary>Mounts the tmpfs storage root and sets libfaketime up, each when its fault is selected and possible.</summary>
    public async Task PrepareAsync()
    {
        await PrepareStorageAsync().ConfigureAwait(false);
        PrepareClock();
    }

    /// <summary>Unmounts the tmpfs storage root (lazily: a process still holding a file there cannot stop it).</summary>
    public async Task UnmountAsync()
    {
        if (TmpfsMounted)
        {
            await RunAsync("umount", ["-l", storageRoot]).ConfigureAwait(false);
            TmpfsMounted = false;
        }
    }

    private static async Task<int> RunAsync(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return -1;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return process.ExitCode;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return -1;
        }
    }

    private async Task PrepareStorageAsync()
    {
        if (!settings.FaultEnabled("disk-full"))
        {
            DiskFaultUnavailable = "not selected (--faults)";
            return;
        }

        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal) && !IsRoot())
        {
            DiskFaultUnavailable = "not root: a tmpfs storage root cannot be mounted (run as root, or --faults without disk-full)";
            return;
        }

        var size = settings.TmpfsMiB.ToString(CultureInfo.InvariantCulture) + "m";
        var code = await RunAsync("mount", ["-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", storageRoot]).ConfigureAwait(false);
        if (code != 0)
        {
            DiskFaultUnavailable = $"mount -t tmpfs failed with exit code {code} (no CAP_SYS_ADMIN in this container?)";
            return;
        }

        TmpfsMounted = true;
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void PrepareClock()
    {
        if (!settings.FaultEnabled("clock-step"))
        {
            ClockFaultUnavailable = "not selected (--faults)";
            return;
        }

        if (!File.Exists(LibFaketime))
        {
            ClockFaultUnavailable = $"libfaketime is not installed ({LibFaketime}; apt-get install faketime)";
            return;
        }

        FaketimeFile = Path.Combine(tempDirectory, "faketime.rc");
        SetClockOffset("+0");
        ServiceEnvironment["LD_PRELOAD"] = LibFaketime;
        ServiceEnvironment["FAKETIME_TIMESTAMP_FILE"] = FaketimeFile;
        ServiceEnvironment["FAKETIME_CACHE_DURATION"] = "1";

        // The monotonic clock gets the same offset: .NET's timed waits break under libfaketime otherwise (see
        // scripts/test-shifted-clock.sh), so a step here moves CLOCK_MONOTONIC too — harsher than a real NTP step.
        ServiceEnvironment["DONT_FAKE_MONOTONIC"] = "0";
    }
}

using System.Diagnostics;
using System.Globalization;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Chaos;

/// <summary>
/// The processes of one chaos run on one backend, started with the perf harness's own launch code
/// (<see cref="ServiceTarget"/>): the MediaMTX emulator in media mode with its RTSP server (mediamtx backend), the
/// service with the test-pattern source and the fake V4L2 device tree, and a supervisor that restarts whichever of the
/// two exits — like systemd's <c>Restart=always</c> with <see cref="RestartDelay"/>. Fixed ports, state and storage for
/// the whole run, so a restarted process finds everything where its predecessor left it. When root and the disk fault
/// is on, the storage root is a small tmpfs (unmounted on dispose, whatever happened). When libfaketime is installed and
/// the clock fault is on, the service (only) runs under it, its offset read from a file the clock fault rewrites.
/// </summary>
internal sealed class ChaosRig : IAsyncDisposable
{
    /// <summary>The supervisor's restart delay (systemd's RestartSec).</summary>
    public static readonly TimeSpan RestartDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>Where Debian's libfaketime lives.</summary>
    public const string LibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private readonly ChaosSettings _settings;
    private readonly ChaosLog _log;
    private readonly TextWriter _output;
    private readonly DirectoryInfo _temp;
    private readonly Dictionary<string, string> _values;
    private readonly string _serviceDll;
    private readonly string? _emulatorDll;
    private readonly Dictionary<string, string> _serviceEnvironment = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<(int Pid, long Start)> _knownFfmpeg = [];
    private readonly List<ProcInfo> _knownFfmpegList = [];
    private readonly Lock _gate = new();
    private Process? _service;
    private Process? _emulator;
    private Task _supervisor = Task.CompletedTask;
    private IReadOnlyList<ProcInfo> _emulatorTree = [];
    private volatile bool _stopping;

    private ChaosRig(ChaosSettings settings, string backend, ChaosLog log, TextWriter output, DirectoryInfo temp, string serviceDll, string? emulatorDll)
    {
        _settings = settings;
        Backend = backend;
        _log = log;
        _output = output;
        _temp = temp;
        _serviceDll = serviceDll;
        _emulatorDll = emulatorDll;
        StateDirectory = temp.CreateSubdirectory("state").FullName;
        StorageRoot = temp.CreateSubdirectory("storage").FullName;
        var fake = temp.CreateSubdirectory("fake-devices").FullName;
        FakeDeviceRoot = Directory.CreateDirectory(Path.Combine(fake, "dev")).FullName;
        Directory.CreateDirectory(Path.Combine(fake, "sys"));
        Port = ServiceTarget.FreeLoopbackPort();
        EmulatorPort = ServiceTarget.FreeLoopbackPort();
        RtspPort = ServiceTarget.FreeLoopbackPort();
        _values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["state"] = StateDirectory,
            ["storage"] = StorageRoot,
            ["fakedev"] = fake,
            ["temp"] = temp.FullName,
            ["emuport"] = EmulatorPort.ToString(CultureInfo.InvariantCulture),
            ["rtspport"] = RtspPort.ToString(CultureInfo.InvariantCulture),
        };
        WebSocketUri = new Uri($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/ws");
        HttpBase = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");
        EmulatorApi = new Uri($"http://127.0.0.1:{EmulatorPort.ToString(CultureInfo.InvariantCulture)}/");
    }

    public string Backend { get; }

    public bool HasEmulator => Backend == "mediamtx";

    public string StateDirectory { get; }

    public string StorageRoot { get; }

    public string FakeDeviceRoot { get; }

    public int Port { get; }

    public int EmulatorPort { get; }

    public int RtspPort { get; }

    public Uri WebSocketUri { get; }

    public Uri HttpBase { get; }

    public Uri EmulatorApi { get; }

    public string Token { get; private set; } = string.Empty;

    /// <summary>The storage root is a tmpfs of <see cref="ChaosSettings.TmpfsMiB"/> MiB (root only).</summary>
    public bool TmpfsMounted { get; private set; }

    /// <summary>The offset file libfaketime reads for the service (null when the clock fault is off or unavailable).</summary>
    public string? FaketimeFile { get; private set; }

    /// <summary>Why the disk fault cannot run here (null when it can).</summary>
    public string? DiskFaultUnavailable { get; private set; }

    /// <summary>Why the clock fault cannot run here (null when it can).</summary>
    public string? ClockFaultUnavailable { get; private set; }

    public int ServiceStarts { get; private set; }

    public int EmulatorStarts { get; private set; }

    /// <summary>The service's pid while it runs.</summary>
    public int? ServicePid => _service is { HasExited: false } s ? s.Id : null;

    public int? EmulatorPid => _emulator is { HasExited: false } e ? e.Id : null;

    public string ServiceLogDirectory => _temp.FullName;

    public static async Task<ChaosRig> StartAsync(ChaosSettings settings, string backend, ChaosLog log, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var launch = settings.Launch;
        var serviceDll = ServiceTarget.ResolveDll(launch.ServiceDll);
        var emulatorDll = backend == "mediamtx" ? ServiceTarget.ResolveEmulatorDll(launch with { Emulator = EmulatorMode.On }) : null;
        var fixtures = Path.Combine(Path.GetDirectoryName(serviceDll)!, "plugins", "v4l2", "fixtures", "v4l2", FakeDeviceTree.DefaultFixture);
        if (!File.Exists(fixtures))
        {
            throw new PerfException($"chaos needs the fake V4L2 cameras: {fixtures} does not exist (build the solution: dotnet build -c Release)");
        }

        var rig = new ChaosRig(settings, backend, log, output, Directory.CreateTempSubdirectory("camera-service-chaos-"), serviceDll, emulatorDll);
        try
        {
            await rig.StartAllAsync(cancellationToken).ConfigureAwait(false);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGKILL of the service (the supervisor restarts it). Returns its ffmpeg children at the moment of the kill.</summary>
    public IReadOnlyList<ProcInfo> KillService()
    {
        lock (_gate)
        {
            var children = FfmpegOf(ServicePid);
            _service?.Kill(entireProcessTree: false);
            return children;
        }
    }

    /// <summary>SIGKILL (or SIGTERM, a clean stop: the fresh process then has no paths) of the emulator; the supervisor restarts it.</summary>
    public async Task StopEmulatorAsync(bool hard)
    {
        Process? emulator;
        lock (_gate)
        {
            emulator = _emulator;
        }

        if (emulator is null || emulator.HasExited)
        {
            return;
        }

        if (hard)
        {
            emulator.Kill(entireProcessTree: false);
        }
        else
        {
            await ServiceTarget.StopAsync(emulator).ConfigureAwait(false);
        }
    }

    /// <summary>The ffmpeg processes below the service and the emulator now.</summary>
    public IReadOnlyList<ProcInfo> FfmpegChildren()
    {
        var service = ServiceFfmpeg();
        var emulator = EmulatorPid is { } e ? ProcTree.Descendants(ProcTree.Snapshot(), e).Where(p => p.Comm == "ffmpeg").ToList() : [];
        return [.. service, .. emulator];
    }

    /// <summary>The ffmpeg processes below the service now (remembered for the orphan check).</summary>
    public IReadOnlyList<ProcInfo> ServiceFfmpeg()
    {
        var service = ServicePid is { } s ? ProcTree.Descendants(ProcTree.Snapshot(), s).Where(p => p.Comm == "ffmpeg").ToList() : [];
        Remember(service);
        return service;
    }

    /// <summary>
    /// ffmpeg processes this run saw below the service that still run but are no longer below it: orphans (their
    /// parent was killed or stopped and nobody stopped them). The emulator's are not counted: it is a test double, and
    /// what a dead emulator leaves is killed at its restart (systemd's KillMode=control-group).
    /// </summary>
    public IReadOnlyList<ProcInfo> Orphans()
    {
        var current = FfmpegChildren().Select(p => (p.Pid, p.StartTicks)).ToHashSet();
        lock (_gate)
        {
            return [.. _knownFfmpegList.Where(p => !current.Contains((p.Pid, p.StartTicks)) && ProcTree.IsAlive(p))];
        }
    }

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

    /// <summary>Stops the supervisor and both processes (SIGTERM, then kill), then looks for leftover ffmpeg.</summary>
    public async Task StopAllAsync()
    {
        _stopping = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _supervisor.ConfigureAwait(false);
        foreach (var process in new[] { _service, _emulator })
        {
            if (process is not null)
            {
                await ServiceTarget.StopAsync(process).ConfigureAwait(false);
            }
        }

        var leftovers = _emulatorTree.Where(ProcTree.KillHard).ToList();
        _emulatorTree = [];
        if (leftovers.Count > 0)
        {
            _log.Note($"the stopped emulator left {leftovers.Count} process(es) running, killed: {string.Join(", ", leftovers.Select(p => p.Pid + " " + p.Comm))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync().ConfigureAwait(false);
        _service?.Dispose();
        _emulator?.Dispose();

        // Leftover ffmpeg of this run (reported as orphans before this) must not outlive it.
        lock (_gate)
        {
            foreach (var process in _knownFfmpegList)
            {
                ProcTree.KillHard(process);
            }
        }

        if (TmpfsMounted)
        {
            await RunAsync("umount", ["-l", StorageRoot]).ConfigureAwait(false);
            TmpfsMounted = false;
        }

        if (_settings.KeepTemp)
        {
            await _output.WriteLineAsync($"kept {_temp.FullName} (service-*.log, emulator-*.log, state, storage)").ConfigureAwait(false);
        }
        else
        {
            await ServiceTarget.TryDeleteAsync(_temp).ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private static IReadOnlyList<ProcInfo> FfmpegOf(int? pid)
        => pid is { } p ? [.. ProcTree.Descendants(ProcTree.Snapshot(), p).Where(x => x.Comm == "ffmpeg")] : [];

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

    private void Remember(IEnumerable<ProcInfo> processes)
    {
        lock (_gate)
        {
            foreach (var process in processes)
            {
                if (_knownFfmpeg.Add((process.Pid, process.StartTicks)))
                {
                    _knownFfmpegList.Add(process);
                }
            }
        }
    }

    private async Task StartAllAsync(CancellationToken cancellationToken)
    {
        await PrepareStorageAsync().ConfigureAwait(false);
        PrepareClock();
        if (HasEmulator)
        {
            StartEmulator();
            await ServiceTarget.WaitHttpAsync(_emulator!, new Uri(EmulatorApi, "v3/info"), _settings.Launch.ReadyTimeout, EmulatorLog(EmulatorStarts), cancellationToken).ConfigureAwait(false);
        }

        StartService();
        await ServiceTarget.WaitReadyAsync(_service!, WebSocketUri, _settings.Launch.ReadyTimeout, ServiceLog(ServiceStarts), cancellationToken).ConfigureAwait(false);
        Token = await ServiceTarget.MintTokenAsync(
            _serviceDll,
            null,
            ServiceTarget.Expand("token create --role admin --ttl 24h --State:Directory={state} --Storage:Root={storage}", _values),
            cancellationToken).ConfigureAwait(false);
        await _output.WriteLineAsync($"chaos[{Backend}]: service ready on {WebSocketUri} (pid {_service!.Id}); logs in {_temp.FullName}").ConfigureAwait(false);
        _supervisor = Task.Run(SuperviseAsync, CancellationToken.None);
    }

    private async Task PrepareStorageAsync()
    {
        if (!_settings.FaultEnabled("disk-full"))
        {
            DiskFaultUnavailable = "not selected (--faults)";
            return;
        }

        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal) && !IsRoot())
        {
            DiskFaultUnavailable = "not root: a tmpfs storage root cannot be mounted (run as root, or --faults without disk-full)";
            return;
        }

        var size = _settings.TmpfsMiB.ToString(CultureInfo.InvariantCulture) + "m";
        var code = await RunAsync("mount", ["-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", StorageRoot]).ConfigureAwait(false);
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
        if (!_settings.FaultEnabled("clock-step"))
        {
            ClockFaultUnavailable = "not selected (--faults)";
            return;
        }

        if (!File.Exists(LibFaketime))
        {
            ClockFaultUnavailable = $"libfaketime is not installed ({LibFaketime}; apt-get install faketime)";
            return;
        }

        FaketimeFile = Path.Combine(_temp.FullName, "faketime.rc");
        SetClockOffset("+0");
        _serviceEnvironment["LD_PRELOAD"] = LibFaketime;
        _serviceEnvironment["FAKETIME_TIMESTAMP_FILE"] = FaketimeFile;
        _serviceEnvironment["FAKETIME_CACHE_DURATION"] = "1";

        // The monotonic clock gets the same offset: .NET's timed waits break under libfaketime otherwise (see
        // scripts/test-shifted-clock.sh), so a step here moves CLOCK_MONOTONIC too — harsher than a real NTP step.
        _serviceEnvironment["DONT_FAKE_MONOTONIC"] = "0";
    }

    private string ServiceLog(int start) => Path.Combine(_temp.FullName, $"service-{start.ToString(CultureInfo.InvariantCulture)}.log");

    private string EmulatorLog(int start) => Path.Combine(_temp.FullName, $"emulator-{start.ToString(CultureInfo.InvariantCulture)}.log");

    private void StartService()
    {
        var args = new List<string>();
        args.AddRange(ServiceTarget.Expand(ServiceLaunchOptions.DefaultRunArgs, _values));
        foreach (var extra in FakeDeviceTree.ServiceArguments)
        {
            args.AddRange(ServiceTarget.Expand(extra, _values));
        }

        args.AddRange(Backend == "ffmpeg"
            ? ["--CameraService:StreamBackend=ffmpeg"]
            : ServiceTarget.Expand(ServiceLaunchOptions.DefaultEmulatorServiceArgs, _values));
        args.AddRange(ChaosSettings.ServiceArguments);
        foreach (var extra in _settings.Launch.ExtraArgs)
        {
            args.AddRange(ServiceTarget.Expand(extra, _values));
        }

        lock (_gate)
        {
            ServiceStarts++;
            var process = ServiceTarget.StartDotnet(_serviceDll, args, redirect: true, _serviceEnvironment);
            ServiceTarget.PumpToFile(process, ServiceLog(ServiceStarts));
            _service?.Dispose();
            _service = process;
        }

        _log.Note($"service started (start #{ServiceStarts}, pid {_service.Id})");
    }

    private void StartEmulator()
    {
        var args = ServiceTarget.Expand(ServiceLaunchOptions.DefaultEmulatorArgs + " --media --rtsp-server", _values);
        lock (_gate)
        {
            EmulatorStarts++;
            var process = ServiceTarget.StartDotnet(_emulatorDll!, args, redirect: true);
            ServiceTarget.PumpToFile(process, EmulatorLog(EmulatorStarts));
            _emulator?.Dispose();
            _emulator = process;
        }

        _log.Note($"emulator started (start #{EmulatorStarts}, pid {_emulator.Id})");
    }

    private async Task SuperviseAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, token).ConfigureAwait(false);
                _ = ServiceFfmpeg();
                if (EmulatorPid is { } emulatorPid)
                {
                    _emulatorTree = ProcTree.Descendants(ProcTree.Snapshot(), emulatorPid);
                }

                if (_emulator is { HasExited: true } emulator && !_stopping)
                {
                    // systemd's KillMode=control-group: what the dead emulator (the test double) left running is killed
                    // before the restart. The service gets no such help: its orphans are an invariant violation.
                    var tree = _emulatorTree;
                    var leftovers = tree.Where(ProcTree.KillHard).ToList();
                    _emulatorTree = [];
                    _log.Note($"emulator exited (code {emulator.ExitCode}); {leftovers.Count} of its {tree.Count} child process(es) were left and killed ({string.Join(", ", leftovers.Select(p => p.Comm))}); restarting in {RestartDelay.TotalMilliseconds:0} ms");
                    await Task.Delay(RestartDelay, TimeProvider.System, token).ConfigureAwait(false);
                    StartEmulator();
                }

                if (_service is { HasExited: true } service && !_stopping)
                {
                    _log.Note($"service exited (code {service.ExitCode}); restarting in {RestartDelay.TotalMilliseconds:0} ms");
                    await Task.Delay(RestartDelay, TimeProvider.System, token).ConfigureAwait(false);
                    StartService();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                _log.Note($"supervisor: {ex.Message}");
            }
        }
    }
}

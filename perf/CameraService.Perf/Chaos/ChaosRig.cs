using System.Diagnostics;
using System.Globalization;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Chaos;

/// <summary>
/// The processes of one chaos run on one backend, started with the perf harness's own launch code
/// (<see cref="ServiceTarget"/>): MediaMTX (mediamtx backend: the emulator in media mode with its RTSP server, or a
/// real binary with <c>--mediamtx</c>, see <see cref="Chaos.RealMediaMtx"/>), the service with the test-pattern source
/// and the fake V4L2 device tree, and a supervisor that restarts whichever of the two exits — like systemd's
/// <c>Restart=always</c> with <see cref="RestartDelay"/>. Fixed ports, state and storage for the whole run, so a
/// restarted process finds everything where its predecessor left it. The tmpfs storage root and libfaketime of the disk
/// and clock faults are <see cref="DiskAndClock"/>'s.
/// </summary>
internal sealed class ChaosRig : IAsyncDisposable
{
    /// <summary>The supervisor's restart delay (systemd's RestartSec).</summary>
    public static readonly TimeSpan RestartDelay = TimeSpan.FromMilliseconds(500);

    private readonly ChaosSettings _settings;
    private readonly ChaosLog _log;
    private readonly TextWriter _output;
    private readonly DirectoryInfo _temp;
    private readonly Dictionary<string, string> _values;
    private readonly string _serviceDll;
    private readonly string? _emulatorDll;
    private readonly DiskAndClock _host;
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
        _host = new DiskAndClock(settings, StorageRoot, temp.FullName);
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

    /// <summary>The mediamtx backend: MediaMTX runs (the emulator, or a real one with --mediamtx).</summary>
    public bool HasEmulator => Backend == "mediamtx";

    /// <summary>A real MediaMTX binary runs instead of the emulator (--mediamtx).</summary>
    public bool RealMediaMtx => HasEmulator && _settings.MediaMtx is not null;

    /// <summary>What serves as MediaMTX, for messages and the report.</summary>
    public string MediaMtxLabel => RealMediaMtx ? "MediaMTX" : "the emulator";

    /// <summary>The real MediaMTX's <c>--version</c> (null with the emulator).</summary>
    public string? MediaMtxVersion { get; private set; }

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
    public bool TmpfsMounted => _host.TmpfsMounted;

    /// <summary>Why the disk fault cannot run here (null when it can).</summary>
    public string? DiskFaultUnavailable => _host.DiskFaultUnavailable;

    /// <summary>Why the clock fault cannot run here (null when it can).</summary>
    public string? ClockFaultUnavailable => _host.ClockFaultUnavailable;

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
        var emulatorDll = backend == "mediamtx" && settings.MediaMtx is null ? ServiceTarget.ResolveEmulatorDll(launch with { Emulator = EmulatorMode.On }) : null;
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

    /// <summary>Writes the libfaketime offset (e.g. <c>+60</c>) the service reads within a second (the clock fault).</summary>
    public void SetClockOffset(string offset) => _host.SetClockOffset(offset);

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

        await _host.UnmountAsync().ConfigureAwait(false);

        if (_settings.KeepTemp)
        {
            await _output.WriteLineAsync($"kept {_temp.FullName} (service-*.log, {(RealMediaMtx ? "mediamtx-*.log, mediamtx.yml" : "emulator-*.log")}, state, storage)").ConfigureAwait(false);
        }
        else
        {
            await ServiceTarget.TryDeleteAsync(_temp).ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private static IReadOnlyList<ProcInfo> FfmpegOf(int? pid)
        => pid is { } p ? [.. ProcTree.Descendants(ProcTree.Snapshot(), p).Where(x => x.Comm == "ffmpeg")] : [];

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
        await _host.PrepareAsync().ConfigureAwait(false);
        if (HasEmulator)
        {
            if (RealMediaMtx)
            {
                MediaMtxVersion = await Chaos.RealMediaMtx.VersionAsync(_settings.MediaMtx!, cancellationToken).ConfigureAwait(false);
                await File.WriteAllTextAsync(MediaMtxConfig, Chaos.RealMediaMtx.Config(MediaMtxVersion, EmulatorPort, RtspPort, StorageRoot), cancellationToken).ConfigureAwait(false);
            }

            StartEmulator();
            await ServiceTarget.WaitHttpAsync(_emulator!, new Uri(EmulatorApi, "v3/info"), _settings.Launch.ReadyTimeout, EmulatorLog(EmulatorStarts), cancellationToken, RealMediaMtx ? "MediaMTX" : "the MediaMTX emulator").ConfigureAwait(false);
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

    private string ServiceLog(int start) => Path.Combine(_temp.FullName, $"service-{start.ToString(CultureInfo.InvariantCulture)}.log");

    private string EmulatorLog(int start) => Path.Combine(_temp.FullName, $"{(RealMediaMtx ? "mediamtx" : "emulator")}-{start.ToString(CultureInfo.InvariantCulture)}.log");

    /// <summary>The real MediaMTX's config, written once for the run (every restart reads the same).</summary>
    private string MediaMtxConfig => Path.Combine(_temp.FullName, "mediamtx.yml");

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
            var process = ServiceTarget.StartDotnet(_serviceDll, args, redirect: true, _host.ServiceEnvironment);
            ServiceTarget.PumpToFile(process, ServiceLog(ServiceStarts));
            _service?.Dispose();
            _service = process;
        }

        _log.Note($"service started (start #{ServiceStarts}, pid {_service.Id})");
    }

    private void StartEmulator()
    {
        lock (_gate)
        {
            EmulatorStarts++;
            var process = RealMediaMtx
                ? ServiceTarget.StartProgram(_settings.MediaMtx!, [MediaMtxConfig])
                : ServiceTarget.StartDotnet(_emulatorDll!, ServiceTarget.Expand(ServiceLaunchOptions.DefaultEmulatorArgs + " --media --rtsp-server", _values), redirect: true, _host.ServiceEnvironment);
            ServiceTarget.PumpToFile(process, EmulatorLog(EmulatorStarts));
            _emulator?.Dispose();
            _emulator = process;
        }

        _log.Note($"{MediaMtxLabel} started (start #{EmulatorStarts}, pid {_emulator.Id})");
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
                    _log.Note($"{MediaMtxLabel} exited (code {emulator.ExitCode}); {leftovers.Count} of its {tree.Count} child process(es) were left and killed ({string.Join(", ", leftovers.Select(p => p.Comm))}); restarting in {RestartDelay.TotalMilliseconds:0} ms");
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

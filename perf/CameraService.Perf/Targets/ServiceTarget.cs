using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CameraService.Perf.Client;

namespace CameraService.Perf.Targets;

/// <summary>How <c>--start-service</c> starts the service and mints its token. Arguments are templates (see <see cref="ServiceTarget.Expand"/>).</summary>
internal sealed record ServiceLaunchOptions(
    string? ServiceDll,
    string RunArgs,
    string TokenArgs,
    IReadOnlyList<string> ExtraArgs,
    string WebSocketPath,
    TimeSpan ReadyTimeout,
    bool KeepTemp,
    string? TokenExecutable = null,
    string? GivenToken = null,
    EmulatorMode Emulator = EmulatorMode.Auto,
    string? EmulatorDll = null,
    string EmulatorArgs = ServiceLaunchOptions.DefaultEmulatorArgs,
    string EmulatorServiceArgs = ServiceLaunchOptions.DefaultEmulatorServiceArgs)
{
    /// <summary>The emulator's command line; {emuport} and {rtspport} are free loopback ports.</summary>
    public const string DefaultEmulatorArgs = "--api-address 127.0.0.1:{emuport} --rtsp-address 127.0.0.1:{rtspport} --recordings-root {storage}";

    /// <summary>What the service gets when the emulator runs: the MediaMTX plugin pointed at it.</summary>
    public const string DefaultEmulatorServiceArgs = "--Plugins:MediaMtx:ApiUrl=http://127.0.0.1:{emuport} --Plugins:MediaMtx:RtspPort={rtspport}";

    /// <summary>Where <c>dotnet build -c Release</c> puts the MediaMTX emulator, relative to the repository root.</summary>
    public const string DefaultEmulatorDll = "tests/MediaMtxEmulator/bin/Release/net10.0/MediaMtxEmulator.dll";

    /// <summary>The default service command line; {port}, {state}, {storage}, {fakedev}, {temp} are filled in.</summary>
    public const string DefaultRunArgs =
        "run --Api:BindAddress=127.0.0.1 --Api:Port={port} --Api:PublicBaseUrl=http://127.0.0.1:{port} " +
        "--Api:RateLimit:RequestsPerSecond=1000000 --Api:RateLimit:Burst=1000000 --Api:MaxConnectionsPerAddress=20000 " +
        "--State:Directory={state} --Storage:Root={storage} --Plugins:TestPattern:Enabled=true";

    /// <summary>The default token command line (same state directory, so the same signing secret).</summary>
    public const string DefaultTokenArgs = "token create --role admin --ttl 1h --State:Directory={state} --Storage:Root={storage}";

    /// <summary>Where <c>dotnet build -c Release</c> puts the host, relative to the repository root.</summary>
    public const string DefaultServiceDll = "host/bin/Release/net10.0/camera-service.dll";
}

/// <summary>Whether --start-service also starts the MediaMTX emulator.</summary>
internal enum EmulatorMode
{
    /// <summary>When it is built (a note says so when it is not).</summary>
    Auto,

    /// <summary>Always; a missing build stops the run.</summary>
    On,

    /// <summary>Never (the service runs without a reachable stream backend).</summary>
    Off,
}

/// <summary>
/// Starts <c>camera-service.dll run</c> on a free loopback port with a temporary state and storage directory, waits
/// until its WebSocket answers <c>ping</c>, then mints an admin token with the service's own CLI. Stops it (SIGTERM,
/// then kill) and deletes the temporary directory when disposed.
/// </summary>
internal sealed partial class ServiceTarget : ITarget
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly Process? _emulator;
    private readonly DirectoryInfo _temp;
    private readonly bool _keepTemp;

    private ServiceTarget(TargetInfo info, Process process, Process? emulator, DirectoryInfo temp, bool keepTemp)
    {
        Info = info;
        _process = process;
        _emulator = emulator;
        _temp = temp;
        _keepTemp = keepTemp;
    }

    public TargetInfo Info { get; }

    /// <summary>The service's combined stdout/stderr log (in the temp directory).</summary>
    public string LogPath => Path.Combine(_temp.FullName, "service.log");

    public static async Task<ServiceTarget> StartAsync(
        ServiceLaunchOptions options,
        Func<string, CancellationToken, Task>? prepareStorage,
        TextWriter log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var dll = ResolveDll(options.ServiceDll);
        var emulatorDll = ResolveEmulatorDll(options);
        var temp = Directory.CreateTempSubdirectory("camera-service-perf-");
        Process? process = null;
        Process? emulator = null;
        try
        {
            var state = temp.CreateSubdirectory("state").FullName;
            var storage = temp.CreateSubdirectory("storage").FullName;
            var fakeDevices = temp.CreateSubdirectory("fake-devices").FullName;
            Directory.CreateDirectory(Path.Combine(fakeDevices, "dev"));
            Directory.CreateDirectory(Path.Combine(fakeDevices, "sys"));
            if (prepareStorage is not null)
            {
                await prepareStorage(storage, cancellationToken).ConfigureAwait(false);
            }

            var port = FreeLoopbackPort();
            var values = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["state"] = state,
                ["storage"] = storage,
                ["fakedev"] = fakeDevices,
                ["temp"] = temp.FullName,
                ["emuport"] = FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["rtspport"] = FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            var runArgs = Expand(options.RunArgs, values).Concat(options.ExtraArgs.SelectMany(a => Expand(a, values))).ToList();
            if (emulatorDll is not null)
            {
                var emulatorArgs = Expand(options.EmulatorArgs, values);
                var emulatorLog = Path.Combine(temp.FullName, "emulator.log");
                await log.WriteLineAsync($"starting the MediaMTX emulator: dotnet {emulatorDll} {string.Join(' ', emulatorArgs)} (log: {emulatorLog})").ConfigureAwait(false);
                emulator = StartDotnet(emulatorDll, emulatorArgs, redirect: true);
                PumpToFile(emulator, emulatorLog);
                await WaitHttpAsync(emulator, new Uri($"http://127.0.0.1:{values["emuport"]}/v3/info"), options.ReadyTimeout, emulatorLog, cancellationToken).ConfigureAwait(false);
                runArgs.AddRange(Expand(options.EmulatorServiceArgs, values));
            }
            else if (options.Emulator == EmulatorMode.Auto)
            {
                await log.WriteLineAsync($"no MediaMTX emulator built ({ServiceLaunchOptions.DefaultEmulatorDll}): the service runs without a reachable stream backend").ConfigureAwait(false);
            }

            var logPath = Path.Combine(temp.FullName, "service.log");
            await log.WriteLineAsync($"starting: dotnet {dll} {string.Join(' ', runArgs)} (log: {logPath})").ConfigureAwait(false);
            process = StartDotnet(dll, runArgs, redirect: true);
            PumpToFile(process, logPath);

            var uri = new Uri($"ws://127.0.0.1:{port}{options.WebSocketPath}");
            await WaitReadyAsync(process, uri, options.ReadyTimeout, logPath, cancellationToken).ConfigureAwait(false);
            var token = options.GivenToken
                ?? await MintTokenAsync(dll, options.TokenExecutable, Expand(options.TokenArgs, values), cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"service ready on {uri} (pid {process.Id}); {(options.GivenToken is null ? "admin token minted" : "using the given --token")}").ConfigureAwait(false);
            return new ServiceTarget(new TargetInfo(TargetKind.Service, uri, token, process.Id, storage, Path.Combine(fakeDevices, "dev"), Path.GetDirectoryName(dll)), process, emulator, temp, options.KeepTemp);
        }
        catch
        {
            foreach (var started in new[] { process, emulator })
            {
                if (started is not null)
                {
                    await StopAsync(started).ConfigureAwait(false);
                    started.Dispose();
                }
            }

            if (!options.KeepTemp)
            {
                await TryDeleteAsync(temp).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Splits a template on spaces and fills {name} placeholders (paths here never contain spaces).</summary>
    internal static IReadOnlyList<string> Expand(string template, IReadOnlyDictionary<string, string> values)
        => [.. template.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => Placeholder().Replace(part, m => values.TryGetValue(m.Groups[1].Value, out var v)
                ? v
                : throw new PerfException($"unknown placeholder {m.Value} in '{template}' (known: {string.Join(", ", values.Keys.Select(k => "{" + k + "}"))})")))];

    /// <summary>A port that was free a moment ago on 127.0.0.1.</summary>
    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_process).ConfigureAwait(false);
        _process.Dispose();
        if (_emulator is not null)
        {
            await StopAsync(_emulator).ConfigureAwait(false);
            _emulator.Dispose();
        }

        if (!_keepTemp)
        {
            await TryDeleteAsync(_temp).ConfigureAwait(false);
        }
    }

    internal static string ResolveDll(string? configured)
    {
        var path = configured;
        if (string.IsNullOrEmpty(path))
        {
            var root = Results.ResultWriter.FindRepoRoot()
                ?? throw new PerfException("cannot find the repository root (CameraService.slnx) to locate the service: pass --service-dll <path to camera-service.dll>");
            path = Path.Combine(root, ServiceLaunchOptions.DefaultServiceDll);
        }

        if (!File.Exists(path))
        {
            throw new PerfException($"the service is not built: {path} does not exist. Run `dotnet build -c Release` in the repository root, or pass --service-dll <path to camera-service.dll>.");
        }

        return Path.GetFullPath(path);
    }

    internal static string? ResolveEmulatorDll(ServiceLaunchOptions options)
    {
        if (options.Emulator == EmulatorMode.Off)
        {
            return null;
        }

        var path = options.EmulatorDll;
        if (string.IsNullOrEmpty(path))
        {
            var root = Results.ResultWriter.FindRepoRoot();
            path = root is null ? null : Path.Combine(root, ServiceLaunchOptions.DefaultEmulatorDll);
        }

        if (path is not null && File.Exists(path))
        {
            return Path.GetFullPath(path);
        }

        return options.Emulator == EmulatorMode.On
            ? throw new PerfException($"the MediaMTX emulator is not built: {path ?? ServiceLaunchOptions.DefaultEmulatorDll} does not exist. Run `dotnet build -c Release` in the repository root, pass --emulator-dll, or --emulator off.")
            : null;
    }

    /// <summary>Waits until <paramref name="uri"/> answers HTTP at all (any status: the emulator is listening).</summary>
    internal static async Task WaitHttpAsync(Process process, Uri uri, TimeSpan timeout, string logPath, CancellationToken cancellationToken, string what = "the MediaMTX emulator")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.GetTimestamp();
        var lastError = "no attempt yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (process.HasExited)
            {
                throw new PerfException($"{what} exited with code {process.ExitCode} before it listened on {uri}. Its log ({logPath}) ends with:\n{Tail(logPath)}");
            }

            try
            {
                using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when ((ex is HttpRequestException or TaskCanceledException) && !cancellationToken.IsCancellationRequested)
            {
                lastError = ex.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        throw new PerfException($"{what} did not answer {uri} within {timeout.TotalSeconds:0} s (last: {lastError}); log tail ({logPath}):\n{Tail(logPath)}");
    }

    internal static Process StartDotnet(string dll, IEnumerable<string> arguments, bool redirect, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new PerfException($"could not start dotnet {dll}");
    }

    internal static Process StartProgram(string executable, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new PerfException($"could not start {executable}");
    }

    internal static void PumpToFile(Process process, string path)
    {
        var writer = new StreamWriter(path) { AutoFlush = true };
        var gate = new Lock();
        var open = 2;
        void Line(string? line)
        {
            lock (gate)
            {
                if (line is null)
                {
                    if (--open == 0)
                    {
                        writer.Dispose();
                    }

                    return;
                }

                writer.WriteLine(line);
            }
        }

        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    internal static async Task WaitReadyAsync(Process process, Uri uri, TimeSpan timeout, string logPath, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var ping = RpcMethod.Create("ping");
        string lastError = "no attempt yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (process.HasExited)
            {
                throw new PerfException($"the service exited with code {process.ExitCode} before it listened on {uri}. Its log ({logPath}) ends with:\n{Tail(logPath)}");
            }

            try
            {
                await using var connection = await RpcConnection.ConnectAsync(uri, TimeSpan.FromSeconds(2), 0, cancellationToken).ConfigureAwait(false);
                var outcome = await connection.CallAsync(ping, capture: false, cancellationToken).ConfigureAwait(false);
                if (outcome.IsOk)
                {
                    return;
                }

                lastError = "ping answered " + outcome.Label;
            }
            catch (Exception ex) when ((ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or HttpRequestException) && !cancellationToken.IsCancellationRequested)
            {
                lastError = ex.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        throw new PerfException($"the service did not answer ping on {uri} within {timeout.TotalSeconds:0} s (last: {lastError}). Check the WebSocket path (--ws-path) and the port key in --service-args. Log tail ({logPath}):\n{Tail(logPath)}");
    }

    internal static async Task<string> MintTokenAsync(string dll, string? executable, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        using var process = executable is null ? StartDotnet(dll, arguments, redirect: true) : StartProgram(executable, arguments);
        var shown = executable is null ? $"dotnet {dll} {string.Join(' ', arguments)}" : $"{executable} {string.Join(' ', arguments)}";
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new PerfException($"`{shown}` did not finish within 60 s");
        }

        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new PerfException($"minting a token failed: `{shown}` exited with {process.ExitCode}: {errors.Trim()} {output.Trim()}. Pass --token-args/--token-exec to change the command, or give the token with --token.");
        }

        var jwt = Jwt().Match(output);
        if (!jwt.Success)
        {
            throw new PerfException($"`{shown}` printed no JWT (header.payload.signature) on stdout; it printed: {output.Trim()}");
        }

        return jwt.Value;
    }

    internal static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        // SIGTERM first so the service shuts down gracefully (and flushes its state); kill only if it hangs.
        _ = Kill(process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    internal static string Tail(string path)
    {
        try
        {
            return string.Join('\n', File.ReadLines(path).TakeLast(20));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    internal static async Task TryDeleteAsync(DirectoryInfo directory)
    {
        // rm -rf first: deleting the files scenario's 100,000 generated files from this process ran at 550–1,400
        // files/s on this loaded machine (Directory.Delete and a File.Delete loop alike; the unlink calls themselves
        // took 34 µs), i.e. minutes after the measurement and past run.sh's time budget, while rm -rf (and a Python
        // unlink loop) needs 1–2 s for the same tree. The managed delete below stays as the fallback.
        try
        {
            var start = new ProcessStartInfo("rm") { UseShellExecute = false, RedirectStandardError = true };
            start.ArgumentList.Add("-rf");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(directory.FullName);
            using var rm = Process.Start(start);
            if (rm is not null)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await rm.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException or InvalidOperationException)
        {
            // No rm (or it hung): fall back to the managed delete.
        }

        try
        {
            directory.Refresh();
            if (directory.Exists)
            {
                directory.Delete(recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory is not worth failing a finished run for.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"\{([a-z]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")]
    private static partial Regex Jwt();
}

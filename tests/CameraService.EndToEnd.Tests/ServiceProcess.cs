using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// The real host (<c>camera-service.dll</c> built next to the tests' configuration) as a separate process on a free
/// 127.0.0.1 port, with its own state and media folders. Killed (SIGKILL) or stopped (SIGTERM) by the test.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public ServiceProcess(string root, IReadOnlyDictionary<string, string> settings)
    {
        Root = root;

        // A restart of the same service (same settings) keeps its port.
        Port = settings.TryGetValue("Api:Port", out var port) ? int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) : FreePort();
        Settings = new Dictionary<string, string>(settings)
        {
            ["Api:BindAddress"] = "127.0.0.1",
            ["Api:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Api:PublicBaseUrl"] = $"http://127.0.0.1:{Port}",
            ["State:Directory"] = Path.Combine(root, "state"),
            ["Storage:Root"] = Path.Combine(root, "media"),
            ["Host:ShutdownTimeout"] = "10s",
        };
        foreach (var (k, v) in settings)
        {
            Settings[k] = v;
        }
    }

    public string Root { get; }

    public int Port { get; }

    public Dictionary<string, string> Settings { get; }

    public Uri WebSocketUrl => new($"ws://127.0.0.1:{Port}/ws");

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public string MediaRoot => Settings["Storage:Root"];

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public int? ProcessId => _process?.Id;

    public static string HostDll
    {
        get
        {
            var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var dll = Path.Combine(RepoRoot, "host", "bin", config, "net10.0", "camera-service.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"The host is not built at {dll}; run dotnet build first.");
        }
    }

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CameraService.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("CameraService.slnx not found above the test binaries");
        }
    }

    /// <summary>Starts the service and waits until <c>/health/ready</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        psi.ArgumentList.Add(HostDll);
        psi.ArgumentList.Add("run");
        foreach (var arg in ConfigArgs())
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["DOTNET_gcServer"] = "0";
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"camera-service exited with {_process.ExitCode} during start:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"{BaseUrl}/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow answer while starting.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"camera-service did not become ready within {timeout}:\n{Log}");
    }

    /// <summary>Runs a CLI command of the host (e.g. token create) with the same configuration and returns its standard output.</summary>
    public async Task<string> RunCliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        psi.ArgumentList.Add(HostDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var arg in ConfigArgs())
        {
            psi.ArgumentList.Add(arg);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"camera-service {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}{await stdout}");
        }

        return await stdout;
    }

    /// <summary>Mints a token with <c>camera-service token create</c>.</summary>
    public async Task<string> CreateTokenAsync(string role = "admin")
    {
        var output = await RunCliAsync("token", "create", "--role", role, "--ttl", "1h");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Last(l => l.Count(c => c == '.') == 2 && !l.Contains(' ', StringComparison.Ordinal));
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    private IEnumerable<string> ConfigArgs() => Settings.Select(kv => $"--{kv.Key}={kv.Value}");

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

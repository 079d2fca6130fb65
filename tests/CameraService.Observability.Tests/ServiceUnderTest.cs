using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CameraService.Tests.Support;

namespace CameraService.Observability.Tests;

/// <summary>
/// The built camera-service running as a child process on 127.0.0.1 and a free port, with its own state and media
/// folders (deleted on dispose), the test-pattern cameras and the ffmpeg backend unless the test says otherwise.
/// </summary>
internal sealed class ServiceUnderTest : IAsyncDisposable
{
    private readonly DirectoryInfo _root;
    private HostProcess? _process;

    private ServiceUnderTest(DirectoryInfo root, int port, IReadOnlyList<string> arguments)
    {
        _root = root;
        Port = port;
        Arguments = arguments;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public IReadOnlyList<string> Arguments { get; }

    public HttpClient Http { get; }

    public string StateDirectory => Path.Combine(_root.FullName, "state");

    public string MediaRoot => Path.Combine(_root.FullName, "media");

    public HostProcess Process => _process ?? throw new InvalidOperationException("The service is not started.");

    /// <summary>Everything the process wrote so far (stdout and stderr).</summary>
    public string Output => _process is null ? string.Empty : _process.StandardOutput + _process.StandardError;

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>Prepares the folders and arguments; <paramref name="settings"/> are extra <c>Key=value</c> settings.</summary>
    public static ServiceUnderTest Create(params string[] settings)
    {
        var root = Directory.CreateTempSubdirectory("obs-tests-");
        var port = FreePort();
        var arguments = new List<string>
        {
            $"--Api:Port={port}",
            "--Api:BindAddress=127.0.0.1",
            $"--State:Directory={Path.Combine(root.FullName, "state")}",
            $"--Storage:Root={Path.Combine(root.FullName, "media")}",
            "--Plugins:TestPattern:Enabled=true",
            "--CameraService:StreamBackend=ffmpeg",

            // Quiet by default: the first (JIT-compiled) calls and a loaded test machine must not raise alerts.
            "--Alerts:CpuPercent:Warning=100000",
            "--Alerts:CpuPercent:Critical=100000",
            "--Alerts:P95LatencyMs:Warning=100000",
            "--Alerts:P95LatencyMs:Critical=100000",
        };
        arguments.AddRange(settings.Select(s => "--" + s));
        return new ServiceUnderTest(root, port, arguments);
    }

    /// <summary>Runs <c>camera-service.dll &lt;command…&gt;</c> with the same settings and returns its stdout's last line.</summary>
    public async Task<string> RunCommandAsync(params string[] command)
    {
        using var run = await HostProcess.RunAsync([.. command, .. Arguments]);
        Assert.True(run.ExitCode == 0, $"{string.Join(' ', command)} failed ({run.ExitCode}):\n{run.StandardOutput}\n{run.StandardError}");
        return run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
    }

    public Task<string> CreateTokenAsync(string role = "admin") => RunCommandAsync("token", "create", "--role", role, "--ttl", "1h");

    public Task<string> CreateApiKeyAsync(string role = "operator") => RunCommandAsync("apikey", "create", "--role", role, "--name", "obs-test");

    /// <summary>Starts the service and waits until <c>/health/ready</c> answers 200.</summary>
    public async Task StartAsync()
    {
        _process = HostProcess.Start(["run", .. Arguments]);
        await WaitUntilAsync(async () =>
        {
            try
            {
                using var response = await Http.GetAsync("/health/ready");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "/health/ready to answer 200");
    }

    /// <summary>Stops the service with SIGTERM and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { } p)
        {
            await p.SignalAsync("TERM");
            await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async Task<string> ScrapeAsync(string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(string path = "/health")
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return (response.StatusCode, doc.RootElement.Clone());
    }

    /// <summary>The state of one component in <c>/health</c>.</summary>
    public static string? ComponentState(JsonElement health, string name) =>
        health.GetProperty("components").EnumerateArray().Where(c => c.GetProperty("name").GetString() == name).Select(c => c.GetProperty("state").GetString()).FirstOrDefault();

    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (_process is { } p && p.StandardOutput.Length >= 0 && HasExited)
            {
                Assert.Fail($"camera-service exited while waiting for {what}.\n{Output}");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}.\n{Output}");
            }
        }
    }

    public async Task<RpcSocket> ConnectAsync(string? credential = null)
    {
        var socket = await RpcSocket.ConnectAsync(WebSocketUri);
        if (credential is not null)
        {
            var answer = await socket.CallAsync("authenticate", new { auth_token = credential });
            Assert.True(answer.TryGetProperty("result", out _), $"authenticate failed: {answer}");
        }

        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        _process?.Dispose();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying child: the temp folder is cleaned by the OS.
        }

        await Task.CompletedTask;
    }

    private bool HasExited
    {
        get
        {
            try
            {
                return System.Diagnostics.Process.GetProcessById(_process!.Id).HasExited;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

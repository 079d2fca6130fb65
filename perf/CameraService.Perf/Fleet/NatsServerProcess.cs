using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using CameraService.Perf.Targets;

namespace CameraService.Perf.Fleet;

/// <summary>
/// A real <c>nats-server</c> (Debian's package) with JetStream on a temporary directory, on a free 127.0.0.1 port,
/// for the fleet scenario. Stopped (SIGKILL; it holds nothing worth flushing) and its store deleted when disposed.
/// </summary>
internal sealed class NatsServerProcess : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];
    private readonly Process _process;
    private readonly DirectoryInfo _store;

    private NatsServerProcess(Process process, DirectoryInfo store, int port)
    {
        _process = process;
        _store = store;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>The binary, or a message saying how to install it.</summary>
    public static string Locate() => Candidates.FirstOrDefault(File.Exists)
        ?? throw new PerfException("nats-server is not installed: apt-get install -y nats-server (./test.sh installs it when missing)");

    public static async Task<NatsServerProcess> StartAsync(CancellationToken cancellationToken)
    {
        var binary = Locate();
        var store = Directory.CreateTempSubdirectory("camera-service-perf-nats-");
        var port = ServiceTarget.FreeLoopbackPort();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", store.FullName })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new PerfException($"could not start {binary}");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NatsServerProcess(process, store, port);
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                lock (log)
                {
                    throw new PerfException($"nats-server exited with code {process.ExitCode} before it listened on 127.0.0.1:{port}:\n{log}");
                }
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }

        await server.DisposeAsync().ConfigureAwait(false);
        throw new PerfException($"nats-server did not listen on 127.0.0.1:{port} within 20 s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            _store.Delete(recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover JetStream store in /tmp is not worth failing a finished run for.
        }
    }
}

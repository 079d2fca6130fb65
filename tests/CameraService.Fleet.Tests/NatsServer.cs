using System.Diagnostics;
using System.Net.Sockets;
using CameraService.EndToEnd.Tests;

namespace CameraService.Fleet.Tests;

/// <summary>
/// A real <c>nats-server</c> (Debian's package, installed by ./test.sh) with JetStream on a temporary directory, on a
/// free 127.0.0.1 port. It can be stopped and started again on the same port and store, like a server restart.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _storeDir;
    private Process? _process;

    public NatsServer(string root)
    {
        _storeDir = Path.Combine(root, "jetstream");
        Port = ServiceProcess.FreePort();
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var binary = new[] { "/usr/bin/nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nats-server is not installed: apt-get install -y nats-server (./test.sh does it as root)");
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-js", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", _storeDir })
        {
            psi.ArgumentList.Add(arg);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("nats-server did not listen within 20 s");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CameraService.Notifications.Tests;

/// <summary>
/// A real Mosquitto (Debian <c>mosquitto</c>, installed by ./test.sh) on 127.0.0.1 and a free port, without
/// persistence: killing it loses every retained message, so a restart shows what the bridge republishes.
/// </summary>
internal sealed class MosquittoBroker : IAsyncDisposable
{
    private readonly DirectoryInfo _root;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private MosquittoBroker(DirectoryInfo root, int port, int tlsPort)
    {
        _root = root;
        Port = port;
        TlsPort = tlsPort;
    }

    public int Port { get; }

    /// <summary>The mutual-TLS listener's port (0 without one).</summary>
    public int TlsPort { get; }

    public string Url => $"mqtt://127.0.0.1:{Port}";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Chooses free ports and writes the configuration; <see cref="StartAsync"/> starts the broker. With
    /// <paramref name="tls"/>, a second listener requires TLS with a client certificate signed by its CA.
    /// </summary>
    public static MosquittoBroker Create(TestCertificates? tls = null)
    {
        var root = Directory.CreateTempSubdirectory("mosquitto-");
        var port = FreePort();
        var tlsPort = tls is null ? 0 : FreePort();
        var tlsListener = tls is null ? string.Empty : $"""
            listener {tlsPort} 127.0.0.1
            cafile {tls.CaPath}
            certfile {tls.ServerCertificatePath}
            keyfile {tls.ServerKeyPath}
            require_certificate true
            """;
        File.WriteAllText(Path.Combine(root.FullName, "mosquitto.conf"), $"""
            per_listener_settings false
            allow_anonymous true
            persistence false
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            listener {port} 127.0.0.1
            {tlsListener}

            """);
        return new MosquittoBroker(root, port, tlsPort);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task StartAsync()
    {
        var executable = new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("mosquitto is not installed: run ./test.sh as root (it installs it) or apt-get install mosquitto.");
        var info = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Path.Combine(_root.FullName, "mosquitto.conf"));
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited, $"mosquitto exited at start:\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Kills the broker (SIGKILL): clients see the connection drop, retained messages are lost.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans the temp folder
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>
/// A real RTSP server on 127.0.0.1 for tests: GStreamer's RTSP server (python3-gi) serving a live 320x240 15 fps test
/// video (H.264 or H.265), optionally with an AAC tone and Basic or Digest authentication. <see cref="Kill"/> takes it
/// down (the port refuses); <see cref="StartAsync"/> brings it back on the same port.
/// </summary>
public sealed class RtspTestServer : IAsyncDisposable
{
    private readonly string _path;
    private readonly string _codec;
    private readonly bool _audio;
    private readonly string _auth;
    private readonly string _user;
    private readonly string _password;
    private Process? _process;

    public RtspTestServer(string path = "/cam", string codec = "h264", bool audio = false, string auth = "none", string user = "", string password = "")
    {
        _path = path;
        _codec = codec;
        _audio = audio;
        _auth = auth;
        _user = user;
        _password = password;
        Port = FreePort();
    }

    public int Port { get; }

    /// <summary>The URL without credentials.</summary>
    public string Url => $"rtsp://127.0.0.1:{Port}{_path}";

    /// <summary>The URL with the credentials escaped into it.</summary>
    public string UrlWithCredentials => $"rtsp://{Uri.EscapeDataString(_user)}:{Uri.EscapeDataString(_password)}@127.0.0.1:{Port}{_path}";

    public static async Task<RtspTestServer> StartNewAsync(string path = "/cam", string codec = "h264", bool audio = false, string auth = "none", string user = "", string password = "")
    {
        var server = new RtspTestServer(path, codec, audio, auth, user, password);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "rtsp_test_server.py");
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, "127.0.0.1", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), _path, _codec, _audio ? "1" : "0", _auth, _user, _password })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("LD_PRELOAD");
        psi.Environment.Remove("FAKETIME");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await process.StandardOutput.ReadLineAsync(cts.Token);
        if (line != "ready")
        {
            process.Kill(entireProcessTree: true);
            string err;
            lock (errors)
            {
                err = errors.ToString();
            }

            throw new InvalidOperationException(
                $"The GStreamer RTSP test server did not start ({line}); install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good/-bad/-ugly (./test.sh does): {err}");
        }

        _process = process;
    }

    /// <summary>Kills the server (SIGKILL): the stream dies without goodbye.</summary>
    public void Kill()
    {
        if (_process is { } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
            p.Dispose();
            _process = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

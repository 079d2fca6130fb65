using System.Diagnostics;
using System.Reflection;

namespace MediaMtxEmulator;

/// <summary>
/// A real RTSP endpoint per runtime path: a GStreamer RTSP server (python3-gi) serving a live synthetic H.264 stream,
/// so that <c>ffmpeg -i rtsp://127.0.0.1:&lt;port&gt;/&lt;path&gt;</c> works. A client reading a path counts as an RTSP
/// reader of it (which starts a runOnDemand publisher, like MediaMTX). Not MediaMTX's RTSP server: media is synthetic.
/// </summary>
internal sealed class RtspServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _script;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _writeGate = new();

    private RtspServerProcess(Process process, string script)
    {
        _process = process;
        _script = script;
    }

    /// <summary>Raised with (event, path) for "read"/"unread" from the server.</summary>
    public event Action<string, string>? ClientEvent;

    public static async Task<RtspServerProcess> StartAsync(string python, string host, int port, CancellationToken ct)
    {
        var script = Path.Combine(Path.GetTempPath(), $"mtxemu-rtsp-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        using (var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("rtsp_server.py")!)
        using (var f = File.Create(script))
        {
            await s.CopyToAsync(f, ct).ConfigureAwait(false);
        }

        var psi = new ProcessStartInfo(python, [script, host, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The RTSP server stands for a separate program with its own clock. Under the shifted-clock CI run
        // (scripts/test-shifted-clock.sh) it must not inherit libfaketime: GLib aborts or hangs under it.
        psi.Environment.Remove("LD_PRELOAD");
        psi.Environment.Remove("FAKETIME");
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("python did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            File.Delete(script);
            throw new InvalidOperationException($"The RTSP server needs {python} with GStreamer (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly).", ex);
        }

        var server = new RtspServerProcess(process, script);
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync(ct);
        var first = await Task.WhenAny(server._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(15), ct)).ConfigureAwait(false);
        if (first != server._ready.Task)
        {
            server.Dispose();
            string err;
            lock (stderr)
            {
                err = stderr.ToString().Trim();
            }

            throw new InvalidOperationException("The GStreamer RTSP server did not start (python3-gi and gir1.2-gst-rtsp-server-1.0 installed?): " + err);
        }

        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line == "ready")
        {
            _ready.TrySetResult();
            return;
        }

        var parts = line.Split(' ', 2);
        if (parts.Length == 2 && parts[0] is "read" or "unread")
        {
            ClientEvent?.Invoke(parts[0], parts[1]);
        }
    }

    /// <summary>Serves <paramref name="path"/>; <paramref name="video"/> are videotestsrc properties (default still SMPTE bars).</summary>
    public void AddMount(string path, string? video = null)
    {
        if (video is not null && !System.Text.RegularExpressions.Regex.IsMatch(video, "^[a-z0-9=_ -]+$"))
        {
            throw new ArgumentException($"'{video}' is not a list of videotestsrc properties", nameof(video));
        }

        Send("add " + path + (video is null ? string.Empty : " " + video));
    }

    public void RemoveMount(string path) => Send("remove " + path);

    private void Send(string line)
    {
        lock (_writeGate)
        {
            try
            {
                _process.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
            }
            catch (IOException)
            {
                // The server is gone (stopping): mounts no longer matter.
            }
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(3000))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
        File.Delete(_script);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using CameraService.EndToEnd.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.WebUi.Tests;

/// <summary>What the WHEP endpoint does with an offer.</summary>
public enum WhepBehavior
{
    /// <summary>Relays the offer to the sender page and answers 201 with its SDP answer: a real WebRTC session.</summary>
    Answer,

    /// <summary>Answers 404 with MediaMTX's JSON error, as MediaMTX does for a path without a stream.</summary>
    NotFound,

    /// <summary>
    /// Answers 201 with a real SDP answer whose ICE candidates point at a closed port, as MediaMTX behind NAT announcing
    /// an address the browser cannot reach: the HTTP exchange succeeds, the media never connects.
    /// </summary>
    Unreachable,
}

/// <summary>
/// The two servers of MediaMTX that a browser talks to, on free 127.0.0.1 ports (there is no MediaMTX on the test
/// machine; its Control API is the emulator): the WebRTC server's WHEP endpoint (<c>POST /{path}/whep</c>, RFC 9725,
/// with MediaMTX's CORS answers) and the HLS server (<c>GET /{path}/index.m3u8</c> and its segments).
/// A WHEP offer is answered by a real RTCPeerConnection (<see cref="Answerer"/>, a page in the test's Chromium sending a
/// canvas capture); HLS is a real live stream that ffmpeg writes (testsrc2, H.264, fMP4 segments like MediaMTX's),
/// served for every path. Hand-written: no served package is a WHEP server.
/// </summary>
public sealed class LiveMediaServer : IAsyncDisposable
{
    private readonly string _hlsDirectory;
    private readonly Dictionary<string, WhepBehavior> _behaviors = new(StringComparer.Ordinal);
    private readonly StringBuilder _ffmpegLog = new();
    private WebApplication? _app;
    private Process? _ffmpeg;
    private int _sessions;

    public LiveMediaServer(string hlsDirectory)
    {
        _hlsDirectory = hlsDirectory;
        Directory.CreateDirectory(hlsDirectory);
    }

    public int WebRtcPort { get; } = ServiceProcess.FreePort();

    public int HlsPort { get; } = ServiceProcess.FreePort();

    /// <summary>The page the WHEP answers come from (see <see cref="Answerer"/>).</summary>
    public string SenderPageUrl => $"http://127.0.0.1:{WebRtcPort}/_sender";

    /// <summary>Turns an SDP offer into the SDP answer of a peer connection that sends video.</summary>
    public Func<string, Task<string>>? Answerer { get; set; }

    /// <summary>Offers received per path (each POST to <c>/{path}/whep</c>).</summary>
    public Dictionary<string, int> Offers { get; } = new(StringComparer.Ordinal);

    /// <summary>The last offer received and the last answer sent (for diagnostics).</summary>
    public string? LastOffer { get; private set; }

    /// <inheritdoc cref="LastOffer"/>
    public string? LastAnswer { get; private set; }

    /// <summary>Sessions answered with 201.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Paths whose playlist was requested (the HLS fallback reached this server).</summary>
    public HashSet<string> HlsReads { get; } = new(StringComparer.Ordinal);

    public string FfmpegLog
    {
        get
        {
            lock (_ffmpegLog)
            {
                return _ffmpegLog.ToString();
            }
        }
    }

    public void SetBehavior(string path, WhepBehavior behavior)
    {
        lock (_behaviors)
        {
            _behaviors[path] = behavior;
        }
    }

    public async Task StartAsync(TimeSpan timeout)
    {
        StartFfmpeg();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, WebRtcPort);
            k.Listen(IPAddress.Loopback, HlsPort);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;

        // Ready when ffmpeg has published a playlist with a segment.
        var clock = Stopwatch.StartNew();
        var playlist = Path.Combine(_hlsDirectory, "index.m3u8");
        while (!(File.Exists(playlist) && (await File.ReadAllTextAsync(playlist)).Contains(".m4s", StringComparison.Ordinal)))
        {
            if (_ffmpeg!.HasExited || clock.Elapsed > timeout)
            {
                throw new InvalidOperationException($"ffmpeg published no HLS playlist within {timeout} (exit: {(_ffmpeg.HasExited ? _ffmpeg.ExitCode : "running")}):\n{FfmpegLog}");
            }

            await Task.Delay(200);
        }
    }

    private void StartFfmpeg()
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = _hlsDirectory };
        foreach (var a in new[]
        {
            "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "10", "-keyint_min", "10", "-sc_threshold", "0",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+independent_segments+temp_file",
            "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", "seg%05d.m4s", "index.m3u8",
        })
        {
            psi.ArgumentList.Add(a);
        }

        _ffmpeg = Process.Start(psi)!;
        _ffmpeg.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        _ffmpeg.OutputDataReceived += (_, e) => AppendLog(e.Data);
        _ffmpeg.BeginErrorReadLine();
        _ffmpeg.BeginOutputReadLine();
    }

    private void AppendLog(string? line)
    {
        if (line is not null)
        {
            lock (_ffmpegLog)
            {
                _ffmpegLog.AppendLine(line);
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        // MediaMTX's CORS answers (webrtcAllowOrigin / hlsAllowOrigin default "*"): the console is on another port.
        var response = context.Response;
        response.Headers.AccessControlAllowOrigin = "*";
        response.Headers.AccessControlAllowCredentials = "true";
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            response.Headers.AccessControlAllowMethods = "OPTIONS, GET, POST, PATCH, DELETE";
            response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type, If-Match";
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var port = context.Connection.LocalPort;
        var segments = (context.Request.Path.Value ?? "/").Trim('/').Split('/');
        if (port == WebRtcPort && HttpMethods.IsGet(context.Request.Method) && segments is ["_sender"])
        {
            // An empty page on an http://127.0.0.1 origin (a secure context that can hold permissions) for the sender.
            response.ContentType = "text/html";
            await response.WriteAsync("<!doctype html><title>WHEP sender</title><body></body>");
        }
        else if (port == WebRtcPort && HttpMethods.IsPost(context.Request.Method) && segments is [var path, "whep"])
        {
            await WhepAsync(context, path);
        }
        else if (port == HlsPort && HttpMethods.IsGet(context.Request.Method) && segments is [var hlsPath, var file])
        {
            await HlsAsync(context, hlsPath, file);
        }
        else
        {
            response.StatusCode = StatusCodes.Status404NotFound;
        }
    }

    private async Task WhepAsync(HttpContext context, string path)
    {
        WhepBehavior behavior;
        lock (_behaviors)
        {
            behavior = _behaviors.GetValueOrDefault(path, WhepBehavior.Answer);
            Offers[path] = Offers.GetValueOrDefault(path) + 1;
        }

        var response = context.Response;
        response.Headers.AccessControlExposeHeaders = "ETag, ID, Accept-Patch, Link, Location";
        if (!string.Equals(context.Request.ContentType, "application/sdp", StringComparison.OrdinalIgnoreCase))
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            await response.WriteAsJsonAsync(new { status = "error", error = "invalid Content-Type" });
            return;
        }

        if (behavior == WhepBehavior.NotFound)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            await response.WriteAsJsonAsync(new { status = "error", error = $"no stream is available on path '{path}'" });
            return;
        }

        var offer = await new StreamReader(context.Request.Body).ReadToEndAsync();
        LastOffer = offer;
        var answerer = Answerer ?? throw new InvalidOperationException("no WHEP answerer");

        // Every packet of the session stays on loopback: only 127.0.0.1 candidates go either way. An unreachable
        // server is one the browser cannot reach and that does not reach the browser either (it learns no candidate
        // of the browser, so it sends no check that could open the path from its side).
        var unreachable = behavior == WhepBehavior.Unreachable;
        var answer = OnlyLoopbackCandidates(await answerer(unreachable ? WithoutCandidates(offer) : OnlyLoopbackCandidates(offer)));
        if (unreachable)
        {
            answer = CandidatesToPort(answer, ServiceProcess.FreePort());
        }

        LastAnswer = answer;
        Interlocked.Increment(ref _sessions);
        response.StatusCode = StatusCodes.Status201Created;
        response.ContentType = "application/sdp";
        response.Headers.ETag = "*";
        response.Headers["ID"] = Guid.NewGuid().ToString();
        response.Headers["Accept-Patch"] = "application/trickle-ice-sdpfrag";
        response.Headers.Location = $"/{path}/whep/{Guid.NewGuid()}";
        await response.WriteAsync(answer);
    }

    private async Task HlsAsync(HttpContext context, string path, string file)
    {
        var response = context.Response;
        var full = Path.Combine(_hlsDirectory, file);
        if (file.Contains("..", StringComparison.Ordinal) || !File.Exists(full))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (file == "index.m3u8")
        {
            lock (HlsReads)
            {
                HlsReads.Add(path);
            }
        }

        response.ContentType = Path.GetExtension(file) switch
        {
            ".m3u8" => "application/vnd.apple.mpegurl",
            _ => "video/mp4",
        };
        response.Headers.CacheControl = "no-cache";
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(full);
        }
        catch (FileNotFoundException)
        {
            response.StatusCode = StatusCodes.Status404NotFound; // removed by ffmpeg meanwhile (delete_segments)
            return;
        }

        await response.Body.WriteAsync(body);
    }

    /// <summary>Keeps the SDP's ICE candidates on 127.0.0.1 (the test machine's network rule), drops the others.</summary>
    internal static string OnlyLoopbackCandidates(string sdp) =>
        string.Join("\r\n", sdp.Split("\r\n").Where(l => !l.StartsWith("a=candidate:", StringComparison.Ordinal) || CandidateField(l, 4) == "127.0.0.1"));

    internal static string WithoutCandidates(string sdp) =>
        string.Join("\r\n", sdp.Split("\r\n").Where(l => !l.StartsWith("a=candidate:", StringComparison.Ordinal)));

    /// <summary>Moves every candidate to a port where nothing listens (the address is announced but unreachable).</summary>
    internal static string CandidatesToPort(string sdp, int port) =>
        string.Join("\r\n", sdp.Split("\r\n").Select(l =>
        {
            if (!l.StartsWith("a=candidate:", StringComparison.Ordinal))
            {
                return l;
            }

            var fields = l.Split(' ');
            fields[5] = port.ToString(CultureInfo.InvariantCulture);
            return string.Join(' ', fields);
        }));

    private static string CandidateField(string line, int index) => line.Split(' ') is var f && f.Length > index ? f[index] : string.Empty;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_ffmpeg is { HasExited: false })
        {
            _ffmpeg.Kill();
            await _ffmpeg.WaitForExitAsync();
        }

        _ffmpeg?.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Plugins;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Configuration;
using CameraService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Plugins.Ffmpeg.Tests;

/// <summary>A backend built through the production registration, on a private temp directory, with real ffmpeg.</summary>
internal sealed class FfmpegTestContext : IAsyncDisposable
{
    public const string ViewerToken = "viewer-token";

    private readonly ServiceProvider _provider;

    public FfmpegTestContext(Dictionary<string, string?>? settings = null, bool withAccessControl = true, string publicBaseUrl = "http://127.0.0.1:8002")
    {
        Root = Directory.CreateTempSubdirectory("ffmpeg-backend-tests-");
        var values = new Dictionary<string, string?>
        {
            ["CameraService:StreamBackend"] = "ffmpeg",
            ["Plugins:Ffmpeg:HlsDirectory"] = Path.Combine(Root.FullName, "hls"),
            ["Plugins:Ffmpeg:RestartBackoff"] = "00:00:00.200",
            ["Plugins:Ffmpeg:StopTimeout"] = "00:00:05",
            ["Plugins:Ffmpeg:SegmentDuration"] = "00:01:00",
        };
        foreach (var (k, v) in settings ?? [])
        {
            values[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IServiceEnvironment>(new TestServiceEnvironment(Root.FullName, publicBaseUrl: publicBaseUrl)
        {
            // What the host tells the plugin from CameraService:StreamBackend.
            SelectedStreamBackend = values["CameraService:StreamBackend"] ?? "mediamtx",
        });
        if (withAccessControl)
        {
            services.AddSingleton<IAccessControl>(new FakeAccessControl());
        }

        services.AddFfmpegStreamBackend();
        _provider = services.BuildServiceProvider();
        try
        {
            Backend = (FfmpegStreamBackend)_provider.GetRequiredService<IStreamBackend>();
            Endpoints = (HlsEndpointSource)_provider.GetRequiredService<IHttpEndpointSource>();
        }
        catch
        {
            _provider.Dispose();
            Root.Delete(recursive: true);
            throw;
        }

        Backend.BackendEvent += (_, e) =>
        {
            lock (Events)
            {
                Events.Add(e);
            }
        };
    }

    public DirectoryInfo Root { get; }

    public FfmpegStreamBackend Backend { get; }

    public HlsEndpointSource Endpoints { get; }

    public List<StreamBackendEventArgs> Events { get; } = [];

    // Spaces, a colon and a percent sign exercise the escaping of paths in the tee muxer specification.
    public string RecordingDirectory(string cameraId) => Path.Combine(Root.FullName, "rec dir:1%", cameraId);

    public static CaptureInput TestPattern(int width = 320, int height = 240, int rate = 10) =>
        new SyntheticCaptureInput { Video = new VideoMode { PixelFormat = PixelFormats.Yu12, Width = width, Height = height, FrameRate = rate } };

    public async Task<StreamCamera> PublishAsync(string cameraId = "camera0")
    {
        var camera = new StreamCamera { CameraId = cameraId, Name = "Test pattern", Input = TestPattern(), RecordingDirectory = RecordingDirectory(cameraId) };
        await Backend.PublishAsync(camera, CancellationToken.None);
        return camera;
    }

    public RecordingRequest Recording(string cameraId = "camera0", string format = "fmp4") =>
        new RecordingRequest { CameraId = cameraId, SessionId = "session-" + cameraId, Format = format, OutputDirectory = RecordingDirectory(cameraId), StartTime = DateTimeOffset.UtcNow };

    /// <summary>ffmpeg children of this test process that belong to this context (by its temp directory in their command line).</summary>
    public IReadOnlyList<int> OwnFfmpegChildren() => ProcessTable.Children(Environment.ProcessId, Root.FullName);

    public async ValueTask DisposeAsync()
    {
        await Backend.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
        try
        {
            Root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still being released; the temp directory is cleaned by the system eventually.
        }
    }

    private sealed class FakeAccessControl : IAccessControl
    {
        public ValueTask<AccessResult> AuthorizeAsync(string? credential, ApiRole minimumRole, CancellationToken cancellationToken) =>
            ValueTask.FromResult(credential == ViewerToken
                ? new AccessResult { Allowed = true, StatusCode = 200, Role = ApiRole.Viewer, UserId = "viewer" }
                : new AccessResult { Allowed = false, StatusCode = 401, Reason = "invalid_token" });

        public string SignResource(string resource, TimeSpan lifetime) => "signed." + resource.Replace('/', '.');

        public bool VerifyResource(string resource, string signature) => signature == SignResource(resource, TimeSpan.Zero);
    }
}

internal static class ProcessTable
{
    public static IReadOnlyList<int> Children(int parent, string commandLineMarker)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" || int.Parse(fields[1], CultureInfo.InvariantCulture) != parent)
                {
                    continue;
                }

                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains("ffmpeg", StringComparison.Ordinal) && cmdline.Contains(commandLineMarker, StringComparison.Ordinal))
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
                // Process ended while reading.
            }
        }

        return result;
    }
}

internal static class Media
{
    public static string Ffmpeg => FfmpegLocator.Resolve("ffmpeg") ?? throw new InvalidOperationException("ffmpeg is required for these tests: apt-get install -y ffmpeg");

    public static string Ffprobe => FfmpegLocator.Resolve("ffprobe") ?? throw new InvalidOperationException("ffprobe is required for these tests: apt-get install -y ffmpeg");

    /// <summary>Codec of the first video stream, its decoded frame count and the container duration.</summary>
    public static async Task<(string Codec, int Frames, double Duration)> ProbeAsync(string path)
    {
        var psi = new ProcessStartInfo(Ffprobe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=codec_name,nb_read_frames:format=duration", "-of", "default=nw=1", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string output;
        try
        {
            output = await p.StandardOutput.ReadToEndAsync(cts.Token);
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new TimeoutException("ffprobe did not finish: " + path);
        }

        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0])
            .ToDictionary(g => g.Key, g => g.First()[1].Trim());
        var codec = values.GetValueOrDefault("codec_name") ?? string.Empty;
        var frames = int.TryParse(values.GetValueOrDefault("nb_read_frames"), CultureInfo.InvariantCulture, out var f) ? f : 0;
        var duration = double.TryParse(values.GetValueOrDefault("duration"), CultureInfo.InvariantCulture, out var d) ? d : 0;
        return (codec, frames, duration);
    }

    /// <summary>The container ffprobe detects (its <c>format_name</c>, e.g. <c>matroska,webm</c>).</summary>
    public static async Task<string> ContainerAsync(string path)
    {
        var psi = new ProcessStartInfo(Ffprobe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-show_entries", "format=format_name", "-of", "default=nw=1:nk=1", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var output = await p.StandardOutput.ReadToEndAsync(cts.Token);
            await p.WaitForExitAsync(cts.Token);
            return output.Trim();
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new TimeoutException("ffprobe did not finish: " + path);
        }
    }

    /// <summary>Decodes <paramref name="frames"/> frames of a (live) input with ffmpeg; returns the exit code and its errors.</summary>
    public static async Task<(int ExitCode, string Errors)> DecodeAsync(string input, int frames)
    {
        var psi = new ProcessStartInfo(Ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-i", input, "-frames:v", frames.ToString(CultureInfo.InvariantCulture), "-f", "null", "-" })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            await p.WaitForExitAsync();
            return (-1, "timed out: " + await errors);
        }

        return (p.ExitCode, await errors);
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }
        }
    }
}
